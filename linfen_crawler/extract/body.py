"""Article body container -> cleaned paragraphs and images.

``body_blocks`` works on a deep copy of the container: it removes boilerplate (scripts, share boxes,
font-size and print controls, pagers, prev/next links, "相关新闻" lists, hidden nodes), then walks the
tree and emits one paragraph per block element and per ``<br>``-separated line, with inline text
joined. Every paragraph goes through :func:`linfen_crawler.normalize.clean_text`; empty ones vanish.

Images are collected in document order with an absolute URL (``src`` or a lazy-load attribute) and a
caption: the text of a ``<figcaption>``, or a short paragraph right after the image that is centred,
classed like a caption, or starts like one (图为…). Captions stay in the paragraphs too (DESIGN: the
body keeps captions).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from linfen_crawler.normalize import clean_text

__all__ = ["Image", "body_blocks", "is_boilerplate_text", "is_end_notice"]


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    caption: str | None


BLOCK_TAGS = frozenset((
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "td", "th", "tr",
    "table", "tbody", "thead", "tfoot", "caption", "blockquote", "section", "article", "figure",
    "figcaption", "pre", "center", "header", "footer", "aside", "main", "nav", "address", "hr",
))
JUNK_TAGS = ("script", "style", "noscript", "iframe", "form", "button", "input", "select", "textarea",
             "object", "embed", "link", "meta", "template", "svg", "audio", "video")
LAZY_SRC_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-url", "data-echo", "original", "src")
CAPTION_MAX = 120

_JUNK_XP = etree.XPath(
    "|".join(f"descendant::{t}" for t in JUNK_TAGS)
    + "|descendant::comment()|descendant::processing-instruction()"
)
_CLASSED_XP = etree.XPath("descendant::*[@class or @id or @style or @hidden]")
_SHORT_TEXT_XP = etree.XPath("descendant::*[string-length(normalize-space(.)) < 100]")
_LINKS_XP = etree.XPath("descendant-or-self::a")

# class/id tokens of share widgets, pagers, and reader controls (never of an article container)
_SHARE_RE = re.compile(
    r"(?:^|[\s_-])(?:bd)?share|bdshare|jiathis|bshare|social"
    r"|(?:^|[\s_-])(?:toolbar|fontsize|font-size|zoom|print)(?:$|[\s_-])",
    re.I,
)
_PAGER_RE = re.compile(r"(?:^|[\s_-])(?:pages?|pager|pagination|paging|pagenav|page-?list|page-?box|"
                       r"prenext|pre-?next|prev-?next)(?:$|[\s_-])", re.I)
_HIDDEN_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# whole-element texts that are reader controls: 字号：大 中 小 / 【打印本页】【关闭窗口】 / 分享到：
_CONTROL_RE = re.compile(
    r"^[\s【\[(（]*(?:字号|字体|文字)\s*[:：]?\s*(?:[【\[]?\s*[大中小默认]\s*[】\]]?\s*)+"
    r"|^[\s【\[(（]*(?:打印本页|打印此文|打印|关闭窗口|关闭|收藏本页|返回顶部|分享到)\s*[:：】\])）]?"
)
_CONTROL_WORDS_RE = re.compile(
    r"字号|字体|文字|打印本页|打印此文|打印|关闭窗口|关闭|收藏本页|收藏|分享到|返回顶部|[大中小默认]"
    r"|[\s【】\[\]()（）:：|｜/]"
)
# pagers: only page tokens left once 上一页/下一页/首页/尾页/numbers are removed
_PAGER_WORDS_RE = re.compile(
    r"上一页|下一页|上页|下页|首页|尾页|末页|前一页|后一页|共\s*\d+\s*页|第\s*\d+\s*页|\d+|[\s【】\[\]<>《》«»|｜…·.,，。、:：]"
)
_PAGER_MARK_RE = re.compile(r"上一页|下一页|下页|尾页|末页")
# prev/next-article links under the body
_PREVNEXT_RE = re.compile(r"^[\s【\[]*(?:上一篇|下一篇|上一条|下一条|上篇|下篇)\s*[:：】\]]?")
# "related" blocks: a heading label, then a list of links
_RELATED_RE = re.compile(
    r"^[\s【\[]*(?:相关(?:新闻|阅读|链接|文章|报道|推荐|专题|稿件)|延伸阅读|推荐阅读|热点推荐|热门推荐|热门文章|"
    r"猜你喜欢|更多(?:新闻|阅读|精彩)|往期回顾|热点新闻|最新新闻)\s*[:：】\]]?"
)
_CENTER_STYLE_RE = re.compile(r"text-align\s*:\s*center", re.I)
_CAPTION_CLASS_RE = re.compile(
    r"caption|pic-?(?:txt|text|desc|info|note|title)|img-?(?:txt|text|desc|info|note)"
    r"|(?:^|[\s_-])(?:desc|note|tuzhu|imgtitle|pictext)(?:$|[\s_-])",
    re.I,
)
_CAPTION_TEXT_RE = re.compile(
    r"^(?:图为|图[:：]|上图|下图|左图|右图|图\s*\d|\(?图/)|[(（]\s*[^()（）]{1,12}摄\s*[)）]$"
)


def xpath_elements(xp: etree.XPath, node: etree._Element, **variables: str) -> list[etree._Element]:
    """Run a precompiled XPath and keep only the element results (typed for mypy)."""
    result = xp(node, **variables)
    if not isinstance(result, list):
        return []
    return [r for r in result if isinstance(r, etree._Element)]


def xpath_strings(xp: etree.XPath, node: etree._Element) -> list[str]:
    """Run a precompiled XPath and keep only the string results."""
    result = xp(node)
    if isinstance(result, str):
        return [result]
    if not isinstance(result, list):
        return []
    return [str(r) for r in result if isinstance(r, str)]


def node_text(el: etree._Element) -> str:
    """All text inside an element, as one raw string."""
    return "".join(cast("Iterator[str]", el.itertext()))


#: a paragraph that only closes the article: an end mark (``- THE END -``, ``— END —``) or a reprint
#: notice (``转载请注明出处：…``, ``未经授权，禁止转载``) that is the whole paragraph — a sentence that only
#: opens like one (``转载请注明出处，这是…``) is text; not 完 (labels keep ``（完）``)
_END_NOTICE_RE = re.compile(
    r"^[\s\-—–_=*·~【\[(（]*(?:THE\s*)?END[\s\-—–_=*·~】\])）]*$"
    r"|^[\s【\[(（]*(?:"
    r"转载请(?:注明(?:出处|来源)|联系[^，,。]{0,12}?(?:授权|许可)?)[:：]?\s*[^，,。]{0,20}"
    r"|未经(?:授权|许可|允许)[，,]?\s*(?:不得|禁止|请勿|严禁)转载(?:[。！!]\s*违者必究)?"
    r"|本文(?:系|为)?.{0,12}原创[，,]\s*(?:转载请注明(?:出处|来源)|未经(?:授权|许可|允许)[，,]?\s*(?:不得|禁止|请勿|严禁)转载)"
    r"[:：]?\s*[^，,。]{0,20}"
    r")[。！!]?[】\])）]?$",
    re.IGNORECASE,
)
END_NOTICE_MAX = 60


def is_end_notice(text: str) -> bool:
    """True for a short paragraph that is only an end mark (``- THE END -``) or a reprint notice
    (``转载请注明出处：某某网``, ``未经授权，禁止转载``): boilerplate under the text, not body."""
    s = text.strip()
    return bool(s) and len(s) <= END_NOTICE_MAX and bool(_END_NOTICE_RE.match(s))


def is_boilerplate_text(text: str) -> bool:
    """True for a short text that is only a reader control, pager, or prev/next link."""
    s = text.strip()
    if not s or len(s) > 100:
        return False
    if _CONTROL_RE.match(s) and not _CONTROL_WORDS_RE.sub("", s):
        return True
    if _PAGER_MARK_RE.search(s) and not _PAGER_WORDS_RE.sub("", s):
        return True
    return bool(_PREVNEXT_RE.match(s))


def _remove(el: etree._Element) -> None:
    """Remove an element but keep its tail text in the tree."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _text_len(el: etree._Element) -> int:
    return len(node_text(el).strip())


