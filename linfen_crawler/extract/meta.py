"""Meta text, publication date and source (Rules M1–M4, D1–D8, S1–S6 in ``docs/extraction.md``).

* meta text: the visible text between the headline and the body (where date, 来源 and 作者 stand).
* date: meta text first, then meta tags and JSON-LD, then the URL; never a header or footer date.
* source: 来源/稿源/出处/转自 value, an outlet name standing unlabelled beside the date, or a citation
  closing the body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from lxml import etree

from linfen_crawler.extract.body import xpath_strings
from linfen_crawler.extract.byline import LABEL_ROLES, looks_like_person, parse_byline, plausible_source
from linfen_crawler.extract.dates import DateMatch, date_from_url, parse_date
from linfen_crawler.extract.scoring import is_unlikely
from linfen_crawler.extract.tree import (
    BREAK,
    DATE_TOKEN_RE,
    ORIGIN_ATTR,
    PUNCT_RE,
    SKIP_TAGS,
    class_and_id,
    first_string,
    header_block,
    is_inside,
    join_lines,
    lines_of,
    resolve_path,
    split_glued_meta,
    text_of,
    texts_between,
)
from linfen_crawler.extract.xpaths import DATE_META, JSONLD, SITE_NAME_META, SOURCE_META, TITLE
from linfen_crawler.normalize import clean_text

__all__ = [
    "META_TEXT_MAX",
    "OUTLET_RE",
    "clean_source",
    "closing_citation",
    "copyright_source",
    "find_date",
    "find_meta_text",
    "find_source",
    "name_outlet",
    "own_site_name",
]


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
OUTLET_RE = re.compile(rf"^{_OUTLET}(?:[—–\-·]{_OUTLET})?$")
#: Rule S4/A7: ``石佳/中国青年报 2019-09-24 09:10`` — a writer and the outlet, no label
_NAME_OUTLET_RE = re.compile(
    r"^(?P<name>[\u3400-\u9fff]{2,4})\s*/\s*(?P<outlet>[^\s/]{2,20})(?:\s|$)"
)
_PLACEHOLDER_SOURCES = frozenset(("网络", "互联网", "本站", "本网", "未知", "网友", "原创", "综合", "网络整理",
                                  "转载", "admin", "佚名"))


META_TEXT_MAX = 400


# ---------------------------------------------------------------------------------------------- meta


def find_meta_text(doc: etree._Element, title_node: etree._Element | None,
                   body_node: etree._Element | None) -> str:
    """Visible text near the headline where date, 来源 and 作者 stand (≤ META_TEXT_MAX characters).

    Rule M1: the text between the headline and the body. Rule M2: without a headline node, the last
    META_TEXT_MAX characters before the body. Rule M3: when the headline sits inside the body container, the
    text after the headline up to the first long paragraph. Rule M5: a meta line glued into the headline's
    own element (Rule T7: ``标题 2023-12-01 来源：某某日报`` in one ``<td>``) opens the meta text.
    """
    text = _find_meta_text(doc, title_node, body_node)
    if title_node is not None:
        own = " ".join(lines_of(title_node)) if len(title_node) else text_of(title_node)
        glued = split_glued_meta(own)[1]
        if glued:
            return f"{glued}\n{text}"[:META_TEXT_MAX] if text else glued[:META_TEXT_MAX]
    return text


def _find_meta_text(doc: etree._Element, title_node: etree._Element | None,
                    body_node: etree._Element | None) -> str:
    if body_node is not None and body_node.get(ORIGIN_ATTR):
        origin = body_node.getroottree().getroot() is body_node and resolve_path(doc, body_node.get(ORIGIN_ATTR, ""))
        body_node = origin if isinstance(origin, etree._Element) else None
    if title_node is not None and body_node is not None and is_inside(body_node, title_node):
        body_node = None
    if title_node is not None and body_node is not None and not is_inside(title_node, body_node):
        parts = texts_between(doc, title_node, body_node, META_TEXT_MAX)
        text = join_lines(parts)
        if text:
            return text[:META_TEXT_MAX]
    if title_node is not None:
        parts = []
        size = 0
        for part in texts_between(doc, title_node, None, META_TEXT_MAX):
            if part == BREAK:
                parts.append(part)
                continue
            cleaned = clean_text(part)
            if len(cleaned) > 60 and len(PUNCT_RE.findall(cleaned)) >= 3:
                break  # the first real paragraph
            parts.append(cleaned)
            size += len(cleaned)
            if size >= META_TEXT_MAX:
                break
        return join_lines(parts)[:META_TEXT_MAX]
    if body_node is not None:
        text = join_lines(texts_between(doc, None, body_node, 10**9))
        return text[-META_TEXT_MAX:]
    return ""


# ---------------------------------------------------------------------------------------------- date
def _jsonld_dates(doc: etree._Element) -> Iterator[str]:
    for raw in xpath_strings(JSONLD, doc):
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
        if el.tag != "time" and not _DATE_ATTR_RE.search(class_and_id(el)):
            continue
        if el.tag in SKIP_TAGS or is_unlikely(el):
            continue
        text = text_of(el)
        if 8 <= len(text) <= 40:
            yield text
        elif el.tag == "time" and el.get("datetime"):
            yield el.get("datetime", "")


def _refine(found: DateMatch, doc: etree._Element, now: datetime | None, tz: str,
            title_node: etree._Element | None = None) -> DateMatch:
    """Rule D8: a date shown without a time takes the time of the same day shown in the first dated
    date-classed element after the headline (``<span class="time">``, ``<time>``) or after a publish label
    (发布于：2015-11-05 11:34) elsewhere on the page."""
    day = found.value[:10]
    for value in _date_elements(doc, title_node):  # visible, after the headline (a meta tag's time is not shown)
        better = parse_date(clean_text(value), now=now, tz=tz)
        if better is None:
            continue
        if better.value[:10] == day and len(better.value) > 10:
            return better
        break  # only the first dated one: those further down date comments and related stories
    text = clean_text(" ".join(texts_between(doc, None, None, 10**9)))
    for m in DATE_TOKEN_RE.finditer(text):
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
    text = join_lines(texts_between(doc, None, title_node, 10**9))
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
    shown = parse_date(meta_text, now=now, tz=tz, partial=True) if meta_text else None
    if shown is not None and len(shown.value) == 7:
        # Rule D11: the meta text shows a year and a month only; a full date of that month elsewhere (a meta
        # tag) is more precise, any other date is not the one shown
        found = _find_date(doc, url, "", now=now, tz=tz, title_node=title_node, lead=lead)
        if found is None or found.value[:7] != shown.value:
            return DateMatch(shown.value, clean_text(shown.text))
    else:
        found = shown or _find_date(doc, url, "", now=now, tz=tz, title_node=title_node, lead=lead)
    if found is None:
        return None
    if len(found.value) == 10:
        found = _refine(found, doc, now, tz, title_node)
    return DateMatch(found.value, clean_text(found.text))


def _find_date(doc: etree._Element, url: str, meta_text: str, *, now: datetime | None, tz: str,
               title_node: etree._Element | None, lead: Sequence[str]) -> DateMatch | None:
    found = parse_date(meta_text, now=now, tz=tz) if meta_text else None
    if found is not None:
        return found
    for value in _iter_chain(xpath_strings(DATE_META, doc), _jsonld_dates(doc)):
        found = parse_date(clean_text(value), now=now, tz=tz)
        if found is not None:
            return _shown_local_time(found, value, doc, title_node, now, tz)
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
    return _date_before(doc, title_node) or _labelled_date_after(doc, title_node, now, tz)


#: Rule D9: a publish label right before a date (a footer or copyright box under the text: 发布日期：…; a
#: blog post's footer: 发表于 …, posted @ …)
_PUBLISH_LABEL_AHEAD_RE = re.compile(
    r"(?:发布日期|发布时间|发表日期|发表时间|发稿时间|刊发时间|更新时间|发布于|发表于|上传时间|录入时间|"
    r"posted\s*(?:@|on|at)|published\s*(?:on|at)?)\s*[:：]?\s*",
    re.I,
)
#: Rule D9 reads about this many characters after the headline (texts_between stops at four times its
#: limit): a long page's comment thread is not walked to its end
LABELLED_DATE_CHARS = 5000
#: Rule D9: a blog post's footer line: a date and time followed by the post's counters (阅读(12) 评论(3))
_STATS_AFTER_RE = re.compile(r"[\s|｜·]{0,3}(?:阅读|浏览|评论|点击|分类|标签)")


def _labelled_date_after(doc: etree._Element, title_node: etree._Element | None, now: datetime | None,
                         tz: str) -> DateMatch | None:
    """Rule D9: with no date anywhere else, the first date after the headline (the whole page without
    one) that stands right after a publish label (``发布日期：2023-12-01`` in a footer box, ``发表于`` or
    ``posted @`` under a blog post), or that has a time and is followed by a post's counters
    (``2008-03-01 10:20 | 阅读(12)``). Runs only on pages where every other rule found nothing."""
    parts = texts_between(doc, title_node, None, LABELLED_DATE_CHARS)
    text = clean_text(" ".join(p for p in parts if p != BREAK))
    for m in _PUBLISH_LABEL_AHEAD_RE.finditer(text):
        found = parse_date(text[m.end(): m.end() + 40], now=now, tz=tz)
        if found is not None and text.startswith(found.text, m.end()):
            return found
    for m in DATE_TOKEN_RE.finditer(text):
        if ":" in m.group() and _STATS_AFTER_RE.match(text, m.end()):
            found = parse_date(m.group(), now=now, tz=tz)
            if found is not None:
                return found
    return None


#: a date with a time and no offset (a meta tag's naive time): 2023-12-01 02:20:00, 2023-12-01T02:20
_NAIVE_TIME_RE = re.compile(r"\d[T\s]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*$")


def _shown_local_time(found: DateMatch, raw: str, doc: etree._Element, title_node: etree._Element | None,
                      now: datetime | None, tz: str) -> DateMatch:
    """Rule D13: a meta tag's naive time that a visible date-classed element after the headline shows
    shifted by whole hours (at most 14: a time zone, mostly UTC written without its ``Z``) gives way to the
    visible local time — the reader's time is the one the page shows."""
    if len(found.value) <= 10 or not _NAIVE_TIME_RE.search(clean_text(raw)):
        return found
    for value in _date_elements(doc, title_node):
        shown = parse_date(value, now=now, tz=tz)
        if shown is None or len(shown.value) <= 10:
            continue
        gap = abs((datetime.fromisoformat(shown.value) - datetime.fromisoformat(found.value)).total_seconds())
        if 0 < gap <= 14 * 3600 and gap % 3600 == 0:
            return shown
        break
    return found


