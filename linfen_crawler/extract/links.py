"""Automatic article-link detection on list pages (used when a profile gives no ``article_links`` rule).

A link is an article link when

* its absolute URL is http(s) on one of the given domains or a subdomain of one;
* its URL looks like an article (``looks_like_article_url``): a date or a long numeric id in the path
  (``/2021-03/15/content_1.html``, ``/linfen/shizheng/93512.html``, ``t20210315_123.html``), or a
  DedeCMS/PHP view (``view.php?aid=123``, ``show.php?id=123``, ``?id=123`` with ≥ 3 digits);
* it is no section, index or list page (``index.html``, ``list_2.html``, a path ending in ``/``);
* its anchor text reads like a headline (``looks_like_headline``): at least 6 characters, mostly CJK, not a
  pager or navigation word (下一页, 更多, 首页 …).

Links are returned in page order, deduplicated (fragment dropped).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from linfen_crawler.extract.body import node_text, xpath_elements
from linfen_crawler.normalize import clean_text

__all__ = ["detect_article_links", "looks_like_article_url", "looks_like_headline", "on_domains"]

_ANCHOR_XP = etree.XPath("//a[@href]")

_DATE_PATH_RE = re.compile(
    r"/(?:19|20)\d\d[-_/]?(?:0[1-9]|1[0-2])(?:[-_/]?(?:0[1-9]|[12]\d|3[01]))?/"  # /2021-03/15/, /202103/
    r"|[/_t](?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[_/-]?\d*"  # t20210315_1, /20210315/
)
_NUMERIC_ID_RE = re.compile(
    r"(?:^|[/_-])(?:content_|article_?|a|n|detail_?|news_?)?\d{4,}(?:_\d+)?\.(?:s?html?|php|aspx?|jsp)$", re.I
)
_ARTICLE_FILE_RE = re.compile(r"(?:content|article|detail|show|view|news)[_-]?\d+", re.I)
_QUERY_ID_RE = re.compile(r"(?:^|&)(?:aid|id|articleid|newsid|contentid|docid|itemid|tid)=\d{3,}(?:&|$)", re.I)
_LISTING_RE = re.compile(r"(?:^|/)(?:index|default|list|lists|more|node|category|column|channel)(?:[_-]\d+)?"
                         r"\.(?:s?html?|php|aspx?|jsp)$", re.I)
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_NAV_TEXT_RE = re.compile(r"^(?:下一页|上一页|首页|尾页|末页|更多|更多>>|more|返回|查看更多|点击查看|详细|详情|全文|"
                          r"\[?详细\]?|\[?全文\]?|阅读全文|进入专题)", re.I)


def on_domains(url: str, domains: Sequence[str]) -> bool:
    """True when the URL's host is one of ``domains`` or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in (x.lower().strip(".") for x in domains))


def looks_like_article_url(url: str) -> bool:
    """True for URLs shaped like an article page, not a section, index or list page."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    path = parts.path
    if _QUERY_ID_RE.search(parts.query) and not _LISTING_RE.search(path):
        return True
    if not path or path.endswith("/") or _LISTING_RE.search(path):
        return False
    return bool(_DATE_PATH_RE.search(path) or _NUMERIC_ID_RE.search(path) or _ARTICLE_FILE_RE.search(path))


def looks_like_headline(text: str) -> bool:
    """True for anchor text with a headline's shape: ≥ 6 characters, at least half CJK, no nav word."""
    text = clean_text(text)
    if len(text) < 6 or _NAV_TEXT_RE.match(text):
        return False
    visible = text.replace(" ", "")
    return len(_CJK_RE.findall(visible)) * 2 >= len(visible)


def detect_article_links(doc: etree._Element, base_url: str, domains: Sequence[str]) -> list[str]:
    """Article links on a list page, absolute, in page order, without duplicates."""
    seen: dict[str, None] = {}
    for a in xpath_elements(_ANCHOR_XP, doc):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = urldefrag(urljoin(base_url, href))[0]
        if url in seen or not on_domains(url, domains) or not looks_like_article_url(url):
            continue
        text = node_text(a) or a.get("title", "")
        if not looks_like_headline(text) and not looks_like_headline(a.get("title", "")):
            continue
        seen[url] = None
    return list(seen)
