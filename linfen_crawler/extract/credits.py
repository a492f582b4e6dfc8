"""Writers and editors (Rules A1–A9 in ``docs/extraction.md``): byline rules on the meta text, the lead
paragraph, the last paragraphs, editor lines anywhere in the page and credit lines just under the body."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from linfen_crawler.extract.body import xpath_elements
from linfen_crawler.extract.byline import (
    LABEL_ROLES,
    Byline,
    bare_names,
    byline_paragraph,
    caption_credit,
    credit_block_line,
    lead_byline,
    looks_like_person,
    parse_byline,
    trailing_byline,
)
from linfen_crawler.extract.meta import OUTLET_RE, name_outlet
from linfen_crawler.extract.tree import (
    DATE_TOKEN_RE,
    ORIGIN_ATTR,
    SKIP_TAGS,
    header_block,
    join_lines,
    text_of,
    texts_between,
)
from linfen_crawler.extract.xpaths import EDITOR_KEYS, EDITOR_TEXT
from linfen_crawler.normalize import clean_text

__all__ = [
    "BYLINE_PARAGRAPHS",
    "EDITOR_LABELS",
    "LEAD_PARAGRAPHS",
    "dated_bracket_names",
    "editor_lines",
    "find_bylines",
    "find_footer_credits",
]


#: an editor credit's labels: the parser's (byline.LABEL_ROLES) and 本文编辑, which it reads as 编辑
EDITOR_LABELS = tuple(sorted([*(label for label, role in LABEL_ROLES.items() if role == "editor"), "本文编辑"],
                             key=len, reverse=True))
_EDITOR_ALTERNATIVES = "|".join(map(re.escape, EDITOR_LABELS))
#: the Latin brand a site puts before its editor label: ``ABC编辑：…`` (Rule A4). Not a Han word: in a
#: sentence (``图为出版社编辑：…``) the characters before 编辑 are as likely text as an outlet.
_EDITOR_BRAND = r"(?P<brand>[A-Za-z0-9]*[A-Za-z][A-Za-z0-9.\-]{0,19})"
EDITOR_LINE_RE = re.compile(rf"^[\s【\[(（]*{_EDITOR_BRAND}?(?:{_EDITOR_ALTERNATIVES})\s*[:：]")
#: a Latin personal name (``Lena``, ``Demi Xia``): with a brand before the label the value must be a person
_LATIN_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z.'\-]*(?: [A-Za-z][A-Za-z.'\-]*){0,3}$")
BYLINE_LINE_RE = re.compile(r"^[\s【\[(（]*(?:作者|记者|文|撰稿|通讯员|来源|稿源|图|摄影)\s*[:：/]")


#: paragraphs at the top of the body searched for a lead byline (a caption may come first)
LEAD_PARAGRAPHS = 2
#: paragraphs at the top of the body searched for a byline standing on its own (Rule A2b): a summary box
#: (划重点, 导读 …) or a subtitle may come first
BYLINE_PARAGRAPHS = 8


#: an editor label and its colon anywhere in the page text: without one no element can be an editor line
_EDITOR_LABEL_RE = re.compile(rf"(?:{_EDITOR_ALTERNATIVES})\s*[:：]")


def editor_lines(doc: etree._Element) -> Iterator[str]:
    """Short elements whose whole text is an editor credit (责任编辑：…), or whose parent's is.

    The page's text (one C call) is searched for an editor label first; the XPath over every text node
    runs only when there is one (a third of pages), which halves this rule's cost. It tests a text node
    only for the keys (``EDITOR_KEYS``) that the page's text may hold at all."""
    page = etree.tostring(doc, method="text", encoding=str)
    if not _EDITOR_LABEL_RE.search(page):
        return
    # a key's first character is looked for (a memchr, where a two-character key costs a scan in Python):
    # never an empty set, since every label holds a key
    keys = tuple(key for key in EDITOR_KEYS if key[0] in page)
    for el in xpath_elements(EDITOR_TEXT[keys], doc):
        for node in (el, el.getparent()):
            if node is None or node.tag in SKIP_TAGS:
                break
            text = text_of(node)
            if len(text) > 40:
                break
            m = EDITOR_LINE_RE.match(text)
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
        byline = byline.merge(_closing_credit_block(paragraphs))
        for para in paragraphs:  # Rule A6: photo credits closing captions anywhere in the body
            if "摄" in para:
                byline = byline.merge(Byline(authors=caption_credit(para)))
        if not byline.authors:  # Rule A2b: a byline after a summary box, when no other rule found a writer
            for para in paragraphs[LEAD_PARAGRAPHS:BYLINE_PARAGRAPHS]:
                byline = byline.merge(Byline(authors=byline_paragraph(para)))
    for line in editor_lines(doc):
        byline = byline.merge(parse_byline(line))
    if not byline.authors and meta_text:
        slot = _author_slot(header_block(doc, title_node), meta_text)
        if slot:
            byline = byline.merge(Byline(authors=[slot]))
    return Byline(source=None, authors=byline.authors, editors=byline.editors)


