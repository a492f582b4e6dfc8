"""The headline (Rules T1–T4 in ``docs/extraction.md``): text and the element it came from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from urllib.parse import urldefrag, urljoin

from lxml import etree

from linfen_crawler.extract.body import xpath_elements
from linfen_crawler.extract.scoring import find_body_node
from linfen_crawler.extract.tree import (
    CJK_RE,
    ORIGIN_ATTR,
    first_string,
    is_inside,
    lines_of,
    resolve_path,
    split_glued_meta,
    text_of,
)
from linfen_crawler.extract.xpaths import META_TITLE, SHORT_TEXT_ELEMENTS, TITLE
from linfen_crawler.normalize import clean_text

__all__ = ["find_title", "is_banner_text", "strip_comment_count", "strip_glued_site", "title_head"]


_TITLE_SEP_RE = re.compile(r"\s*(?:[_|｜]|--|\s[-–—]+\s|\s-|-\s)\s*")
_MARKUP_RE = re.compile(r"<[^<>]{1,200}>")

#: class/id words of headline elements (checked in Python: libxml2's contains() on every element cost
#: more than a millisecond a page, over half the title step)
_HEADING_ATTR_RE = re.compile(r"tit|Tit|TIT|eading|biaoti")
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4"))


def title_head(title: str) -> str:
    """``<title>`` without its site suffix: the longest leading run before a site separator.

    "走在最前列 争当排头兵_临汾新闻网" → "走在最前列 争当排头兵". The first segment is taken unless it is
    much shorter than a later one (a "频道 - 标题" prefix). A site name glued on with a bare dash
    (``标题-某某新闻网``, Rule T5) and a comment count (Rule T6) go too.
    """
    parts = [p for p in _TITLE_SEP_RE.split(clean_text(title)) if p]
    if not parts:
        return ""
    head = parts[0]
    if not CJK_RE.search(head):  # a Latin site name before a Chinese headline: "Site - 标题"
        head = next((p for p in parts[1:] if CJK_RE.search(p)), head)
    longest = max(parts, key=len)
    if len(head) < 6 and len(longest) >= 2 * len(head):
        head = longest
    return strip_comment_count(strip_glued_site(head))


#: Rule T5: a site or channel name (…网, …报, …频道, …新闻, a domain) after a bare dash at the end of a title
_SITE_NAME_RE = re.compile(
    r"^(?:[\u3400-\u9fffA-Za-z0-9·]{1,14}(?:网|报|频道|新闻|在线|门户|客户端|论坛|博客|社区|电视台|广播电台)"
    r"|[A-Za-z0-9.\-]+\.(?:com|cn|net|org)(?:\.cn)?)$"
)
_GLUED_DASH_RE = re.compile(r"[-－–]")


def strip_glued_site(text: str) -> str:
    """Rule T5: ``标题-某某新闻网`` → ``标题``; ``标题-国内-某某网`` → ``标题`` (a channel before the site
    goes with it). Only a site-shaped last part after a single dash goes (``——`` joins a subtitle, and a
    dash inside a headline, ``COVID-19``, is followed by no site name); at least four characters stay."""
    stripped = False
    while True:
        cut = max((m.start() for m in _GLUED_DASH_RE.finditer(text)), default=-1)
        if cut < 4 or text[cut - 1] in "—-－–" or (cut + 1 < len(text) and text[cut + 1] in "—"):
            return text
        tail = text[cut + 1:].strip()
        if not (_SITE_NAME_RE.match(tail) or (stripped and CJK_RE.search(tail) and len(tail) <= 4)):
            return text
        text, stripped = text[:cut].rstrip(), True


#: Rule T6: a comment or reply count glued to a headline (``已有3条评论``, ``评论(12)``, ``12 条回复``)
_COMMENT_COUNT_RE = re.compile(
    r"\s*[(（\[【]?\s*(?:(?:已有|共有?)?\s*\d+\s*(?:条|件|个|篇)?\s*(?:评论|跟帖|回复|留言)"
    r"|(?:评论|跟帖|回复|留言)\s*[:：]?\s*[(（\[]?\s*\d+\s*[)）\]]?)\s*[)）\]】]?$"
)


def strip_comment_count(text: str) -> str:
    """Rule T6: a comment count is never part of a headline: ``《山城秋色》已有1件评论`` → ``山城秋色``,
    ``山城秋色 评论(3)`` → ``山城秋色``. The title marks around what is left go too (a comment box names
    the post it belongs to in them)."""
    m = _COMMENT_COUNT_RE.search(text)
    if m is None or m.start() < 4:
        return text
    head = text[: m.start()].strip()
    if head.startswith("《") and head.endswith("》") and head.count("《") == 1:
        head = head[1:-1].strip()
    return head if len(head) >= 4 else text


def _similarity(candidate: str, reference: str) -> float:
    """Share of the candidate and the reference covered by their longest common run (0..1; 0 when it cannot
    reach the 0.6 that Rule T1 needs)."""
    if not candidate or not reference:
        return 0.0
    a, b = candidate.replace(" ", ""), reference.replace(" ", "")
    if min(len(a), len(b)) < 0.6 * max(len(a), len(b)):
        return 0.0  # the common run is at most the shorter one: it can't reach the 0.6 T1 needs
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size / max(len(a), len(b))


_TAG_WEIGHT = {"h1": 3.0, "h2": 2.5, "h3": 1.5, "h4": 0.5}


def _heading_elements(doc: etree._Element) -> Iterator[etree._Element]:
    """Elements under <body> that look like headings: h1–h4, ``itemprop=headline``, or a class/id with
    ``tit``/``heading``/``biaoti``; in document order."""
    search = _HEADING_ATTR_RE.search
    for body in doc.iter("body"):
        for el in body.iter(etree.Element):
            if el is body:
                continue
            attrs = el.attrib
            if el.tag in _HEADING_TAGS or (attrs and (
                    search(f"{attrs.get('class', '')} {attrs.get('id', '')}")
                    or attrs.get("itemprop") == "headline")):
                yield el


#: Rule T9: text that a site's banner, greeting or buttons show, never a headline
#: (a button is its whole text: 注册制改革… and 返回家乡的年轻人 are headlines)
_NOT_HEADLINE_RE = re.compile(
    r"^(?:登录|登陆|注册|设为首页|加入收藏|收藏本站|返回首页|返回顶部|返回|打印本页|打印|关闭窗口|关闭|搜索|"
    r"网站地图|联系我们|我要投稿)$"
    r"|^(?:您好|你好)[,，!！]|^(?:当前位置|您的位置|您现在的位置|现在的位置)|欢迎(?:您|光临|访问)"
)


def is_banner_text(text: str) -> bool:
    """Rule T9: banner, greeting or button text (``欢迎访问某某网``, ``设为首页``, ``当前位置：…``), never a
    headline; a headline that merely opens with such a word (``注册制改革…``) is not."""
    return bool(_NOT_HEADLINE_RE.search(text))


def _heading_candidates(doc: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """(text, element) of the heading-like elements, their text read as a headline: a meta line glued to
    it cut off (Rule T7), a comment count dropped (T6), banner and button text skipped (T9); an element of
    several lines (a headline and its dek) also offers its first line alone (T8)."""
    for el in _heading_elements(doc):
        if el.tag in ("a", "script", "style", "title", "meta", "body", "html"):
            continue
        text = text_of(el)
        if not 4 <= len(text) <= 160:
            continue
        if len(el):  # children: maybe a glued meta line or a dek in them
            lines = lines_of(el)
            head, glued = split_glued_meta(" ".join(lines))
            if glued:
                text = head
            if len(lines) > 1:
                first = strip_comment_count(split_glued_meta(lines[0])[0])
                if 4 <= len(first) <= 100 and not _NOT_HEADLINE_RE.search(first):
                    yield first, el
        else:
            text = split_glued_meta(text)[0]
        text = strip_comment_count(text)
        if 4 <= len(text) <= 100 and not _NOT_HEADLINE_RE.search(text):
            yield text, el


def find_title(doc: etree._Element, url: str = "") -> tuple[str, etree._Element | None] | None:
    """The headline text and its node.

    Rule T1: a heading-like element whose text matches ``<title>`` minus its site suffix or og:title
    (longest common run ≥ 60% of the longer) wins; ties go to h1 > h2 > h3, then to the first in the page.
    Rule T2: without such an element, og:title, then the ``<title>`` head, is the headline (node None).
    """
    titles = xpath_elements(TITLE, doc)
    raw_title = text_of(titles[0]) if titles else ""
    head = title_head(raw_title)
    meta_title = clean_text(_MARKUP_RE.sub("", first_string(META_TITLE, doc)))
    meta_head = title_head(meta_title) if meta_title else ""
    refs = [r for r in (head, meta_head, raw_title) if r]
    best: tuple[float, str, etree._Element] | None = None
    for order, (text, el) in enumerate(_heading_candidates(doc)):
        sim = max((_similarity(text, r) for r in refs), default=0.0)
        if sim < 0.6:
            continue
        weight = _TAG_WEIGHT.get(str(el.tag), 1.0)
        parent = el.getparent()
        if (parent is not None and parent.tag == "a") or any(
            len(text_of(a)) >= len(text) * 0.8 for a in el.iter("a")
        ):
            weight -= 1.0  # a heading that is one link is usually a logo or a list entry
        score = sim * 4 + weight - order * 0.001
        if best is None or score > best[0]:
            best = (score, text, el)
    if best is not None:
        return _strip_badge(best[1], refs), best[2]
    exact = _exact_title_node(doc, [r for r in (meta_head, head) if len(r) >= 5])
    if exact is not None:
        return exact
    if meta_head:
        return meta_head, None
    near = _heading_before_body(doc, url)
    if near is not None:
        return near
    if head and head == clean_text(raw_title):  # a <title> without a separator: maybe only the site name
        cell = _cell_before_body(doc, raw_title)
        if cell is not None:
            return cell
    for fallback in (meta_head, head):
        if fallback:
            return fallback, None
    return None


#: labels that templates glue in front of a headline (a badge element), never part of it
_BADGES = ("原创", "独家", "首发", "置顶", "推荐", "热门", "图集", "视频", "专题")


def _strip_badge(text: str, refs: list[str]) -> str:
    """Rule T4: a badge (原创, 独家, 置顶 …) opening the heading's text is dropped when no ``<title>`` or
    og:title reference opens with it: ``原创最不愁吃肉的国家`` beside ``<title>最不愁吃肉的国家``."""
    for badge in _BADGES:
        if text.startswith(badge) and len(text) > len(badge) + 4 and not any(r.startswith(badge) for r in refs):
            return text[len(badge):].lstrip(" |:·-")
    return text


def _exact_title_node(doc: etree._Element, refs: list[str]) -> tuple[str, etree._Element] | None:
    """Rule T1b: the last element outside any link whose whole text is the ``<title>`` head or og:title."""
    if not refs:
        return None
    wanted = {r.replace(" ", ""): r for r in refs}
    found: tuple[str, etree._Element] | None = None
    for el in xpath_elements(SHORT_TEXT_ELEMENTS, doc):
        text = text_of(el)
        if text.replace(" ", "") not in wanted or any(True for _ in el.iter("a")):
            continue
        if any(anc.tag == "a" for anc in el.iterancestors()):
            continue
        found = (text, el)
    return found


def _permalink(el: etree._Element, url: str) -> bool:
    """True when ``el`` holds a link to the page itself (``url``, fragment ignored): blog templates link
    the post's headline to its permalink."""
    if not url:
        return False
    own = urldefrag(url)[0]
    for a in el.iter("a"):
        href = a.get("href")
        if href:
            try:
                if urldefrag(urljoin(url, href.strip()))[0] == own:
                    return True
            except ValueError:
                continue
    return False