def _iter_chain(*iterables: Iterable[str]) -> Iterator[str]:
    for it in iterables:
        yield from it


# ---------------------------------------------------------------------------------------------- source
def clean_source(value: str) -> str | None:
    value = _SOURCE_STOP_RE.sub("", value).strip(" :：,，;；|｜-—·")
    value = DATE_TOKEN_RE.sub("", value).strip()
    if not value or value in _PLACEHOLDER_SOURCES or len(value) < 2 or not plausible_source(value):
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
        return clean_source(labelled)
    if _OWN_SITE_RE.search(text):
        return own_site_name(doc)  # Rule S10: 来源：本站原创
    if _LABEL_SOURCE_RE.search(text):
        return None  # labelled, but only with a placeholder
    date = DATE_TOKEN_RE.search(text)
    if date:
        beside = [t.strip(" :：,，|｜") for t in (text[date.end():].split()[:1] + text[: date.start()].split()[-1:])]
        for token in beside:
            if OUTLET_RE.match(token) and clean_source(token):
                return clean_source(token)
        linked = _outlet_link(header_block(doc, title_node), beside) if title_node is not None else None
        if linked:
            return linked
    for line in meta_text.splitlines():
        pair = name_outlet(line)
        if pair:
            return pair[1]
    slot = _source_slot(header_block(doc, title_node), meta_text) if title_node is not None and text else None
    if slot:
        return slot
    meta = first_string(SOURCE_META, doc)
    return clean_source(meta) if meta else copyright_source(doc)