def _link_density(el: etree._Element) -> float:
    total = _text_len(el)
    if not total:
        return 0.0
    return sum(_text_len(a) for a in xpath_elements(_LINKS_XP, el)) / total


def _attr_tokens(el: etree._Element) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


def _is_related_block(el: etree._Element) -> bool:
    text = node_text(el).strip()
    return bool(_RELATED_RE.match(text)) and (len(text) <= 12 or _link_density(el) >= 0.4)


def _strip_boilerplate(root: etree._Element, drop: Sequence[etree.XPath]) -> None:
    for xp in drop:
        for el in xpath_elements(xp, root):
            if el is not root:
                _remove(el)
    for el in xpath_elements(_JUNK_XP, root):  # comments and PIs are _Element subclasses too
        _remove(el)
    for el in xpath_elements(_CLASSED_XP, root):
        if el.getparent() is None or not _in_tree(el, root):
            continue
        tokens = _attr_tokens(el)
        if (
            _HIDDEN_RE.search(el.get("style", ""))
            or el.get("hidden") is not None
            or (_SHARE_RE.search(tokens) and (_link_density(el) >= 0.3 or _text_len(el) < 40))
            or (_PAGER_RE.search(tokens) and _text_len(el) < 200 and not _has_paragraphs(el)
                and "。" not in node_text(el))  # a pager holds no sentence (page_content does)
        ):
            _remove(el)
    for el in xpath_elements(_SHORT_TEXT_XP, root):
        if not _in_tree(el, root):
            continue
        text = node_text(el)
        if is_boilerplate_text(text) or (_RELATED_RE.match(text.strip()) and _is_related_block(el)):
            if _RELATED_RE.match(text.strip()) and len(text.strip()) <= 12:
                _remove_following_links(el)
            _remove(el)
    for el in list(root.iter()):
        if not _in_tree(el, root) or el is root:
            continue
        if el.tag in ("div", "ul", "ol", "dl", "table", "section") and _is_related_block(el):
            _remove(el)


