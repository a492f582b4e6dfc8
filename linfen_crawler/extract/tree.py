"""Tree helpers shared by the generic extractor's field modules: an element's text, ancestry, and the
document-order walk that reads the visible text between two elements (meta text, footer lines, dates)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from linfen_crawler.extract.body import BLOCK_TAGS, node_text, xpath_strings
from linfen_crawler.normalize import clean_text

__all__ = [
    "BREAK",
    "CJK_RE",
    "DATE_TOKEN_RE",
    "HEADER_LEVELS",
    "ORIGIN_ATTR",
    "PUNCT_RE",
    "SKIP_TAGS",
    "class_and_id",
    "first_string",
    "header_block",
    "is_inside",
    "join_lines",
    "lines_of",
    "resolve_path",
    "split_glued_meta",
    "text_of",
    "texts_between",
]


# never <form>: ASP.NET pages wrap the whole page in one
SKIP_TAGS = frozenset(("script", "style", "noscript", "head", "title", "meta", "link", "iframe", "textarea",
                        "select", "option", "button", "svg"))


PUNCT_RE = re.compile(r"[，。、；：？！,;?!…“”]")
CJK_RE = re.compile(r"[\u3400-\u9fff]")


DATE_TOKEN_RE = re.compile(
    r"(?:\d{2,4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}[-/月]\d{1,2}日?)(?:\s*\d{1,2}[:：]\d{2}(?::\d{2})?)?"
)


#: attribute of a detached body container naming the page path where its content starts
ORIGIN_ATTR = "data-linfen-origin"


def text_of(el: etree._Element) -> str:
    return clean_text(node_text(el))


def first_string(xp: etree.XPath, doc: etree._Element) -> str:
    for value in xpath_strings(xp, doc):
        value = clean_text(value)
        if value:
            return value
    return ""


def is_inside(el: etree._Element, ancestor: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def class_and_id(el: etree._Element) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


#: a block boundary among ``texts_between``'s parts (NUL never occurs in parsed HTML text)
BREAK = "\x00"
#: stands for the end of a block element in ``texts_between``'s walk
_LINE_END = etree.Element("br")


def join_lines(parts: Iterable[str]) -> str:
    """Text parts with ``BREAK`` block boundaries → cleaned non-empty lines joined by ``"\n"`` (a line
    break inside a text node is only whitespace, as the browser shows it)."""
    return "\n".join(line for line in map(clean_text, " ".join(parts).split(BREAK)) if line)


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


def texts_between(doc: etree._Element, start: etree._Element | None, stop: etree._Element | None,
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
                out.append(BREAK)
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
        if not isinstance(tag, str) or tag in SKIP_TAGS:
            stack.append((el, True))
            continue
        if tag in BLOCK_TAGS or tag == "br":
            out.append(BREAK)  # a block boundary ends the line (Rule M4)
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


def resolve_path(doc: etree._Element, path: str) -> etree._Element | None:
    try:
        found = doc.getroottree().xpath(path)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


#: how far above the headline the header block (headline, account, date) is looked for (Rule A5)
HEADER_LEVELS = 2


def header_block(doc: etree._Element, title_node: etree._Element | None) -> etree._Element:
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


#: Rule T7: where a meta line glued into the headline's element starts: a date standing apart
#: (``标题 2023-12-01 10:20``) or a meta label and its colon (``标题 来源：某某日报``)
_GLUED_META_RE = re.compile(
    r"\s(?:(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?=\s|$|\d{1,2}:)"
    r"|(?:来源|稿源|作者|记者|发布时间|发布日期|发表时间|更新时间|时间|日期|编辑|责任编辑|点击|浏览|阅读)\s*[:：])"
)


def split_glued_meta(text: str) -> tuple[str, str]:
    """Rule T7: ``(headline, meta)`` when one element holds the headline and its meta line
    (``冬季供暖会议召开 2023-12-01 来源：某某日报``); ``(text, "")`` otherwise. The meta part must stand
    apart (after a space) and leave at least four characters of headline, so a date inside a headline
    (``关于2023年12月1日起…``) stays."""
    m = _GLUED_META_RE.search(text)
    if m is None or m.start() < 4:
        return text, ""
    return text[: m.start()].rstrip(), text[m.start():].strip()


def lines_of(el: etree._Element) -> list[str]:
    """An element's visible text as lines: each ``<br>`` and block element (``div``, ``p``, ``h1``–``h6`` …)
    ends one (Rule M4's reading of a meta line, for one element)."""
    parts: list[str] = []

    def walk(node: etree._Element, top: bool) -> None:
        tag = node.tag
        if isinstance(tag, str) and tag not in SKIP_TAGS:
            block = not top and (tag in BLOCK_TAGS or tag == "br")
            if block:
                parts.append(BREAK)
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child, False)
            if block:
                parts.append(BREAK)
        if not top and node.tail:
            parts.append(node.tail)

    walk(el, True)
    return join_lines(parts).split("\n")
