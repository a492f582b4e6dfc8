"""Generic (profile-less) extraction: one function per field, on an lxml.html tree.

The rules are small and documented one by one in ``docs/extraction.md``; each has a table test in
``tests/test_generic.py``. In short:

* headline: the heading-like element (h1–h3, ``*title*`` class/id) that best matches ``<title>`` minus its
  site suffix, or og:title; never ``<title>`` itself when the page shows a heading.
* body: text-density scoring — every block of text adds to its container a score from its length and its
  Chinese punctuation (，。、；：？！), link-heavy blocks add nothing, and the winner is penalised by its
  own link density and by a boilerplate class/id (comment, footer, nav, related …).
* meta text: the visible text between the headline and the body (where date, 来源 and 作者 stand).
* date: meta text first, then meta tags and JSON-LD, then the URL; never a header or footer date.
* source: 来源/稿源/出处/转自 value, or an outlet name standing unlabelled beside the date.
* bylines: byline rules on the meta text, the lead paragraph, the last paragraphs and editor lines
  just under the body.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from difflib import SequenceMatcher
from urllib.parse import urldefrag, urljoin

from lxml import etree

from linfen_crawler.extract.body import BLOCK_TAGS, node_text, xpath_elements, xpath_strings
from linfen_crawler.extract.byline import (
    LABEL_ROLES,
    Byline,
    bare_names,
    byline_paragraph,
    caption_credit,
    is_credit_line,
    lead_byline,
    looks_like_person,
    parse_byline,
    trailing_byline,
)
from linfen_crawler.extract.dates import DateMatch, date_from_url, parse_date
from linfen_crawler.normalize import clean_text

__all__ = [
    "EDITOR_LABELS",
    "closing_citation",
    "dated_bracket_names",
    "find_body_node",
    "find_bylines",
    "find_date",
    "find_footer_credits",
    "find_meta_text",
    "find_source",
    "find_title",
    "name_outlet",
    "title_head",
]

# ---------------------------------------------------------------------------------------------- XPaths
_TITLE_XP = etree.XPath("//title")
_META_TITLE_XP = etree.XPath(
    "//meta[@property='og:title' or @name='og:title' or @name='twitter:title' or @name='title'"
    " or @itemprop='headline' or @name='ArticleTitle']/@content"
)
#: class/id words of headline elements (checked in Python: libxml2's contains() on every element cost
#: more than a millisecond a page, over half the title step)
_HEADING_ATTR_RE = re.compile(r"tit|Tit|TIT|eading|biaoti")
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4"))
_DATE_META_XP = etree.XPath(
    "//meta[@property='article:published_time' or @name='article:published_time'"
    " or @itemprop='datePublished' or @name='pubdate' or @name='PubDate' or @name='publishdate'"
    " or @name='publish_date' or @name='PublishDate' or @name='publishDate' or @name='og:release_date'"
    " or @property='og:release_date' or @name='date' or @name='DC.date' or @name='dc.date'"
    " or @name='weibo:article:create_at' or @property='bytedance:published_time']/@content"
)
_JSONLD_XP = etree.XPath("//script[@type='application/ld+json']/text()")
_SOURCE_META_XP = etree.XPath(
    "//meta[@name='source' or @name='Source' or @name='ContentSource' or @name='contentSource'"
    " or @property='article:source']/@content"
)
_BODY_XP = etree.XPath("//body")
#: every editor label (``EDITOR_LABELS``) holds one of these; a text node holding none is no editor line
_EDITOR_KEYS = ("编", "校对", "审")


def _editor_text_xpath(keys: tuple[str, ...]) -> etree.XPath:
    """Parents of the text nodes under <body> that hold one of ``keys``.

    ``//body/descendant::text()`` selects what ``//body//text()`` does in one step, without a node set per
    element to merge (a tenth faster)."""
    test = " or ".join(f"contains(., '{key}')" for key in keys)
    return etree.XPath(f"//body/descendant::text()[{test}]/..")


#: one XPath per set of keys the page may hold: each ``contains`` costs about as much as the walk over
#: the text nodes, and a key that is nowhere in the page's text is in none of its text nodes
_EDITOR_TEXT_XPS = {
    keys: _editor_text_xpath(keys)
    for keys in (tuple(k for i, k in enumerate(_EDITOR_KEYS) if mask >> i & 1) for mask in range(1, 8))
}
# never <form>: ASP.NET pages wrap the whole page in one
_SKIP_TAGS = frozenset(("script", "style", "noscript", "head", "title", "meta", "link", "iframe", "textarea",
                        "select", "option", "button", "svg"))

# ---------------------------------------------------------------------------------------------- regexes
#: separators between headline and site name in <title>: "headline_site", "headline - site", "headline|site"
_TITLE_SEP_RE = re.compile(r"\s*(?:[_|｜]|--|\s[-–—]+\s|\s-|-\s)\s*")
_MARKUP_RE = re.compile(r"<[^<>]{1,200}>")
_PUNCT_RE = re.compile(r"[，。、；：？！,;?!…“”]")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
#: class/id of containers that are never the article body
_UNLIKELY_RE = re.compile(
    r"comment|footer|foot\b|(?:^|[\s_-])nav|sidebar|side-?bar|aside|related|recommend|hot-?news|hotlist|"
    r"rank|share|copyright|breadcrumb|crumb|banner|advert|(?:^|[\s_-])ad(?:s|v)?(?:$|[\s_-])|menu|"
    r"login|subscribe|links?(?:$|[\s_-])|friend|popular|more-?news|guess|xgxw|xgyd|tuijian|pinglun",
    re.I,
)
# body-container words; ``con``/``txt`` only as whole tokens (``news_con``, ``art-txt``), never inside
# ``icon`` or ``container``. TRS_Editor and Custom_UnionStyle are the body classes of the TRS CMS that many
# government and local news sites run on.
_LIKELY_RE = re.compile(r"article|content|main|text|body|detail|entry|post|story|zhengwen|"
                        r"(?:^|[\s_-])(?:con|txt)(?:$|[\s_-])|TRS_Editor|Custom_UnionStyle", re.I)

_LABEL_SOURCE_RE = re.compile(
    r"(?:来源|稿源|出处|转自|来自|消息来源|文章来源|新闻来源|信息来源)\s*[:：]?\s*[【\[]?\s*"
    r"(?P<v>[^\s:：|｜【】\[\]<>()（）]{2,30}(?:\s*[(（][^()（）]{1,12}[)）])?)"
)
#: words that end an unlabelled source value
_SOURCE_STOP_RE = re.compile(
    r"(?:作者|记者|编辑|责编|责任编辑|通讯员|发布时间|发布日期|时间|日期|浏览|阅读|点击|字号|评论|分享|"
    r"打印|关闭|收藏|编审|校对|审核|摄影|人参与|参与).*$"
)
#: outlet-looking names (an unlabelled source beside the date): 临汾日报, 新华社, 澎湃新闻, 央广网 …
_OUTLET = (
    r"(?:[\u3400-\u9fffA-Za-z0-9·]{1,16}(?:日报|晚报|早报|晨报|商报|时报|周报|周刊|导报|快报|"
    r"新闻|新闻网|网|报|社|台|电视台|广播电台|客户端|杂志|传媒|在线|资讯|头条|App|APP|号)"
    r"|新华社|中新社|人民网|新华网|央视网|中新网)"
)
#: one outlet, or two joined by a dash or a dot (金羊网—新快报: the portal and the paper it carries)
_OUTLET_RE = re.compile(rf"^{_OUTLET}(?:[—–\-·]{_OUTLET})?$")
#: Rule S4/A7: ``石佳/中国青年报 2019-09-24 09:10`` — a writer and the outlet, no label
_NAME_OUTLET_RE = re.compile(
    r"^(?P<name>[\u3400-\u9fff]{2,4})\s*/\s*(?P<outlet>[^\s/]{2,20})(?:\s|$)"
)
_PLACEHOLDER_SOURCES = frozenset(("网络", "互联网", "本站", "本网", "未知", "网友", "原创", "综合", "网络整理",
                                  "转载", "admin", "佚名"))
_DATE_TOKEN_RE = re.compile(
    r"(?:\d{2,4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}[-/月]\d{1,2}日?)(?:\s*\d{1,2}[:：]\d{2}(?::\d{2})?)?"
)
#: an editor credit's labels: the parser's (byline.LABEL_ROLES) and 本文编辑, which it reads as 编辑
EDITOR_LABELS = tuple(sorted([*(label for label, role in LABEL_ROLES.items() if role == "editor"), "本文编辑"],
                             key=len, reverse=True))
_EDITOR_ALTERNATIVES = "|".join(map(re.escape, EDITOR_LABELS))
#: the Latin brand a site puts before its editor label: ``ABC编辑：…`` (Rule A4). Not a Han word: in a
#: sentence (``图为出版社编辑：…``) the characters before 编辑 are as likely text as an outlet.
_EDITOR_BRAND = r"(?P<brand>[A-Za-z0-9]*[A-Za-z][A-Za-z0-9.\-]{0,19})"
_EDITOR_LINE_RE = re.compile(rf"^[\s【\[(（]*{_EDITOR_BRAND}?(?:{_EDITOR_ALTERNATIVES})\s*[:：]")
#: a Latin personal name (``Lena``, ``Demi Xia``): with a brand before the label the value must be a person
_LATIN_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z.'\-]*(?: [A-Za-z][A-Za-z.'\-]*){0,3}$")
_BYLINE_LINE_RE = re.compile(r"^[\s【\[(（]*(?:作者|记者|文|撰稿|通讯员|来源|稿源|图|摄影)\s*[:：/]")

META_TEXT_MAX = 400
#: paragraphs at the top of the body searched for a lead byline (a caption may come first)
LEAD_PARAGRAPHS = 2
#: paragraphs at the top of the body searched for a byline standing on its own (Rule A2b): a summary box
#: (划重点, 导读 …) or a subtitle may come first
BYLINE_PARAGRAPHS = 8
#: attribute of a detached body container naming the page path where its content starts
ORIGIN_ATTR = "data-linfen-origin"


# ---------------------------------------------------------------------------------------------- helpers
def _text(el: etree._Element) -> str:
    return clean_text(node_text(el))


def _first_string(xp: etree.XPath, doc: etree._Element) -> str:
    for value in xpath_strings(xp, doc):
        value = clean_text(value)
        if value:
            return value
    return ""


def _in(el: etree._Element, ancestor: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def _attrs(el: etree._Element) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


# ---------------------------------------------------------------------------------------------- title
def title_head(title: str) -> str:
    """``<title>`` without its site suffix: the longest leading run before a site separator.

    "走在最前列 争当排头兵_临汾新闻网" → "走在最前列 争当排头兵". The first segment is taken unless it is
    much shorter than a later one (a "频道 - 标题" prefix).
    """
    parts = [p for p in _TITLE_SEP_RE.split(clean_text(title)) if p]
    if not parts:
        return ""
    head = parts[0]
    if not _CJK_RE.search(head):  # a Latin site name before a Chinese headline: "Site - 标题"
        head = next((p for p in parts[1:] if _CJK_RE.search(p)), head)
    longest = max(parts, key=len)
    if len(head) < 6 and len(longest) >= 2 * len(head):
        return longest
    return head


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


def _heading_candidates(doc: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    for el in _heading_elements(doc):
        if el.tag in ("a", "script", "style", "title", "meta", "body", "html"):
            continue
        text = _text(el)
        if 4 <= len(text) <= 100:
            yield text, el


def find_title(doc: etree._Element, url: str = "") -> tuple[str, etree._Element | None] | None:
    """The headline text and its node.

    Rule T1: a heading-like element whose text matches ``<title>`` minus its site suffix or og:title
    (longest common run ≥ 60% of the longer) wins; ties go to h1 > h2 > h3, then to the first in the page.
    Rule T2: without such an element, og:title, then the ``<title>`` head, is the headline (node None).
    """
    titles = xpath_elements(_TITLE_XP, doc)
    raw_title = _text(titles[0]) if titles else ""
    head = title_head(raw_title)
    meta_title = clean_text(_MARKUP_RE.sub("", _first_string(_META_TITLE_XP, doc)))
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
            len(_text(a)) >= len(text) * 0.8 for a in el.iter("a")
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


_TEXT_ELEMENT_XP = etree.XPath(
    "//body//*[self::div or self::p or self::td or self::span or self::font or self::strong or self::b"
    " or self::center or self::li or self::section][string-length(normalize-space(.)) < 120]"
)


def _exact_title_node(doc: etree._Element, refs: list[str]) -> tuple[str, etree._Element] | None:
    """Rule T1b: the last element outside any link whose whole text is the ``<title>`` head or og:title."""
    if not refs:
        return None
    wanted = {r.replace(" ", ""): r for r in refs}
    found: tuple[str, etree._Element] | None = None
    for el in xpath_elements(_TEXT_ELEMENT_XP, doc):
        text = _text(el)
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
    anchor = _resolve(doc, origin) if origin else body
    order = {el: i for i, el in enumerate(doc.iter())}
    limit = order.get(anchor) if anchor is not None else None
    if limit is None:
        return None
    chosen: tuple[str, etree._Element] | None = None
    for text, el in _heading_candidates(doc):
        if not 5 <= len(text) <= 60 or (any(len(_text(a)) >= 0.8 * len(text) for a in el.iter("a"))
                                         and not _permalink(el, url)):
            continue
        pos = order.get(el, 0)
        if pos <= limit or (anchor is not None and _in(el, anchor) and chosen is None):
            chosen = (text, el)
        if pos > limit:
            break
    return chosen


# ---------------------------------------------------------------------------------------------- body
def _own_text_blocks(root: etree._Element) -> dict[etree._Element, list[int]]:
    """Per block element: [text length, link text length, punctuation count, br count] of its own text.

    Text inside inline elements counts for the nearest block ancestor; script/style/… subtrees count nothing.
    One pass in document order (parents are always seen before their children).
    """
    stats: dict[etree._Element, list[int]] = {}
    block_of: dict[etree._Element, etree._Element] = {}
    link_of: dict[etree._Element, bool] = {}
    skipped: set[etree._Element] = set()
    findall = _PUNCT_RE.findall

    def add(owner: etree._Element, text: str, in_link: bool) -> None:
        t = text.strip()
        if not t:
            return
        row = stats.get(block_of[owner])
        if row is None:
            row = stats[block_of[owner]] = [0, 0, 0, 0]
        row[0] += len(t)
        if in_link:
            row[1] += len(t)
        row[2] += len(findall(t))

    for el in root.iter():
        tag = el.tag
        parent = el.getparent()
        if not isinstance(tag, str) or tag in _SKIP_TAGS or (parent is not None and parent in skipped):
            skipped.add(el)
            if el.tail and parent is not None and parent not in skipped:
                add(parent, el.tail, link_of[parent])
            continue
        if tag in BLOCK_TAGS or parent is None:
            block_of[el] = el
        else:
            block_of[el] = block_of[parent]
        in_link = tag == "a" or (parent is not None and link_of[parent])
        link_of[el] = in_link
        if el.text:
            add(el, el.text, in_link)
        if parent is not None:
            if tag == "br":
                row = stats.setdefault(block_of[parent], [0, 0, 0, 0])
                row[3] += 1
            if el.tail:
                add(parent, el.tail, link_of[parent])
    return stats


def _subtree_totals(
    root: etree._Element, stats: dict[etree._Element, list[int]]
) -> dict[etree._Element, tuple[int, int]]:
    """(text length, link text length) of the whole subtree of every element that has text in it, from the
    block stats; an element missing from the result has (0, 0)."""
    totals: dict[etree._Element, list[int]] = {}
    for el in reversed(list(root.iter())):  # descendants before ancestors
        acc = totals.get(el)
        row = stats.get(el)
        if row is not None and (row[0] or row[1]):
            if acc is None:
                acc = totals[el] = [0, 0]
            acc[0] += row[0]
            acc[1] += row[1]
        if acc is None:
            continue  # nothing to pass up (half the elements or more: no getparent for them)
        parent = el.getparent()
        if parent is not None:
            up = totals.get(parent)
            if up is None:
                totals[parent] = [acc[0], acc[1]]
            else:
                up[0] += acc[0]
                up[1] += acc[1]
    return {el: (t[0], t[1]) for el, t in totals.items()}


_CONTAINER_TAGS = frozenset(("div", "td", "section", "article", "main", "body", "center", "font", "span"))


def _is_unlikely(el: etree._Element) -> bool:
    """Rule B2: class/id says comment, nav, footer, related, share … (and not article/content)."""
    tokens = _attrs(el)
    return bool(_UNLIKELY_RE.search(tokens)) and not _LIKELY_RE.search(tokens)


#: Rule B5: class/id of a comment thread (and not of the article: ``article-comment`` is no thread)
_COMMENTS_RE = re.compile(r"comment|pinglun|replies|reply-?list|feedback", re.I)
#: the least score of a container taken instead of a comment thread (a few sentences of text)
COMMENTS_ALTERNATIVE_MIN = 10.0


def _is_comments(el: etree._Element) -> bool:
    tokens = _attrs(el)
    return bool(_COMMENTS_RE.search(tokens)) and not _LIKELY_RE.search(tokens)


def _block_value(length: int, link_len: int, punct: int) -> float:
    """Score of one block of own text: 1 + punctuation + length/100 (≤ 3); link-heavy or tiny → 0."""
    plain = length - link_len
    if plain < 10 or link_len > 0.5 * length:
        return 0.0
    value = 1.0 + punct + min(plain / 100.0, 3.0)
    if length < 25 and punct == 0:
        value *= 0.3  # labels, captions and menu lines weigh little
    return value


def _score_containers(
    stats: dict[etree._Element, list[int]],
) -> dict[etree._Element, float]:
    """Readability-style scores: each text block adds to its container (and half to the next one up)."""
    scores: dict[etree._Element, float] = {}
    for block, (length, link_len, punct, brs) in stats.items():
        value = _block_value(length, link_len, punct)
        if not value:
            continue
        # text standing directly in a div/td split by <br> belongs to that container itself
        own = block.tag in _CONTAINER_TAGS and (brs >= 2 or length - link_len >= 200 or punct >= 5)
        first = block if own else block.getparent()
        if first is None:
            continue
        if _is_unlikely(first):
            value /= 4.0  # B2 applies to what the container passes up as well
        scores[first] = scores.get(first, 0.0) + value
        second = first.getparent()
        if second is not None:
            scores[second] = scores.get(second, 0.0) + value * 0.5
    return scores


def _child_weight(child: etree._Element, stats: dict[etree._Element, list[int]]) -> float:
    """Weight of one child of the body container: text value minus 1 per text block and link text / 10."""
    weight = 0.0
    for el in child.iter():
        row = stats.get(el)
        if row is None:
            continue
        length, link_len, punct, _ = row
        if length - link_len < 40 and is_credit_line(_text(el)):
            weight += 1.5  # 来源/编辑 lines close the article: keep them in the run
            continue
        weight += _block_value(length, link_len, punct) - 1.0 - link_len / 10.0
    return weight


def _trim(container: etree._Element, stats: dict[etree._Element, list[int]]) -> etree._Element:
    """Rule B4: keep the best-scoring contiguous run of the container's children (Kadane's algorithm).

    Old table layouts put headline, paragraphs, related links and ads side by side in one cell; the run of
    children with the highest summed weight is the article. One child → that child; the whole container
    → the container; otherwise a detached ``<div>`` holding copies of the run, whose ``data-linfen-origin``
    attribute is the path of the run's first child in the page (used by ``find_meta_text``).
    """
    row = stats.get(container)
    if row is not None and row[0] - row[1] >= 50:
        return container  # the container holds text of its own: keep it whole
    children = [c for c in container if isinstance(c.tag, str)]
    if len(children) < 2:
        return container
    weights = [_child_weight(c, stats) for c in children]
    best_sum, best_span = 0.0, (0, len(children) - 1)
    run_sum, run_start = 0.0, 0
    for i, w in enumerate(weights):
        if run_sum <= 0:
            run_sum, run_start = w, i
        else:
            run_sum += w
        if run_sum > best_sum:
            best_sum, best_span = run_sum, (run_start, i)
    start, end = best_span
    if start == 0 and end == len(children) - 1:
        return container
    dropped = sum(w for i, w in enumerate(weights) if (i < start or i > end) and w < 0)
    if dropped > -5.0:
        return container  # nothing much outside the run: keep the whole container
    if start == end:
        return children[start]
    synthetic = etree.Element("div")
    synthetic.set(ORIGIN_ATTR, container.getroottree().getpath(children[start]))
    for child in children[start : end + 1]:
        clone = copy.deepcopy(child)
        synthetic.append(clone)
    return synthetic


def find_body_node(doc: etree._Element, title_node: etree._Element | None) -> etree._Element | None:
    """The element that holds the article text.

    Rule B1: text density — blocks of text score 1 + punctuation count + length/100 (≤ 3) for their
    container (half for the container above); blocks with < 10 characters of non-link text or more than half
    link text score nothing. Rule B2: a container's final score is multiplied by (1 - link density) and
    divided by 4 when its class/id says comment, nav, footer, related, share …. Rule B3: the headline's own
    ancestors are avoided when a container without the headline scores at least half as much.
    """
    stats = _own_text_blocks(doc)
    scores = _score_containers(stats)
    if not scores:
        bodies = xpath_elements(_BODY_XP, doc)
        return bodies[0] if bodies else None
    totals = _subtree_totals(doc, stats)
    ranked: list[tuple[float, etree._Element]] = []
    for el, score in scores.items():
        if not isinstance(el.tag, str) or el.tag in ("html", "head"):
            continue
        total, links = totals.get(el, (0, 0))
        final = score * (1.0 - (links / total if total else 1.0))
        ranked.append((final, el))
    if not ranked:
        return None
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    best_score, best = ranked[0]
    if _is_comments(best):  # Rule B5: a long comment thread is never the article
        for score, el in ranked[1:]:
            if score < COMMENTS_ALTERNATIVE_MIN:
                break
            if not _is_comments(el) and not _in(el, best) and not _in(best, el):
                best_score, best = score, el
                break
    if title_node is not None and _in(title_node, best):
        for score, el in ranked[1:]:
            if score < best_score * 0.5:
                break
            if not _in(title_node, el) and _in(el, best):
                best = el
                break
    return _trim(best, stats)


# ---------------------------------------------------------------------------------------------- meta
#: a block boundary among ``_texts_between``'s parts (NUL never occurs in parsed HTML text)
_BREAK = "\x00"
#: stands for the end of a block element in ``_texts_between``'s walk
_LINE_END = etree.Element("br")


def _lines(parts: Iterable[str]) -> str:
    """Text parts with ``_BREAK`` block boundaries → cleaned non-empty lines joined by ``"\n"`` (a line
    break inside a text node is only whitespace, as the browser shows it)."""
    return "\n".join(line for line in map(clean_text, " ".join(parts).split(_BREAK)) if line)


def _after(start: etree._Element) -> list[tuple[etree._Element, bool]]:
    """The walk stack for everything after ``start`` in document order: its tail, its following siblings,
    then each ancestor's end (line break and tail) and following siblings — no walk from the page top."""
    chain = [start, *start.iterancestors()]
    stack: list[tuple[etree._Element, bool]] = []
    for depth in range(len(chain) - 1, -1, -1):  # outermost first: it is popped last
        node = chain[depth]
        stack.extend((sib, False) for sib in reversed(list(node.itersiblings())))
        stack.append((node, True))
        if depth and isinstance(node.tag, str) and node.tag in BLOCK_TAGS:
            stack.append((_LINE_END, True))
    return stack