def _remove_following_links(label: etree._Element) -> None:
    """After a bare 相关新闻 heading, drop the sibling link lists that follow it."""
    sib = label.getnext()
    while sib is not None and (sib.tag in ("ul", "ol", "dl") or _link_density(sib) >= 0.6):
        nxt = sib.getnext()
        _remove(sib)
        sib = nxt


def _has_paragraphs(el: etree._Element) -> bool:
    return any(child.tag == "p" and _text_len(child) > 30 for child in el.iter())


def _in_tree(el: etree._Element, root: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


def _image_url(img: etree._Element, base_url: str) -> str | None:
    for attr in LAZY_SRC_ATTRS:
        val = (img.get(attr) or "").strip()
        if val and not val.startswith(("data:", "javascript:")):
            return urljoin(base_url, val)
    return None


def _is_caption_like(block: etree._Element | None, text: str) -> bool:
    if len(text) > CAPTION_MAX:
        return False
    if _CAPTION_TEXT_RE.search(text):
        return True
    node = block
    for _ in range(3):
        if node is None:
            break
        if (
            _CENTER_STYLE_RE.search(node.get("style", ""))
            or (node.get("align") or "").lower() == "center"
            or node.tag == "center"
            or _CAPTION_CLASS_RE.search(_attr_tokens(node))
        ):
            return True
        node = node.getparent()
    return False


class _Walker:
    """Emit paragraphs at block boundaries and <br>; collect images with captions."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.paragraphs: list[str] = []
        self.images: list[list[str | None]] = []  # [url, caption]
        self._buf: list[str] = []
        self._blocks: list[etree._Element] = []
        self._pending: int | None = None  # index of an image still open for a caption
        self._pending_block: etree._Element | None = None

    def flush(self) -> None:
        text = clean_text("".join(self._buf)) if self._buf else ""
        self._buf = []
        if not text:
            return
        self.paragraphs.append(text)
        if self._pending is not None:
            block = self._blocks[-1] if self._blocks else None
            same = block is not None and block is self._pending_block
            if _is_caption_like(block, text) or (same and len(text) <= CAPTION_MAX // 2):
                self.images[self._pending][1] = text
            self._pending = None

    def walk(self, el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "br":
            self.flush()
            return
        if tag == "img":
            url = _image_url(el, self.base_url)
            if url:
                self.flush()
                self.images.append([url, None])
                self._pending = len(self.images) - 1
                self._pending_block = self._blocks[-1] if self._blocks else None
            return
        block = tag in BLOCK_TAGS
        if block:
            self.flush()
            self._blocks.append(el)
        if tag == "figcaption":
            self._caption_from_figure(el)
        if el.text:
            self._buf.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self._buf.append(child.tail)
        if block:
            self.flush()
            self._blocks.pop()

    def _caption_from_figure(self, cap: etree._Element) -> None:
        text = clean_text(node_text(cap))
        if not text or not self.images:
            return
        fig = cap.getparent()
        target = self._pending if self._pending is not None else len(self.images) - 1
        if (fig is not None and fig.tag == "figure") or self._pending is not None:
            self.images[target][1] = text
        self._pending = None


def _iter_children(root: etree._Element) -> Iterator[etree._Element]:
    yield from root


def body_blocks(
    node: lxml.html.HtmlElement | etree._Element, base_url: str, drop: Sequence[etree.XPath] = ()
) -> tuple[list[str], list[Image]]:
    """The body container -> (paragraphs, images); the caller's tree is left untouched."""
    root = copy.deepcopy(node)
    _strip_boilerplate(root, drop)
    walker = _Walker(base_url)
    walker._blocks.append(root)
    if root.text:
        walker._buf.append(root.text)
    for child in _iter_children(root):
        walker.walk(child)
        if child.tail:
            walker._buf.append(child.tail)
    walker.flush()
    images = [Image(url=str(u), caption=c) for u, c in walker.images]
    # a paragraph made only of U+FFFD is bytes the page's own encoding lost (a broken emoji): no text
    paragraphs = [p for p in walker.paragraphs if p.strip("\ufffd ")]
    return paragraphs, images
