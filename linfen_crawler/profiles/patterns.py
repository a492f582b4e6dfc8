"""Regular expressions from user input, matched in linear time.

Profiles (and any setting that takes a pattern) are user input. Python's ``re`` backtracks, so a pattern
like ``(a+)+$`` takes exponential time on a URL that almost matches, and a crawl hangs on it. Such
patterns are compiled with RE2 (``google-re2``) instead: its matching time is linear in the text for
every pattern, and it refuses what it cannot match that way (backreferences, lookaround) when the
pattern is compiled, which is when the profile is validated.

Callers use only :meth:`Pattern.search` and the match's ``group``/``groups``; the protocols below are that
surface, so ``re.Pattern`` satisfies them too (the bundled code's own constant patterns stay on ``re``).
"""

from __future__ import annotations

from typing import Any, Protocol

import re2

__all__ = ["Match", "Pattern", "PatternError", "compile_pattern"]

# A pattern whose compiled program needs more memory than this is refused ("pattern too large").
_MAX_MEM = 8 << 20


class Match(Protocol):
    def group(self, group: int = 0, /) -> str | Any: ...

    def groups(self) -> tuple[str | Any, ...]: ...


class Pattern(Protocol):
    @property
    def pattern(self) -> str: ...

    def search(self, text: str, /) -> Match | None: ...


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message is RE2's reason in one line."""


def _options() -> Any:
    options = re2.Options()
    options.max_mem = _MAX_MEM
    options.log_errors = False  # RE2 would also write the error to stderr through absl logging
    return options


def compile_pattern(expr: str) -> Pattern:
    """Compile ``expr`` with RE2 (linear-time matching); :class:`PatternError` when RE2 refuses it."""
    try:
        return re2.compile(expr, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(" ".join(str(reason).split())) from None
    except (UnicodeError, TypeError) as exc:  # a lone surrogate cannot be encoded for RE2
        raise PatternError(" ".join(str(exc).split())) from None
