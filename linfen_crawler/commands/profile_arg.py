"""Reading a site profile for a command: :func:`profile_or_fail`, used by the commands that crawl or check.

Apart from ``options.py`` because profiles load lxml and re2 (about 50 ms): ``search``, ``stats`` and
``export`` import ``options`` and never read a profile, so they should not pay for it at start (issue 16).
"""

from __future__ import annotations

from linfen_crawler.commands.options import fail
from linfen_crawler.profiles import Profile, ProfileError, load_profile


def profile_or_fail(key: str) -> Profile:
    """The profile ``key`` (bundled or from ``LINFEN_PROFILE_DIRS``); an unknown or broken one is one line."""
    try:
        return load_profile(key)
    except ProfileError as exc:
        raise fail(str(exc)) from None