#: Rule S10: the page credits the site itself (来源：本站原创, 本网原创, 本站原创 standing alone)
_OWN_SITE_RE = re.compile(
    r"(?:(?:来源|稿源|出处)\s*:?\s*[【\[]?\s*(?:本站|本网)(?:原创)?(?![\u3400-\u9fff])|(?:本站|本网)原创)"
)
_TITLE_PARTS_RE = re.compile(r"\s*(?:[_|｜]|--|\s[-–—]+\s|[-–])\s*")


def own_site_name(doc: etree._Element) -> str | None:
    """Rule S10: the site's own name, for a page that credits itself (``来源：本站原创``): ``og:site_name``,
    else the last part of ``<title>`` when it is shaped like an outlet (``标题_某某新闻网`` → 某某新闻网)."""
    named = first_string(SITE_NAME_META, doc)
    if named and clean_source(named):
        return clean_source(named)
    titles = TITLE(doc)
    title = text_of(titles[0]) if isinstance(titles, list) and titles and isinstance(titles[0], etree._Element) else ""
    parts = [p for p in _TITLE_PARTS_RE.split(title) if p]
    if len(parts) > 1 and OUTLET_RE.match(parts[-1]):
        return clean_source(parts[-1])
    return None


#: Rule S9: class/id of a copyright or statement box under the text
_COPYRIGHT_ATTR_RE = re.compile(r"copyright|statement|declare|disclaimer", re.I)


