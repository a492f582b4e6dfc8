"""Code that issue 8's fast paths replaced, kept as the plain reference: the property tests check each fast
path against it (same results), and ``benchmarks/hotpaths.py`` times each fast path against it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from linfen_crawler.extract import byline
from linfen_crawler.extract.body import node_text as body_node_text
from linfen_crawler.extract.body import xpath_elements
from linfen_crawler.extract.pages import _NEXT_TEXT, page_number

_OLD_ANCHORS = etree.XPath("//a[contains(@href, $stem)]")


def plain_next_page(doc: Any, url: str) -> str | None:
    """next_page as it was: an XPath for the anchors whose href holds the stem."""
    here = page_number(url)
    if here is None:
        return None
    stem, n = here
    numbered = None
    for a in xpath_elements(_OLD_ANCHORS, doc, stem=stem.rsplit("/", 1)[-1]):
        target = urljoin(url, a.get("href", "").strip())
        there = page_number(target)
        if there is None or there[0] != stem or there[1] != n + 1:
            continue
        if _NEXT_TEXT.match(body_node_text(a)):
            return target
        numbered = numbered or target
    return numbered


def _label_pattern_behind_first(label: str) -> str:
    """byline._label_pattern as it was: the look-behind of a one-character label in front of it."""
    piece = re.escape(label)
    if len(label) == 1:
        piece = f"(?<![{byline._HAN}]){piece}"
    if label not in byline._GLUED_LABELS:
        piece += byline._SEP_AHEAD
    return piece


PLAIN_LABEL_RE = re.compile(
    "(?P<label>"
    + "|".join(_label_pattern_behind_first(label) for label in sorted(byline.LABEL_ROLES, key=len, reverse=True))
    + r")(?P<sep>\s*[:|]\s*|\s*/\s*|\s*)"
)


def plain_subtree_totals(root: Any, stats: dict[Any, list[int]]) -> dict[Any, tuple[int, int]]:
    """scoring.subtree_totals as it was: an entry for every element."""
    totals: dict[Any, list[int]] = {}
    for el in reversed(list(root.iter())):
        row = stats.get(el)
        acc = totals.setdefault(el, [0, 0])
        if row is not None:
            acc[0] += row[0]
            acc[1] += row[1]
        parent = el.getparent()
        if parent is not None:
            up = totals.setdefault(parent, [0, 0])
            up[0] += acc[0]
            up[1] += acc[1]
    return {el: (t[0], t[1]) for el, t in totals.items()}
