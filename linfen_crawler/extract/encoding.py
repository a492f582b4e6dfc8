"""Decode page bytes to text without mojibake.

Order: a byte-order mark; then valid UTF-8 (GBK text is almost never valid UTF-8, so a page that decodes
strictly as UTF-8 *is* UTF-8, whatever its header or ``<meta>`` claims); then the declared charsets
(profile override, HTTP header, ``<meta>``), each tried strictly, GB2312/GBK widened to GB18030; last,
GB18030 with replacement characters. Text that was GBK decoded as Latin-1 and re-encoded as UTF-8
("ÁÙ·ÚÐÂÎÅÍø") is repaired.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
_LATIN1_RUN = re.compile(r"[\u00a1-\u00ff]{4,}")
_CJK = re.compile(r"[\u3400-\u9fff]")

# declared names that mean "some GB encoding": decode all of them as the superset GB18030
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "csgb2312", "hz-gb-2312"}

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def normalize_charset(name: str | None) -> str | None:
    """A codec name Python knows, with the GB family widened to ``gb18030``; None when unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """(charset of the HTTP Content-Type header, charset of the first ``<meta>`` that declares one)."""
    header = None
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        header = normalize_charset(m.group(1)) if m else None
    m2 = _META_CHARSET.search(body[:8192])
    meta = normalize_charset(m2.group(1).decode("ascii", "ignore")) if m2 else None
    return header, meta


def repair_mojibake(text: str) -> str:
    """Undo GBK-read-as-Latin-1 damage when the text holds long Latin-1 runs and no CJK at all."""
    if _CJK.search(text) or not _LATIN1_RUN.search(text):
        return text
    for codec in ("gb18030", "utf-8"):
        try:
            fixed = text.encode("latin-1").decode(codec)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _CJK.search(fixed):
            return fixed
    return text


def decode_html(body: bytes, content_type: str | None = None, override: str | None = None) -> tuple[str, str]:
    """Decode ``body`` and return ``(text, codec name)``; never raises on bad bytes."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec.replace("-sig", "")
    forced = normalize_charset(override)
    if forced:
        return repair_mojibake(body.decode(forced, errors="replace")), forced
    try:
        return repair_mojibake(body.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    header, meta = declared_charsets(body, content_type)
    for declared in (meta, header):
        if declared and declared != "utf-8":
            try:
                return body.decode(declared), declared
            except UnicodeDecodeError:
                continue
    # Declared charset is wrong or absent and the bytes are not UTF-8: Chinese sites are GB-encoded.
    return body.decode("gb18030", errors="replace"), "gb18030"


def detect_charset(body: bytes, content_type: str | None = None, override: str | None = None) -> str:
    """The codec :func:`decode_html` picks for ``body``, without decoding a GB page a second time.

    The same checks in the same order; a declared GB charset is only decoded to find out whether another
    declared charset comes next, since when it fails the answer is GB18030 all the same.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec.replace("-sig", "")
    forced = normalize_charset(override)
    if forced:
        return forced
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    header, meta = declared_charsets(body, content_type)
    candidates = [d for d in (meta, header) if d and d != "utf-8"]
    for i, declared in enumerate(candidates):
        if declared == "gb18030" and all(d == "gb18030" for d in candidates[i:]):
            return "gb18030"  # strict success or the fallback: the same answer, no decode needed
        try:
            body.decode(declared)
            return declared
        except UnicodeDecodeError:
            continue
    return "gb18030"
