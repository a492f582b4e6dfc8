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
from collections.abc import Iterable, Iterator
from datetime import datetime
from difflib import SequenceMatcher

from lxml import etree

from linfen_crawler.extract.body import BLOCK_TAGS, node_text, xpath_elements, xpath_strings
from linfen_crawler.extract.byline import Byline, is_credit_line, lead_byline, parse_byline, trailing_byline
from linfen_crawler.extract.dates import DateMatch, date_from_url, parse_date
from linfen_crawler.normalize import clean_text

__all__ = [
    "find_body_node",
    "find_bylines",
    "find_date",
    "find_meta_text",
    "find_source",
    "find_title",
    "title_head",
]

# ---------------------------------------------------------------------------------------------- XPaths
_TITLE_XP = etree.XPath("//title")
_META_TITLE_XP = etree.XPath(
    "//meta[@property='og:title' or @name='og:title' or @name='twitter:title' or @name='title'"
    " or @itemprop='headline' or @name='ArticleTitle']/@content"
)
_HEADING_XP = etree.XPath(
    "//body//*[self::h1 or self::h2 or self::h3 or self::h4"
    " or contains(@class,'tit') or contains(@class,'Tit') or contains(@class,'TIT')"
    " or contains(@id,'tit') or contains(@id,'Tit') or contains(@id,'TIT')"
    " or contains(@class,'eading') or contains(@class,'biaoti') or @itemprop='headline']"
)
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
_EDITOR_TEXT_XP = etree.XPath(
    "//body//text()[contains(., '编') or contains(., '校对') or contains(., '审核')]/.."
)
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
_LIKELY_RE = re.compile(r"article|content|main|text|body|detail|entry|post|story|zhengwen|news_?txt|"
                        r"TRS_Editor|Custom_UnionStyle|con", re.I)

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
_OUTLET_RE = re.compile(
    r"^(?:[\u3400-\u9fffA-Za-z0-9·]{1,16}(?:日报|晚报|早报|晨报|商报|时报|周报|周刊|导报|快报|"
    r"新闻|新闻网|网|报|社|台|电视台|广播电台|客户端|杂志|传媒|在线|资讯|头条|App|APP|号)"
    r"|新华社|中新社|人民网|新华网|央视网|中新网)$"
)
_PLACEHOLDER_SOURCES = frozenset(("网络", "互联网", "本站", "本网", "未知", "网友", "原创", "综合", "网络整理",
                                  "转载", "admin", "佚名"))
_DATE_TOKEN_RE = re.compile(
    r"(?:\d{2,4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}[-/月]\d{1,2}日?)(?:\s*\d{1,2}[:：]\d{2}(?::\d{2})?)?"
)
_EDITOR_LINE_RE = re.compile(r"^[\s【\[(（]*(?:责任编辑|责编|编辑|校对|审核|编审|值班编辑|本文编辑)\s*[:：]")
_BYLINE_LINE_RE = re.compile(r"^[\s【\[(（]*(?:作者|记者|文|撰稿|通讯员|来源|稿源|图|摄影)\s*[:：/]")

META_TEXT_MAX = 400
#: paragraphs at the top of the body searched for a lead byline (a caption may come first)
LEAD_PARAGRAPHS = 2
#: attribute of a detached body container naming the page path where its content starts
ORIGIN_ATTR = "data-linfen-origin"
CAPTION_MAX = 80


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
    longest = max(parts, key=len)
    if len(head) < 6 and len(longest) >= 2 * len(head):
        return longest
    return head


def _similarity(candidate: str, reference: str) -> float:
    """Share of the candidate and the reference covered by their longest common run (0..1)."""
    if not candidate or not reference:
        return 0.0
    a, b = candidate.replace(" ", ""), reference.replace(" ", "")
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size / max(len(a), len(b))


_TAG_WEIGHT = {"h1": 3.0, "h2": 2.5, "h3": 1.5, "h4": 0.5}