def _precedes_or_contains(a: etree._Element, b: etree._Element) -> bool:
    """True when ``a`` starts before ``b`` in document order (``a`` an ancestor of ``b`` included)."""
    chain_b = [b, *b.iterancestors()]
    index_b = {id(el): i for i, el in enumerate(chain_b)}
    prev: etree._Element | None = None
    for node in (a, *a.iterancestors()):
        if id(node) in index_b:
            if prev is None:
                return True  # a is b or an ancestor of b
            child_b = chain_b[index_b[id(node)] - 1] if index_b[id(node)] else None
            if child_b is None:
                return False  # b is an ancestor of a
            return node.index(prev) < node.index(child_b)
        prev = node
    return False


def _texts_between(doc: etree._Element, start: etree._Element | None, stop: etree._Element | None,
                   limit: int, max_lines: int | None = None) -> list[str]:
    """Visible text nodes after ``start``'s end and before ``stop``'s start, in document order.

    A depth-first walk with an explicit stack, so an element's tail comes after its children's text
    (``来源：[<a>人民网</a>]`` reads ``来源：[人民网]``) and script/style subtrees are never entered. With a
    ``start`` the walk begins right after it, and returns nothing when ``stop`` comes before it;
    ``max_lines`` ends it once that many lines holding text have begun.
    """
    out: list[str] = []
    size = 0
    lines = 0
    fresh = True  # no text since the last line break
    if start is None:
        stack: list[tuple[etree._Element, bool]] = [(doc, False)]
    elif stop is not None and _precedes_or_contains(stop, start):
        return out
    else:
        stack = _after(start)
    while stack:
        el, closing = stack.pop()
        if closing:
            if el is _LINE_END:
                out.append(_BREAK)
                fresh = True
            elif el.tail and el.tail.strip():
                out.append(el.tail)
                size += len(el.tail.strip())
                if fresh:
                    fresh, lines = False, lines + 1
            continue
        if stop is not None and el is stop:
            break
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP_TAGS:
            stack.append((el, True))
            continue
        if tag in BLOCK_TAGS or tag == "br":
            out.append(_BREAK)  # a block boundary ends the line (Rule M4)
            fresh = True
            stack.append((el, True))
            stack.append((_LINE_END, True))
        else:
            stack.append((el, True))
        if el.text and el.text.strip():
            out.append(el.text)
            size += len(el.text.strip())
            if fresh:
                fresh, lines = False, lines + 1
            if size > limit * 4 and start is not None:
                break
        if max_lines is not None and lines > max_lines:
            break
        stack.extend((child, False) for child in reversed(el))
    return out


