"""Pure text and URL normalisation.

The width-folding rule (DESIGN.md, "Text is width-folded"): full-width ASCII forms U+FF01–U+FF5E become
their ASCII counterparts (，：（）０-９ → , : ( ) 0-9), U+3000 (ideographic space) and U+00A0 (no-break
space) become a plain space, and *nothing else* is folded — ① ㎡ ² 。 、 “” stay as they are. This is
deliberately not NFKC, which would also rewrite ① → 1 and ㎡ → m2.

>>> fold_width("（记者　王长波）１０：１９")
'(记者 王长波)10:19'
>>> clean_text(" 临汾\\u200b新闻网 \\n 讯 ")
'临汾新闻网 讯'
>>> canonicalize_url("HTTP://WWW.LFXWW.COM:80/linfen/1.html?utm_source=x&b=2&a=1#top")
'http://www.lfxww.com/linfen/1.html?a=1&b=2'
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "canonicalize_url",
    "clean_lines",
    "clean_text",
    "fold_width",
]

#: U+FF01–U+FF5E map onto U+0021–U+007E by a fixed offset; the two spaces map onto ' '.
_WIDTH_TABLE: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = " "
_WIDTH_TABLE[0x00A0] = " "

#: Zero-width space / non-joiner / joiner and the byte-order mark, deleted by ``clean_text``.
_ZERO_WIDTH_TABLE: dict[int, None] = dict.fromkeys((0x200B, 0x200C, 0x200D, 0xFEFF))

#: both tables in one, so clean_text translates once (it runs tens of thousands of times a page set)
_CLEAN_TABLE: dict[int, str | None] = {**_WIDTH_TABLE, **_ZERO_WIDTH_TABLE}
#: any character the table changes: text without one is returned by clean_text untranslated (fast path)
_NEEDS_CLEAN_RE = re.compile("[\uff01-\uff5e\u3000\u00a0\u200b-\u200d\ufeff]")
_LINE_BREAK_RE = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")

#: Query parameters that only track how a reader arrived; they never select content, so they are dropped
#: from canonical URLs. Compared case-insensitively.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "spm",
        "from",
        "share",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "share_token",
        "share_source",
        "share_from",
        "share_medium",
        "sharesource",
        "shareid",
        "isappinstalled",
        "scene",
        "wfr",
        "tt_from",
        "ref_src",
    }
)
#: Any parameter whose lower-cased name starts with one of these is tracking too (utm_source, utm_medium …).
TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)

_DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}


def fold_width(text: str) -> str:
    """Fold full-width ASCII forms to ASCII and U+3000/U+00A0 to a space; leave every other char alone."""
    return text.translate(_WIDTH_TABLE)


def _fold_clean(text: str) -> str:
    """``text.translate(_CLEAN_TABLE)``, 4x faster on Chinese prose: one ``str.replace`` per distinct
    character to fold (a paragraph has a few: ，：（）) instead of a dict lookup per character."""
    for ch in set(_NEEDS_CLEAN_RE.findall(text)):
        text = text.replace(ch, _CLEAN_TABLE[ord(ch)] or "")
    return text


def clean_text(text: str) -> str:
    """Width-fold, drop zero-width characters, collapse whitespace runs to one space and strip.

    Idempotent: ``clean_text(clean_text(x)) == clean_text(x)``.
    """
    if not text.isascii():
        text = _fold_clean(text)
    # str.split() splits on exactly the characters r"\s" matches (str.isspace), and drops the ends
    return " ".join(text.split())


def clean_lines(text: str) -> list[str]:
    """Split ``text`` on line breaks, ``clean_text`` each line and drop the lines left empty."""
    if not text.isascii():  # the table maps no line break: fold the whole text once
        text = _fold_clean(text)
    lines = (" ".join(line.split()) for line in _LINE_BREAK_RE.split(text))
    return [line for line in lines if line]


def _is_tracking(key: str) -> bool:
    name = unquote(key).strip().lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """Return the canonical form of ``url`` used as the ``articles.url`` key.

    Lower-cases scheme and host, drops the fragment, the tracking parameters (``TRACKING_PARAMS``,
    ``TRACKING_PREFIXES``) and the scheme's default port, and sorts the remaining query pairs. The path
    and the raw bytes of the remaining query (possibly percent-encoded GBK) are kept as they are; only an
    empty path becomes ``/``. A string without scheme and host is returned stripped but otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # issue 5: "http://[" and the like, from hostile pages: not a URL to rewrite
        return url
    if not parts.scheme or not parts.netloc:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal needs its brackets back
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: keep the netloc as written, only lower-cased
        port = None
        host = parts.netloc.rpartition("@")[2].lower()
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p.partition("=")[0])]
    query = "&".join(sorted(pairs))
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def utcnow() -> str:
    """Now, ISO 8601 in UTC to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def content_hash(title: str | None, body: str | None) -> str:
    """Hash of the normalised title and body: equal for the same text, different when it changes."""
    data = f"{title or ''}\n{body or ''}".encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()