#: Rule A3b: at most this many lines of a closing credit block are read
CREDIT_BLOCK_LINES = 8


def _closing_credit_block(paragraphs: list[str]) -> Byline:
    """Rule A3b: the run of credit lines closing the body, read from the end up (``策划：… / 文字：钱海 /
    摄影：周小梅 / 视频：…``): feature pages list their team there, one role a line, often more than the
    three lines A3 reads. Lines of other roles (策划, 设计, 视频 …) belong to the run but credit nobody; it ends
    at the first other line."""
    found = Byline()
    for para in reversed(paragraphs[-CREDIT_BLOCK_LINES:]):
        line = credit_block_line(para)
        if not line:
            if _OTHER_ROLE_LINE_RE.match(clean_text(para)):
                continue  # 策划：…, 设计：…, 视频：…: a role that is neither writer nor editor, still the block
            break
        found = line.merge(found)
    return found


#: Rule A3b: a line of the block naming a role that is neither writer nor editor (策划：钱海, 视频 | 李铭)
_OTHER_ROLE_LINE_RE = re.compile(r"^[\u3400-\u9fff]{2,4}\s*[:|/]\s*[\u3400-\u9fffA-Za-z·、 ]{2,24}$")


#: labels of two characters or more (来源, 作者, 点击 …): one of them after the bracket marks a meta line
_LONG_LABELS = sorted((label for label in LABEL_ROLES if len(label) > 1), key=len, reverse=True)
#: Rule A9: a square bracket right after the date in a meta line, followed by another meta item (a label
#: or a time): ``2004年7月16日08:19 [ 张三 ] 来源：…``. Round brackets hold a weekday or a place as often.
_DATED_BRACKET_RE = re.compile(
    rf"(?:{DATE_TOKEN_RE.pattern})\s*(?:\[\s*(?P<names>[^\[\]【】()（）]{{2,30}}?)\s*\]"
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
    if any(OUTLET_RE.match(n) or _BRACKET_NOT_NAME_RE.search(n) for n in names):
        return []
    return names


#: class/id of the element that shows the writer or publishing account without a label
_AUTHOR_ATTR_RE = re.compile(r"author", re.I)
#: …but not its avatar, icon, follow button or tip box
_AUTHOR_NOT_RE = re.compile(r"icon|avatar|img|image|head|pic|photo|follow|reward|qrcode|more|list|intro|desc",
                            re.I)
_NAME_SLOT_RE = re.compile(r"^[\u3400-\u9fffA-Za-z][\u3400-\u9fffA-Za-z0-9·._\- ]{1,19}$")


def _author_slot(doc: etree._Element, meta_text: str) -> str | None:
    """Rule A5: with no labelled writer, the text of an author-classed element (class/id ``author…``,
    ``itemprop=author``, ``rel=author``; not its avatar or follow button) in the headline's header block,
    standing as a word of its own in the meta text between headline and body — self-media pages show the
    account there unlabelled."""
    words = {w for line in meta_text.splitlines() for w in (line, *line.split())
             if _NAME_SLOT_RE.match(w) and not DATE_TOKEN_RE.search(w)}
    if not words:
        return None
    for el in doc.iter(etree.Element):
        attrs = el.attrib
        if not attrs:
            continue
        marks = f"{attrs.get('class', '')} {attrs.get('id', '')}"
        if not (_AUTHOR_ATTR_RE.search(marks) or attrs.get("itemprop") == "author" or attrs.get("rel") == "author"):
            continue
        if _AUTHOR_NOT_RE.search(marks) or el.tag in SKIP_TAGS:
            continue
        text = text_of(el)
        if text in words:
            return text
    return None


#: lines right after the body that may credit people or the source (Rule A8)
FOOTER_LINES = 6
FOOTER_LINE_MAX = 60


def find_footer_credits(doc: etree._Element, body_node: etree._Element | None) -> Byline:
    """Rule A8: credit lines standing right after the body container (old templates put 编辑：… 来源：…
    作者：… in a table under the text): the run of short lines opening with a byline or editor label that
    starts right after it (at most FOOTER_LINES)."""
    if body_node is None or body_node.get(ORIGIN_ATTR) or body_node.getparent() is None:
        return Byline()
    found = Byline()
    lines = join_lines(texts_between(doc, body_node, None, FOOTER_LINES * FOOTER_LINE_MAX,
                                  max_lines=FOOTER_LINES)).split("\n")
    for line in lines[:FOOTER_LINES]:
        if len(line) > FOOTER_LINE_MAX or not (BYLINE_LINE_RE.match(line) or EDITOR_LINE_RE.match(line)):
            break  # the credits stand together right under the text
        found = found.merge(parse_byline(line))
    return found