def find_meta_text(doc: etree._Element, title_node: etree._Element | None,
                   body_node: etree._Element | None) -> str:
    """Visible text near the headline where date, 来源 and 作者 stand (≤ META_TEXT_MAX characters).

    Rule M1: the text between the headline and the body. Rule M2: without a headline node, the last
    META_TEXT_MAX characters before the body. Rule M3: when the headline sits inside the body container, the
    text after the headline up to the first long paragraph.
    """
    if body_node is not None and body_node.get(ORIGIN_ATTR):
        origin = body_node.getroottree().getroot() is body_node and _resolve(doc, body_node.get(ORIGIN_ATTR, ""))
        body_node = origin if isinstance(origin, etree._Element) else None
    if title_node is not None and body_node is not None and _in(body_node, title_node):
        body_node = None
    if title_node is not None and body_node is not None and not _in(title_node, body_node):
        parts = _texts_between(doc, title_node, body_node, META_TEXT_MAX)
        text = _lines(parts)
        if text:
            return text[:META_TEXT_MAX]
    if title_node is not None:
        parts = []
        size = 0
        for part in _texts_between(doc, title_node, None, META_TEXT_MAX):
            if part == _BREAK:
                parts.append(part)
                continue
            cleaned = clean_text(part)
            if len(cleaned) > 60 and len(_PUNCT_RE.findall(cleaned)) >= 3:
                break  # the first real paragraph
            parts.append(cleaned)
            size += len(cleaned)
            if size >= META_TEXT_MAX:
                break
        return _lines(parts)[:META_TEXT_MAX]
    if body_node is not None:
        text = _lines(_texts_between(doc, None, body_node, 10**9))
        return text[-META_TEXT_MAX:]
    return ""


