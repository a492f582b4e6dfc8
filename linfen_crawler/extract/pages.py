"""Multi-page articles: find the next page of an article (下一页, or ``<id>_2.html`` after ``<id>.html``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from lxml import etree

from linfen_crawler.extract.body import node_text as body_node_text

_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|next)\s*[>»›]*\s*$", re.I)
_PAGE_SUFFIX = re.compile(r"^(?P<stem>.+?)(?:_(?P<n>\d{1,3}))?(?P<ext>\.s?html?)$")


def _anchors(doc: etree._Element, name: str) -> Iterator[etree._Element]:
    """The page's ``<a>`` elements whose href holds the article's file stem ``name`` and an underscore.

    Only those can point to another page of the article: the ``_N`` of a later page's name can come from
    nowhere but the href (urljoin keeps the href's last path segment as written, and a href without a
    path leaves the page's own URL, page N itself). A loop over the anchors, which lxml picks out by tag
    in C, costs less than an XPath ``contains`` on every one of them.
    """
    for a in doc.getroottree().getroot().iter("a"):
        href = a.get("href")
        if href is not None and name in href and "_" in href:
            yield a


def page_number(url: str) -> tuple[str, int] | None:
    """``(stem URL, page number)`` of an article page URL: ``…/93600_2.html`` → (``…/93600``, 2)."""
    path = urlsplit(url)._replace(query="", fragment="").geturl()
    m = _PAGE_SUFFIX.match(path)
    if not m:
        return None
    return m.group("stem"), int(m.group("n") or 1)


def next_page(doc: etree._Element, url: str) -> str | None:
    """The URL of the article page after ``url``, or None.

    Only pages of the same article count: ``<stem>_N.html`` with N the next number. A 下一页 link is
    preferred; a bare numbered link ``<stem>_{N+1}.html`` is the fallback. Links to other articles
    (上一篇/下一篇) never match, since their stem differs.
    """
    here = page_number(url)
    if here is None:
        return None
    stem, n = here
    numbered = None
    for a in _anchors(doc, stem.rsplit("/", 1)[-1]):
        target = urljoin(url, a.get("href", "").strip())
        there = page_number(target)
        if there is None or there[0] != stem or there[1] != n + 1:
            continue
        if _NEXT_TEXT.match(body_node_text(a)):
            return target
        numbered = numbered or target
    return numbered