def _heading_before_body(doc: etree._Element, url: str = "") -> tuple[str, etree._Element] | None:
    """Rule T3: with no usable ``<title>``, the last h1–h3/title-classed element (not a lone link, unless it
    links to the page itself) that comes before the body text, or the first one inside it."""
    body = find_body_node(doc, None)
    if body is None:
        return None
    origin = body.get(ORIGIN_ATTR)
    anchor = resolve_path(doc, origin) if origin else body
    order = {el: i for i, el in enumerate(doc.iter())}
    limit = order.get(anchor) if anchor is not None else None
    if limit is None:
        return None
    chosen: tuple[str, etree._Element] | None = None
    for text, el in _heading_candidates(doc):
        if not 5 <= len(text) <= 60 or (any(len(text_of(a)) >= 0.8 * len(text) for a in el.iter("a"))
                                         and not _permalink(el, url)):
            continue
        pos = order.get(el, 0)
        if pos <= limit or (anchor is not None and is_inside(el, anchor) and chosen is None):
            chosen = (text, el)
        if pos > limit:
            break
    return chosen


#: Rule T10: tags of a plain element that may hold a headline with no heading markup (old table layouts)
_CELL_TAGS = frozenset(("td", "th", "div", "p", "span", "font", "b", "strong", "h5", "h6", "center", "li"))
_INLINE_TAGS = frozenset(("font", "b", "strong", "span", "em", "i", "u", "big"))
#: a line that is a date, a label, a breadcrumb or a sentence, not a headline
_NOT_CELL_HEADLINE_RE = re.compile(r"(?:19|20)\d\d[-/.年]|[:：>›»]|[。！？!?]$|\d{3,}-\d{4,}")