def _resolve(doc: etree._Element, path: str) -> etree._Element | None:
    try:
        found = doc.getroottree().xpath(path)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


# ---------------------------------------------------------------------------------------------- date
def _jsonld_dates(doc: etree._Element) -> Iterator[str]:
    for raw in xpath_strings(_JSONLD_XP, doc):
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                for key in ("datePublished", "dateCreated", "pubDate"):
                    value = item.get(key)
                    if isinstance(value, str):
                        yield value
                stack.extend(v for v in item.values() if isinstance(v, dict | list))


#: class/id of an element that holds the page's own date (``<span class="time">``, ``id="pubdate"``)
_DATE_ATTR_RE = re.compile(r"time|date|publish|(?:^|[\s_-])pub", re.I)
#: a short line that is a publish label and a date: 发布时间：2021-03-05 10:00
_PUBLISH_DATE_LINE_RE = re.compile(
    r"^(?:发布|发表|更新|刊发|日期|时间)[^\d]{0,4}(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?"
    r"(?:\s*\d{1,2}[:：时]\d{2}(?:[:：分]\d{2})?)?$"
)
#: a line that is only a date (an edition date above a newspaper headline), weekday allowed
_DATE_ONLY_LINE_RE = re.compile(
    r"^[(（\[【]?\s*(?:(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?)(?:\s*(?:星期|周)[一二三四五六日天])?"
    r"\s*[)）\]】]?$"
)
#: a line that opens with a date (and maybe a weekday) followed by a space or nothing: 2020年01月02日 往期
_DATE_LINE_START_RE = re.compile(
    r"^(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?(?:\s*(?:星期|周)[一二三四五六日天])?(?=\s|$)"
)
#: a publish label right before a date: 发布于 / 发布时间 / 发表于 / 更新时间 …
_PUBLISH_LABEL_RE = re.compile(r"(?:发布|发表|更新|刊发|上线)(?:于|时间|日期)?\s*[:：]?\s*$")
DATE_BEFORE_TITLE_CHARS = 200
LEAD_DATE_PARAGRAPHS = 4