def _heading_candidates(doc: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    for el in xpath_elements(_HEADING_XP, doc):
        if el.tag in ("a", "script", "style", "title", "meta", "body", "html"):
            continue
        text = _text(el)
        if 4 <= len(text) <= 100:
            yield text, el


def find_title(doc: etree._Element) -> tuple[str, etree._Element | None] | None:
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
        return best[1], best[2]
    exact = _exact_title_node(doc, [r for r in (meta_head, head) if len(r) >= 5])
    if exact is not None:
        return exact
    if meta_head:
        return meta_head, None
    near = _heading_before_body(doc)
    if near is not None:
        return near
    for fallback in (meta_head, head):
        if fallback:
            return fallback, None
    return None


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


def _heading_before_body(doc: etree._Element) -> tuple[str, etree._Element] | None:
    """Rule T3: with no usable ``<title>``, the last h1–h3/title-classed element (not a lone link) that
    comes before the body text, or the first one inside it."""
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
        if not 5 <= len(text) <= 60 or any(len(_text(a)) >= 0.8 * len(text) for a in el.iter("a")):
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
    """(text length, link text length) of every element's whole subtree, from the block stats."""
    totals: dict[etree._Element, list[int]] = {}
    for el in reversed(list(root.iter())):  # descendants before ancestors
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


def _skipped(el: etree._Element) -> bool:
    """True inside script/style/… (checked by walking up; used only on the short meta-text path)."""
    node: etree._Element | None = el
    while node is not None:
        if isinstance(node.tag, str) and node.tag in _SKIP_TAGS:
            return True
        node = node.getparent()
    return False


_CONTAINER_TAGS = frozenset(("div", "td", "section", "article", "main", "body", "center", "font", "span"))


def _is_unlikely(el: etree._Element) -> bool:
    """Rule B2: class/id says comment, nav, footer, related, share … (and not article/content)."""
    tokens = _attrs(el)
    return bool(_UNLIKELY_RE.search(tokens)) and not _LIKELY_RE.search(tokens)


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
        own = block.tag in _CONTAINER_TAGS and (brs >= 2 or length - link_len >= 200)
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
    if title_node is not None and _in(title_node, best):
        for score, el in ranked[1:]:
            if score < best_score * 0.5:
                break
            if not _in(title_node, el) and _in(el, best):
                best = el
                break
    return _trim(best, stats)


# ---------------------------------------------------------------------------------------------- meta
def _texts_between(doc: etree._Element, start: etree._Element | None, stop: etree._Element | None,
                   limit: int) -> list[str]:
    """Visible text nodes after ``start``'s end and before ``stop``'s start, in document order."""
    out: list[str] = []
    size = 0
    started = start is None
    for el in doc.iter():
        if stop is not None and el is stop:
            break
        if not isinstance(el.tag, str):
            if started and el.tail and el.tail.strip():
                out.append(el.tail)
            continue
        if start is not None and el is start:
            started = True
            if el.tail and el.tail.strip():
                out.append(el.tail)
            continue
        if start is not None and not started:
            continue
        if start is not None and _in(el, start):
            continue
        if el.tag in _SKIP_TAGS or _skipped(el):
            continue
        for text in (el.text, el.tail):
            if text and text.strip():
                out.append(text)
                size += len(text.strip())
        if size > limit * 4 and start is not None:
            break
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
        text = clean_text(" ".join(parts))
        if text:
            return text[:META_TEXT_MAX]
    if title_node is not None:
        parts = []
        size = 0
        for part in _texts_between(doc, title_node, None, META_TEXT_MAX):
            cleaned = clean_text(part)
            if len(cleaned) > 60 and len(_PUNCT_RE.findall(cleaned)) >= 3:
                break  # the first real paragraph
            parts.append(cleaned)
            size += len(cleaned)
            if size >= META_TEXT_MAX:
                break
        return clean_text(" ".join(parts))[:META_TEXT_MAX]
    if body_node is not None:
        text = clean_text(" ".join(_texts_between(doc, None, body_node, 10**9)))
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


def find_date(doc: etree._Element, url: str, meta_text: str, *, now: datetime | None = None,
              tz: str = "Asia/Shanghai") -> DateMatch | None:
    """Publication date: Rule D1 the meta text by the headline; D2 meta tags; D3 JSON-LD; D4 the URL."""
    found = parse_date(meta_text, now=now, tz=tz) if meta_text else None
    if found is not None:
        return found
    for value in _iter_chain(xpath_strings(_DATE_META_XP, doc), _jsonld_dates(doc)):
        found = parse_date(clean_text(value), now=now, tz=tz)
        if found is not None:
            return found
    return date_from_url(url) if url else None


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


def find_source(doc: etree._Element, meta_text: str) -> str | None:
    """The outlet credited as origin.

    Rule S1: the labelled value (来源/稿源/出处/转自 …) in the meta text, read by ``byline.parse_byline``.
    Rule S2: an outlet-looking name (…日报, …网, …社, 客户端 …) standing alone right after or before the
    date. Rule S3: ``<meta name="source">``. Placeholders (网络, 互联网, 本站 …) give None.
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
            if _OUTLET_RE.match(token):
                return _clean_source(token)
    meta = _first_string(_SOURCE_META_XP, doc)
    return _clean_source(meta) if meta else None


# ---------------------------------------------------------------------------------------------- bylines
def _editor_lines(doc: etree._Element) -> Iterator[str]:
    """Short elements whose whole text is an editor credit (责任编辑：…), or whose parent's is."""
    for el in xpath_elements(_EDITOR_TEXT_XP, doc):
        for node in (el, el.getparent()):
            if node is None or node.tag in _SKIP_TAGS:
                break
            text = _text(node)
            if len(text) > 40:
                break
            if _EDITOR_LINE_RE.match(text):
                yield text
                break


def find_bylines(doc: etree._Element, meta_text: str, paragraphs: list[str]) -> Byline:
    """Writers and editors named around the article (the source is left to :func:`find_source`).

    Rule A1: byline labels in the meta text (作者：…, 记者 …, 编辑：…). Rule A2: a lead byline in the first
    paragraph (本报讯（记者 王长波）…). Rule A3: a trailing byline in the last paragraphs (（张三）, 作者系…,
    （刘通 摄）). Rule A4: a short 责任编辑/编辑 line standing alone anywhere in the page.
    """
    byline = parse_byline(meta_text) if meta_text else Byline()
    if paragraphs:
        for para in paragraphs[:LEAD_PARAGRAPHS]:
            byline = byline.merge(lead_byline(para))
        for para in paragraphs[-3:]:
            byline = byline.merge(trailing_byline(para))
    for line in _editor_lines(doc):
        byline = byline.merge(parse_byline(line))
    return Byline(source=None, authors=byline.authors, editors=byline.editors)