def _cell_before_body(doc: etree._Element, raw_title: str) -> tuple[str, etree._Element] | None:
    """Rule T10: with no heading and a ``<title>`` without a separator (often only the site's name), the last
    element before the body text whose own text is one line that reads like a headline:
    5–60 characters with a Chinese character, outside any link, no date, label colon, breadcrumb mark or
    closing sentence mark, not banner or button text (T9), not part of the ``<title>`` (the site name).
    Old templates put the headline in a plain table cell right above the text."""
    body = find_body_node(doc, None)
    if body is None:
        return None
    origin = body.get(ORIGIN_ATTR)
    anchor = resolve_path(doc, origin) if origin else body
    if anchor is None:
        return None
    site = clean_text(raw_title).replace(" ", "")
    chosen: tuple[str, etree._Element] | None = None
    for el in doc.iter(etree.Element):
        if el is anchor:
            break
        if el.tag not in _CELL_TAGS or is_inside(anchor, el) or any(c.tag not in _INLINE_TAGS for c in el):
            continue
        if any(anc.tag == "a" for anc in el.iterancestors()):
            continue
        text = text_of(el)
        if (not 5 <= len(text) <= 60 or not CJK_RE.search(text) or _NOT_CELL_HEADLINE_RE.search(text)
                or _NOT_HEADLINE_RE.search(text) or (site and text.replace(" ", "") in site)):
            continue
        chosen = (text, el)
    return chosen