def _date_elements(doc: etree._Element, after: etree._Element | None) -> Iterator[str]:
    """Rule D4: texts of short ``<time>`` elements or elements classed time/date/publish, after ``after``."""
    started = after is None
    for el in doc.iter(etree.Element):
        if not started:
            started = el is after
            continue
        if el.tag != "time" and not _DATE_ATTR_RE.search(_attrs(el)):
            continue
        if el.tag in _SKIP_TAGS or _is_unlikely(el):
            continue
        text = _text(el)
        if 8 <= len(text) <= 40:
            yield text
        elif el.tag == "time" and el.get("datetime"):
            yield el.get("datetime", "")


def _refine(found: DateMatch, doc: etree._Element, now: datetime | None, tz: str) -> DateMatch:
    """Rule D8: a date shown without a time takes the time of the same day shown after a publish label
    (发布于：2015-11-05 11:34) or in a date-classed element elsewhere on the page."""
    day = found.value[:10]
    text = clean_text(" ".join(_texts_between(doc, None, None, 10**9)))
    for m in _DATE_TOKEN_RE.finditer(text):
        if not _PUBLISH_LABEL_RE.search(text[max(0, m.start() - 8): m.start()]):
            continue
        better = parse_date(m.group(), now=now, tz=tz)
        if better is not None and better.value[:10] == day and len(better.value) > 10:
            return better
    return found