def copyright_source(doc: etree._Element) -> str | None:
    """Rule S9: with no source beside the headline, the labelled source (``本文来源：某某日报``) in a copyright
    or statement box (class/id ``copyright``, ``statement``, ``declare``, ``disclaimer``) of at most 300
    characters: pages that print the origin only under the text, with the reprint terms. The site's
    footer copyright line names no source label, so it gives nothing."""
    for el in doc.iter(etree.Element):
        attrs = el.attrib
        if not attrs or el.tag in SKIP_TAGS or not _COPYRIGHT_ATTR_RE.search(
                f"{attrs.get('class', '')} {attrs.get('id', '')}"):
            continue
        text = text_of(el)
        if len(text) > 300:
            continue
        for line in re.split(r"[。；;，,\n]", text):
            found = parse_byline(line).source
            if found and clean_source(found):
                return clean_source(found)
    return None


#: Rule S8: the text of an outlet's link: a name, no digits, no sentence or label marks
_OUTLET_LINK_TEXT_RE = re.compile(r"^[\u3400-\u9fffA-Za-z][\u3400-\u9fffA-Za-z·]{1,11}$")
#: link words of a meta line that are never an outlet (share, comment, print, follow …)
_META_LINK_WORD_RE = re.compile(r"评论|分享|收藏|打印|关闭|纠错|举报|关注|订阅|字号|返回|首页|专题|更多|下载|登录|注册")


def _outlet_link(block: etree._Element, beside: list[str]) -> str | None:
    """Rule S8: an unlabelled outlet in the slot beside the date given as a link to the outlet's site (its
    home page or a channel's: a path of at most one segment) — portals link the source there
    (``2023-12-01 10:20 <a href="http://ent.example.com/">某某娱乐</a>``). The link's whole text must be the
    word right after or before the date in the meta text, a name of 2–12 letters (no digits), not a
    share/comment/print control, not a person's name."""
    wanted = {t for t in beside if _OUTLET_LINK_TEXT_RE.match(t) and not _META_LINK_WORD_RE.search(t)}
    if not wanted:
        return None
    for a in block.iter("a"):
        text = text_of(a)
        if text not in wanted:
            continue
        href = (a.get("href") or "").strip()
        m = re.match(r"^(?:https?:)?//[^/?#]+(?P<path>/[^?#]*)?$", href)
        if m is None or len([p for p in (m["path"] or "").split("/") if p]) > 1:
            continue
        value = clean_source(text)
        if value:
            return value
    return None


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
        if not attrs or el.tag in SKIP_TAGS:
            continue
        if not _SOURCE_ATTR_RE.search(f"{attrs.get('class', '')} {attrs.get('id', '')}"):
            continue
        value = text_of(el)
        if (value in words and _SOURCE_SLOT_RE.match(value) and not DATE_TOKEN_RE.search(value)
                and not _LABEL_START_RE.match(value)):
            return clean_source(value)
    return None


def name_outlet(line: str) -> tuple[str, str] | None:
    """Rule S4/A7: a meta line opening with ``name/outlet`` and no label (``石佳/中国青年报 2019-09-24``)
    → (writer, outlet). The name must look like a person's (common surname) and the outlet like an
    outlet (…报, …网, …社 …); ``文/张三`` and ``图/新华社`` are labels, not names."""
    m = _NAME_OUTLET_RE.match(clean_text(line))
    if m is None or not looks_like_person(m["name"]) or not OUTLET_RE.match(m["outlet"]):
        return None
    outlet = clean_source(m["outlet"])
    return (m["name"], outlet) if outlet else None


#: Rule S5: a closing citation naming the publication: 转自《北京科技报》, （原载《河东日报》）, ——《河东日报》
_CITATION_RE = re.compile(
    r"(?:^[(（]?\s*(?:转自|转载自|摘自|选自|原载|刊于|来源|稿源|出处)\s*[:：]?\s*|(?:^|[。!?！？”\s])——\s*)"
    r"《(?P<name>[^《》]{2,20})》\s*[)）]?$"
)


def closing_citation(paragraphs: Sequence[str]) -> str | None:
    """Rule S5: the publication named by a citation closing one of the last three paragraphs."""
    for para in reversed(paragraphs[-3:]):
        m = _CITATION_RE.search(clean_text(para))
        if m:
            return clean_source(m["name"])
    return None