def _date_before(doc: etree._Element, title_node: etree._Element | None) -> DateMatch | None:
    """Rule D7: a line that opens with a date among the last DATE_BEFORE_TITLE_CHARS characters before the
    headline (newspaper-edition pages print the issue date above the article)."""
    if title_node is None:
        return None
    text = _lines(_texts_between(doc, None, title_node, 10**9))
    lines = text[-DATE_BEFORE_TITLE_CHARS:].split("\n")
    if len(text) > DATE_BEFORE_TITLE_CHARS:
        lines = lines[1:]  # the first piece is a cut line
    for line in reversed(lines):
        m = _DATE_LINE_START_RE.match(line)
        if m:
            return parse_date(m.group())
    return None


def find_date(doc: etree._Element, url: str, meta_text: str, *, now: datetime | None = None,
              tz: str = "Asia/Shanghai", title_node: etree._Element | None = None,
              lead: Sequence[str] = ()) -> DateMatch | None:
    """Publication date: Rule D1 the meta text by the headline; D2 meta tags; D3 JSON-LD; D4 a date-classed
    element after the headline; D5 a date-only line at the top of the body; D6 the URL; D7 a date-only
    line just above the headline. A date without a time is refined by Rule D8."""
    found = _find_date(doc, url, meta_text, now=now, tz=tz, title_node=title_node, lead=lead)
    if found is None:
        return None
    if len(found.value) == 10:
        found = _refine(found, doc, now, tz)
    return DateMatch(found.value, clean_text(found.text))


def _find_date(doc: etree._Element, url: str, meta_text: str, *, now: datetime | None, tz: str,
               title_node: etree._Element | None, lead: Sequence[str]) -> DateMatch | None:
    found = parse_date(meta_text, now=now, tz=tz) if meta_text else None
    if found is not None:
        return found
    for value in _iter_chain(xpath_strings(_DATE_META_XP, doc), _jsonld_dates(doc)):
        found = parse_date(clean_text(value), now=now, tz=tz)
        if found is not None:
            return found
    for value in _date_elements(doc, title_node):
        found = parse_date(value, now=now, tz=tz)
        if found is not None and len(found.value) >= 10:
            return found
    for para in lead[:LEAD_DATE_PARAGRAPHS]:
        if len(para) <= 40 and (_DATE_ONLY_LINE_RE.match(para) or _PUBLISH_DATE_LINE_RE.match(para)):
            found = parse_date(para, now=now, tz=tz)
            if found is not None:
                return found
    if url:
        found = date_from_url(url)
        if found is not None:
            return found
    return _date_before(doc, title_node)


def _iter_chain(*iterables: Iterable[str]) -> Iterator[str]:
    for it in iterables:
        yield from it


# ---------------------------------------------------------------------------------------------- source
def _clean_source(value: str) -> str | None:
    value = _SOURCE_STOP_RE.sub("", value).strip(" :：,，;；|｜-—·")
    value = _DATE_TOKEN_RE.sub("", value).strip()
    if not value or value in _PLACEHOLDER_SOURCES or len(value) < 2:
        return None
    return value


def find_source(doc: etree._Element, meta_text: str, title_node: etree._Element | None = None) -> str | None:
    """The outlet credited as origin.

    Rule S1: the labelled value (来源/稿源/出处/转自 …) in the meta text, read by ``byline.parse_byline``.
    Rule S2: an outlet-looking name (…日报, …网, …社, 客户端 …) standing alone right after or before the
    date. Rule S6: the text of a source-classed element in the headline's header block. Rule S3:
    ``<meta name="source">``.
    Placeholders (网络, 互联网, 本站 …) give None.
    """
    text = clean_text(meta_text)
    labelled = parse_byline(text).source if text else None
    if labelled:
        return _clean_source(labelled)
    if _LABEL_SOURCE_RE.search(text):
        return None  # labelled, but only with a placeholder
    date = _DATE_TOKEN_RE.search(text)
    if date:
        for token in (text[date.end():].split()[:1] + text[: date.start()].split()[-1:]):
            token = token.strip(" :：,，|｜")
            if _OUTLET_RE.match(token) and _clean_source(token):
                return _clean_source(token)
    for line in meta_text.splitlines():
        pair = name_outlet(line)
        if pair:
            return pair[1]
    slot = _source_slot(_header_block(doc, title_node), meta_text) if title_node is not None and text else None
    if slot:
        return slot
    meta = _first_string(_SOURCE_META_XP, doc)
    return _clean_source(meta) if meta else None


#: Rule S6: class/id of the element that shows the source without a label (``<span class="source">``)
_SOURCE_ATTR_RE = re.compile(r"source|laiyuan|copyfrom", re.I)
#: a slot opening with a label the byline parser knows, then a space or a colon (``来源 河东周刊``), holds
#: a label, not a bare outlet (文汇报 opens with the label 文 but no separator follows it)
_LABEL_START_RE = re.compile(
    rf"^(?:{'|'.join(map(re.escape, sorted(LABEL_ROLES, key=len, reverse=True)))})(?:\s|[:：]|$)"
)
_SOURCE_SLOT_RE = re.compile(r"^[\u3400-\u9fffA-Za-z0-9][\u3400-\u9fffA-Za-z0-9·\- ]{1,19}$")


def _source_slot(block: etree._Element, meta_text: str) -> str | None:
    """Rule S6: the whole text of a source-classed element (class/id ``source``, ``laiyuan``, ``copyfrom``)
    in the headline's header block, standing as a word of its own in the meta text: templates print the
    outlet there without a 来源 label (``<span class="source">河东晚报</span>``). A value holding a date
    or a colon, or opening with a known label (``来源 河东周刊``, ``作者 钱海``), is not a bare outlet."""
    words = {w for line in meta_text.splitlines() for w in (line, *line.split())}
    for el in block.iter(etree.Element):
        attrs = el.attrib
        if not attrs or el.tag in _SKIP_TAGS:
            continue
        if not _SOURCE_ATTR_RE.search(f"{attrs.get('class', '')} {attrs.get('id', '')}"):
            continue
        value = _text(el)
        if (value in words and _SOURCE_SLOT_RE.match(value) and not _DATE_TOKEN_RE.search(value)
                and not _LABEL_START_RE.match(value)):
            return _clean_source(value)
    return None


def name_outlet(line: str) -> tuple[str, str] | None:
    """Rule S4/A7: a meta line opening with ``name/outlet`` and no label (``石佳/中国青年报 2019-09-24``)
    → (writer, outlet). The name must look like a person's (common surname) and the outlet like an
    outlet (…报, …网, …社 …); ``文/张三`` and ``图/新华社`` are labels, not names."""
    m = _NAME_OUTLET_RE.match(clean_text(line))
    if m is None or not looks_like_person(m["name"]) or not _OUTLET_RE.match(m["outlet"]):
        return None
    outlet = _clean_source(m["outlet"])
    return (m["name"], outlet) if outlet else None


# ---------------------------------------------------------------------------------------------- bylines
#: an editor label and its colon anywhere in the page text: without one no element can be an editor line
_EDITOR_LABEL_RE = re.compile(rf"(?:{_EDITOR_ALTERNATIVES})\s*[:：]")


def _editor_lines(doc: etree._Element) -> Iterator[str]:
    """Short elements whose whole text is an editor credit (责任编辑：…), or whose parent's is.

    The page's text (one C call) is searched for an editor label first; the XPath over every text node
    runs only when there is one (a third of pages), which halves this rule's cost. It tests a text node
    only for the keys (``_EDITOR_KEYS``) that the page's text may hold at all."""
    page = etree.tostring(doc, method="text", encoding=str)
    if not _EDITOR_LABEL_RE.search(page):
        return
    # a key's first character is looked for (a memchr, where a two-character key costs a scan in Python):
    # never an empty set, since every label holds a key
    keys = tuple(key for key in _EDITOR_KEYS if key[0] in page)
    for el in xpath_elements(_EDITOR_TEXT_XPS[keys], doc):
        for node in (el, el.getparent()):
            if node is None or node.tag in _SKIP_TAGS:
                break
            text = _text(node)
            if len(text) > 40:
                break
            m = _EDITOR_LINE_RE.match(text)
            if m:
                if m["brand"] is None or _brand_credit_ok(text):
                    yield text
                break


def _brand_credit_ok(line: str) -> bool:
    """Rule A4: a credit with a brand before its editor label (``ABC编辑：Lena``) counts only when every
    editor it names looks like a person (a common-surname Han name or a Latin name)."""
    editors = parse_byline(line).editors
    return bool(editors) and all(looks_like_person(n) or _LATIN_NAME_RE.match(n) for n in editors)


def find_bylines(doc: etree._Element, meta_text: str, paragraphs: list[str],
                 title_node: etree._Element | None = None) -> Byline:
    """Writers and editors named around the article (the source is left to :func:`find_source`).

    Rule A1: byline labels in the meta text (作者：…, 记者 …, 编辑：…). Rule A2: a lead byline in the first
    paragraph (本报讯（记者 王长波）…). Rule A3: a trailing byline in the last paragraphs (（张三）, 作者系…,
    （刘通 摄）). Rule A4: a short 责任编辑/编辑 line standing alone anywhere in the page.
    """
    byline = Byline()
    for line in meta_text.splitlines():  # Rule M4: one block line at a time
        pair = name_outlet(line)
        byline = byline.merge(Byline(authors=[pair[0]]) if pair else parse_byline(line))
        byline = byline.merge(Byline(authors=dated_bracket_names(line)))
    if paragraphs:
        for para in paragraphs[:LEAD_PARAGRAPHS]:
            byline = byline.merge(lead_byline(para))
        for para in paragraphs[-3:]:
            byline = byline.merge(trailing_byline(para))
        for para in paragraphs:  # Rule A6: photo credits closing captions anywhere in the body
            if "摄" in para:
                byline = byline.merge(Byline(authors=caption_credit(para)))
        if not byline.authors:  # Rule A2b: a byline after a summary box, when no other rule found a writer
            for para in paragraphs[LEAD_PARAGRAPHS:BYLINE_PARAGRAPHS]:
                byline = byline.merge(Byline(authors=byline_paragraph(para)))
    for line in _editor_lines(doc):
        byline = byline.merge(parse_byline(line))
    if not byline.authors and meta_text:
        slot = _author_slot(_header_block(doc, title_node), meta_text)
        if slot:
            byline = byline.merge(Byline(authors=[slot]))
    return Byline(source=None, authors=byline.authors, editors=byline.editors)


#: labels of two characters or more (来源, 作者, 点击 …): one of them after the bracket marks a meta line
_LONG_LABELS = sorted((label for label in LABEL_ROLES if len(label) > 1), key=len, reverse=True)
#: Rule A9: a square bracket right after the date in a meta line, followed by another meta item (a label
#: or a time): ``2004年7月16日08:19 [ 张三 ] 来源：…``. Round brackets hold a weekday or a place as often.
_DATED_BRACKET_RE = re.compile(
    rf"(?:{_DATE_TOKEN_RE.pattern})\s*(?:\[\s*(?P<names>[^\[\]【】()（）]{{2,30}}?)\s*\]"
    rf"|【\s*(?P<names2>[^\[\]【】()（）]{{2,30}}?)\s*】)"
    rf"[^\u3400-\u9fffA-Za-z0-9]{{0,4}}(?:{'|'.join(map(re.escape, _LONG_LABELS))}"
    r"|\d{1,2}[:：]\d{2})"
)
#: a weekday (周六, 星期日), a picture/video tag (高清, 组图 …) or a place with an administrative suffix
#: (温州, 某某县) in that bracket is no name
_BRACKET_NOT_NAME_RE = re.compile(
    r"^(?:周[一二三四五六日天]|星期.|礼拜.|高清|组图|图文|视频|独家|原创|快讯|直播|专题)$|(?:州|市|县|区|镇|乡|村)$"
)


def dated_bracket_names(line: str) -> list[str]:
    """Rule A9: writers in a square bracket (``[ … ]`` or ``【…】``) standing right after the date in a meta
    line, without a label, and followed by another meta item — a label (来源, 作者, 点击 …) or a time
    (``2004年7月16日08:19 [ 张三 ] 来源：…``). Every token must be a 2–4 character Han name led by a common
    surname (``byline.bare_names``); none may look like an outlet (``[ 金陵网 ]``), a weekday (周六, 星期日)
    or a picture tag (高清, 组图). Round brackets (``2023年5月6日（周六）``) are never read."""
    m = _DATED_BRACKET_RE.search(clean_text(line))
    if m is None:
        return []
    names = bare_names(m["names"] or m["names2"])
    if any(_OUTLET_RE.match(n) or _BRACKET_NOT_NAME_RE.search(n) for n in names):
        return []
    return names


#: class/id of the element that shows the writer or publishing account without a label
_AUTHOR_ATTR_RE = re.compile(r"author", re.I)
#: …but not its avatar, icon, follow button or tip box
_AUTHOR_NOT_RE = re.compile(r"icon|avatar|img|image|head|pic|photo|follow|reward|qrcode|more|list|intro|desc",
                            re.I)
_NAME_SLOT_RE = re.compile(r"^[\u3400-\u9fffA-Za-z][\u3400-\u9fffA-Za-z0-9·._\- ]{1,19}$")


#: how far above the headline the header block (headline, account, date) is looked for (Rule A5)
HEADER_LEVELS = 2


def _header_block(doc: etree._Element, title_node: etree._Element | None) -> etree._Element:
    """The headline's ancestor HEADER_LEVELS up (the block holding headline, account and date), or the
    page when the headline node is unknown."""
    if title_node is None:
        return doc
    block = title_node
    for _ in range(HEADER_LEVELS):
        parent = block.getparent()
        if parent is None:
            break
        block = parent
    return block


def _author_slot(doc: etree._Element, meta_text: str) -> str | None:
    """Rule A5: with no labelled writer, the text of an author-classed element (class/id ``author…``,
    ``itemprop=author``, ``rel=author``; not its avatar or follow button) in the headline's header block,
    standing as a word of its own in the meta text between headline and body — self-media pages show the
    account there unlabelled."""
    words = {w for line in meta_text.splitlines() for w in (line, *line.split())
             if _NAME_SLOT_RE.match(w) and not _DATE_TOKEN_RE.search(w)}
    if not words:
        return None
    for el in doc.iter(etree.Element):
        attrs = el.attrib
        if not attrs:
            continue
        marks = f"{attrs.get('class', '')} {attrs.get('id', '')}"
        if not (_AUTHOR_ATTR_RE.search(marks) or attrs.get("itemprop") == "author" or attrs.get("rel") == "author"):
            continue
        if _AUTHOR_NOT_RE.search(marks) or el.tag in _SKIP_TAGS:
            continue
        text = _text(el)
        if text in words:
            return text
    return None


# ---------------------------------------------------------------------------------------------- after the body
#: Rule S5: a closing citation naming the publication: 转自《北京科技报》, （原载《河东日报》）, ——《河东日报》
_CITATION_RE = re.compile(
    r"(?:^[(（]?\s*(?:转自|转载自|摘自|选自|原载|刊于|来源|稿源|出处)\s*[:：]?\s*|(?:^|[。!?！？”\s])——\s*)"
    r"《(?P<name>[^《》]{2,20})》\s*[)）]?$"
)
#: lines right after the body that may credit people or the source (Rule A8)
FOOTER_LINES = 6
FOOTER_LINE_MAX = 60


def closing_citation(paragraphs: Sequence[str]) -> str | None:
    """Rule S5: the publication named by a citation closing one of the last three paragraphs."""
    for para in reversed(paragraphs[-3:]):
        m = _CITATION_RE.search(clean_text(para))
        if m:
            return _clean_source(m["name"])
    return None


def find_footer_credits(doc: etree._Element, body_node: etree._Element | None) -> Byline:
    """Rule A8: credit lines standing right after the body container (old templates put 编辑：… 来源：…
    作者：… in a table under the text): the run of short lines opening with a byline or editor label that
    starts right after it (at most FOOTER_LINES)."""
    if body_node is None or body_node.get(ORIGIN_ATTR) or body_node.getparent() is None:
        return Byline()
    found = Byline()
    lines = _lines(_texts_between(doc, body_node, None, FOOTER_LINES * FOOTER_LINE_MAX,
                                  max_lines=FOOTER_LINES)).split("\n")
    for line in lines[:FOOTER_LINES]:
        if len(line) > FOOTER_LINE_MAX or not (_BYLINE_LINE_RE.match(line) or _EDITOR_LINE_RE.match(line)):
            break  # the credits stand together right under the text
        found = found.merge(parse_byline(line))
    return found
