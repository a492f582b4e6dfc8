"""Turn one article page into a record: profile selectors first, the generic extractor for the rest.

Each field is taken from the profile's selector when the profile gives one and it finds something;
otherwise from the generic rules, one module per field group: :mod:`~linfen_crawler.extract.title`,
:mod:`~linfen_crawler.extract.scoring` (body), :mod:`~linfen_crawler.extract.meta` (meta text, date,
source) and :mod:`~linfen_crawler.extract.credits` (authors, editors). The record is an
:class:`ExtractedPage`; its ``extractor`` says which, field by field, so a stale selector shows up in the
data instead of silently emptying a column.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypedDict, cast
from urllib.parse import urljoin, urlsplit

from lxml import etree

from linfen_crawler.extract.body import body_blocks, is_end_notice, xpath_strings
from linfen_crawler.extract.byline import Byline, finalize_people, is_credit_line, parse_byline
from linfen_crawler.extract.credits import find_bylines, find_footer_credits
from linfen_crawler.extract.dates import DateMatch, parse_date
from linfen_crawler.extract.encoding import decode_html
from linfen_crawler.extract.meta import closing_citation, find_date, find_meta_text, find_source
from linfen_crawler.extract.pages import next_page
from linfen_crawler.extract.scoring import find_body_node
from linfen_crawler.extract.title import find_title
from linfen_crawler.normalize import clean_text
from linfen_crawler.profiles import ArticleRules, Profile, Selector

__all__ = ["ExtractedImage", "ExtractedPage", "PageHints", "SiteHints", "extract_article", "extract_page", "own_url",
           "parse_html"]

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# control characters (and U+FFFE/U+FFFF) that XML cannot hold; pages from hostile or broken CMSs carry them
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: the controls among them, as bytes: in UTF-8 each is one byte, which occurs nowhere else
_XML_INCOMPATIBLE_BYTES = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
#: lxml refuses a str that opens with an XML encoding declaration (ValueError; this is its own regex).
#: parse_html hands lxml bytes now, so it checks this itself to keep returning None for such text.
_ENCODING_DECL = re.compile(r"^(<\?xml[^>]+)\s+encoding\s*=\s*[\"'][^\"']*[\"'](\s*\?>|)")
_TEXT_NODES = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]")
_ERROR_PAGE = re.compile(r"页面不存在|页面未找到|找不到(该|此)?页面|页面已删除|404 ?Not Found|^404$|文章不存在|"
                         r"信息不存在|该文章已被删除|出错了")
_NO_RULES = ArticleRules()


class ExtractedImage(TypedDict):
    """One picture of the body: its absolute URL and its caption (None without one)."""

    url: str
    caption: str | None


class ExtractedPage(TypedDict):
    """What :func:`extract_article` returns for one page.

    ``extractor`` maps each field name (title, body, published_at, source, authors, editors) to
    ``"profile"``, ``"generic"`` or ``"learned"`` (site learning); ``not_article`` is a reason
    (``empty_page``, ``error_page``) or None.
    """

    title: str | None
    published_at: str | None
    published_text: str | None
    source: str | None
    authors: list[str]
    editors: list[str]
    body: str | None
    images: list[ExtractedImage]
    section: str | None
    own_url: str | None
    charset: str
    next_page: str | None
    extractor: dict[str, str]
    not_article: str | None


class PageHints(Protocol):
    """What site learning knows about one page's template (:mod:`~linfen_crawler.extract.learn`).

    ``is_template`` says whether a text is template text (a banner, a footer line repeated on most pages of
    the template); ``is_template_name`` whether a source or a name stands on the page only in template text
    (the site's name in the crumbs is template text, yet the source in the page's own meta line); the other
    methods give a field's value from the element path the site's pages agree on, or None/an empty
    :class:`Byline` when that path finds nothing plausible on this page.
    """

    def is_template(self, text: str) -> bool: ...
    def is_template_name(self, text: str) -> bool: ...
    def title(self, doc: etree._Element) -> tuple[str, etree._Element] | None: ...
    def body(self, doc: etree._Element) -> etree._Element | None: ...
    def date(self, doc: etree._Element, *, now: datetime | None, tz: str) -> DateMatch | None: ...
    def credits(self, doc: etree._Element, wanted: Collection[str]) -> Byline: ...


class SiteHints(Protocol):
    """A site's learned state: the hints for the template a parsed page belongs to, or None."""

    def for_page(self, doc: etree._Element) -> PageHints | None: ...


#: every href value, each knowing its element (``getparent``): no element proxy is made for the many links
#: that need no check
_HREFS = etree.XPath("//@href")
#: a plain lxml HTML parser: lxml.html's element-class lookup runs Python code for every element proxy,
#: which cost about a tenth of the extraction time; nothing here needs HtmlElement methods. It reads
#: UTF-8 bytes: lxml hands a str of Chinese text to libxml2 as UTF-16, which it converts first (slower).
_PARSER = etree.HTMLParser(encoding="utf-8")


def xml_compatible(text: str) -> tuple[str, bytes]:
    """``text`` without the characters XML cannot hold (``_XML_INCOMPATIBLE``), and its UTF-8 bytes.

    The check costs less than half of a regex pass over the str, which runs only when there is
    something to remove: the controls are looked for in the bytes (one ``bytes.translate``), U+FFFE and
    U+FFFF in the str (a search for one character is a memchr), and a lone surrogate fails the encoding.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        pass
    else:
        if (len(data.translate(None, _XML_INCOMPATIBLE_BYTES)) == len(data)
                and "\ufffe" not in text and "\uffff" not in text):
            return text, data
    text = _XML_INCOMPATIBLE.sub("", text)
    return text, text.encode("utf-8")


def parse_html(text: str) -> etree._Element | None:
    """An lxml HTML tree, or None when the text holds no markup at all."""
    text = _XML_DECL.sub("", text, count=1)
    text, data = xml_compatible(text)  # issue 5: lxml refuses them when the tree is edited later
    if not text.strip() or _ENCODING_DECL.match(text):
        return None
    try:
        doc = etree.fromstring(data, _PARSER)
    except (etree.ParserError, ValueError):
        return None
    if doc is not None:  # issue 5: one malformed link ("http://[x") must not break urljoin for the page
        hrefs = _HREFS(doc)
        for href in hrefs if isinstance(hrefs, list) else ():
            if not isinstance(href, etree._ElementUnicodeResult) or (
                    href.isascii() and "[" not in href and "]" not in href):
                continue  # urlsplit raises only for brackets or a non-ASCII host: skip the call (speed)
            try:
                urlsplit(str(href))
            except ValueError:
                el = href.getparent()  # an attribute's value always has its element
                if el is not None:
                    del el.attrib["href"]
    return doc


def node_text(node: Any) -> str:
    """Visible text of a node (scripts and styles skipped), or a string result as is, cleaned."""
    if isinstance(node, str):
        return clean_text(node)
    return clean_text(" ".join(xpath_strings(_TEXT_NODES, node)))


def _first(selectors: Sequence[Selector], doc: etree._Element) -> tuple[str, Any] | None:
    """Text and node of the first selector result with text."""
    for sel in selectors:
        for node in sel(doc):
            text = node_text(node)
            if text:
                return text, node
    return None


_INVISIBLE = frozenset(("script", "style"))


def has_text(node: etree._Element) -> bool:
    """``bool(node_text(node))``, found without joining and cleaning all of the node's text.

    True at the first text node that ``node_text`` reads (neither in nor under a script or style) and
    ``clean_text`` leaves something of: the joined text is empty exactly when each of its parts is, since
    clean_text folds character by character and joins on spaces that it drops again.
    """
    if node.tag in _INVISIBLE or any(a.tag in _INVISIBLE for a in node.iterancestors()):
        return False
    hidden: set[etree._Element] = set()  # script/style elements and everything in them
    for el in node.iter():  # parents come before their children
        if el is not node:
            if el.getparent() in hidden:
                hidden.add(el)
                continue
            if el.tail and clean_text(el.tail):  # the tail is text of the (visible) parent
                return True
        if el.tag in _INVISIBLE:
            hidden.add(el)
        elif isinstance(el.tag, str) and el.text and clean_text(el.text):  # a comment's text is no text node
            return True
    return False


def _first_node(selectors: Sequence[Selector], doc: etree._Element) -> Any:
    for sel in selectors:
        for node in sel(doc):
            if isinstance(node, etree._Element) and has_text(node):
                return node
    return None


def _canonical_urls(doc: etree._Element) -> Iterator[str]:
    """The hrefs of ``<link rel="canonical">`` and the contents of ``<meta property="og:url">``, in page order.

    What the XPath ``//link[@rel='canonical']/@href | //meta[@property='og:url']/@content`` selects, in one
    walk that lxml filters by tag in C instead of two XPath walks over every element.
    """
    for el in doc.getroottree().getroot().iter("link", "meta"):
        if el.tag == "link" and el.get("rel") == "canonical":
            value = el.get("href")
        elif el.tag == "meta" and el.get("property") == "og:url":
            value = el.get("content")
        else:
            continue
        if value is not None:
            yield value


def own_url(doc: etree._Element, profile: Profile | None) -> str | None:
    """The page's own URL when the page names it (canonical link, og:url, or the profile's URL rule)."""
    for href in _canonical_urls(doc):
        if href.startswith(("http://", "https://")):
            return str(href).strip()
    if profile is None or not profile.article.url_template:
        return None
    values = {}
    for name, (sel, regex) in profile.article.url_parts.items():
        found = [node_text(n) for n in sel(doc)]
        value = next((v for v in found if v), "")
        if regex is not None:
            m = regex.search(value)
            value = (m.group(1) if m.groups() else m.group(0)) if m else ""
        if not value:
            return None
        values[name] = value
    return urljoin(profile.start_urls[0], profile.article.url_template.format(**values))


def extract_page(
    html: bytes | str,
    url: str,
    *,
    profile: Profile | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    generic_only: bool = False,
    site: SiteHints | None = None,
    trace: dict[str, Any] | None = None,
) -> ExtractedPage:
    """Extract one article page into an :class:`ExtractedPage`.

    ``not_article`` is a reason (``empty_page``, ``error_page``) when the page is clearly no article;
    missing title or body is left to the Validate pipeline, which records the reject.

    ``site`` (a learned site state) fills the fields this page's own evidence leaves empty or gives only
    as template text; those fields say ``"learned"`` in ``extractor``. ``trace``, when given, receives the
    parsed ``doc`` and the ``title_node`` and ``body_node`` used (what site learning records).
    """
    content_type = None
    if headers:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if isinstance(html, bytes):
        text, charset = decode_html(html, content_type, profile.encoding if profile else None)
    else:
        text, charset = html, "unicode"
    rules = profile.article if profile is not None and not generic_only else _NO_RULES
    tz = profile.timezone if profile is not None else "Asia/Shanghai"
    record: ExtractedPage = {
        "title": None, "published_at": None, "published_text": None, "source": None, "authors": [],
        "editors": [], "body": None, "images": [], "section": None, "own_url": None, "charset": charset,
        "next_page": None, "extractor": {}, "not_article": None,
    }
    doc = parse_html(text)
    if doc is None:
        record["not_article"] = "empty_page"
        return record
    used: dict[str, str] = {}
    hints = site.for_page(doc) if site is not None else None

    title_node = None
    found = _first(rules.title, doc)
    if found:
        record["title"], title_node = found
        used["title"] = "profile"
    else:
        guess = find_title(doc, url)
        if guess:
            record["title"], title_node = guess
            used["title"] = "generic"
    # A headline that is template text is replaced by the learned one when this page has it there; else it
    # stays (conservative: no headline at all would make the page a rejected no_title)
    if hints is not None and (record["title"] is None or hints.is_template(record["title"])):
        learned_title = hints.title(doc)
        if learned_title:
            record["title"], title_node = learned_title
            used["title"] = "learned"

    body_node = _first_node(rules.body, doc)
    used["body"] = "profile"
    if body_node is None:
        body_node = find_body_node(doc, title_node)
        used["body"] = "generic"
        if body_node is not None and body_node.tag == "form":
            body_node = None  # a vote or search form on an index page is never an article body
    if hints is not None and body_node is None:
        body_node = hints.body(doc)
        if body_node is not None:
            used["body"] = "learned"
    paragraphs: list[str] = []
    if body_node is not None:
        paragraphs, images = body_blocks(body_node, url, [s.xpath for s in rules.drop])
        record["images"] = [{"url": im.url, "caption": im.caption} for im in images]

    meta = _first(rules.meta, doc)
    meta_text = meta[0] if meta else find_meta_text(doc, title_node, body_node)
    meta_from = "profile" if meta else "generic"

    date = parse_date(meta_text, now=now, tz=tz) if meta else None
    used["published_at"] = "profile"
    if date is None:
        date = find_date(doc, url, meta_text, now=now, tz=tz, title_node=title_node, lead=paragraphs)
        used["published_at"] = "generic"
    if date is None and hints is not None:
        date = hints.date(doc, now=now, tz=tz)
        if date is not None:
            used["published_at"] = "learned"
    if date is not None:
        record["published_at"], record["published_text"] = date.value, date.text

    # Credit lines (责任编辑, 来源 …) leave the body; what they say goes to the byline.
    credits = Byline()
    kept = []
    for para in paragraphs:
        if is_credit_line(para):
            credits = credits.merge(parse_byline(para))
        elif not is_end_notice(para):
            kept.append(para)
    if hints is not None:  # template lines leave the body, unless nothing of the page's own would be left
        kept = [para for para in kept if not hints.is_template(para)] or kept
    for sel in rules.byline:
        for node in sel(doc):
            credits = credits.merge(parse_byline(node_text(node)))
    if used["body"] == "generic":
        credits = credits.merge(find_footer_credits(doc, body_node))
    near_title = find_bylines(doc, meta_text, kept, title_node)
    byline = near_title.merge(credits)
    # The source beside the headline outranks a 来源 credit at the foot of the body.
    source = (find_source(doc, meta_text, title_node) or credits.source
              or closing_citation(kept))
    record["source"] = source
    record["authors"], record["editors"] = finalize_people(byline.authors, byline.editors)
    filled = {"source": bool(record["source"]), "authors": bool(record["authors"]),
              "editors": bool(record["editors"])}
    for key, has_value in filled.items():
        used[key] = meta_from if (has_value or used["body"] == "generic") else "profile"
    if hints is not None:
        _apply_learned_credits(record, used, hints, doc)

    record["body"] = "\n".join(kept) or None
    if rules.section is not None:
        for node in rules.section(doc):
            record["section"] = node_text(node) or None
            break
    record["own_url"] = own_url(doc, profile)
    record["next_page"] = next_page(doc, url)
    record["extractor"] = used
    if trace is not None:
        trace.update(doc=doc, title_node=title_node, body_node=body_node)
    if record["title"] and _ERROR_PAGE.search(record["title"]) and len(record["body"] or "") < 200:
        record["not_article"] = "error_page"
    return record


def _apply_learned_credits(record: ExtractedPage, used: dict[str, str], hints: PageHints,
                           doc: etree._Element) -> None:
    """Drop a source or names read only from template text; fill what is then empty from the learned paths."""
    if record["source"] and hints.is_template_name(record["source"]):
        record["source"] = None
    record["authors"] = [n for n in record["authors"] if not hints.is_template_name(n)]
    record["editors"] = [n for n in record["editors"] if not hints.is_template_name(n)]
    wanted = [name for name in ("source", "authors", "editors") if not record[name]]
    if not wanted:
        return
    learned = hints.credits(doc, wanted)
    if not record["source"] and learned.source:
        record["source"], used["source"] = learned.source, "learned"
    authors, editors = finalize_people(learned.authors, learned.editors)
    if not record["authors"] and authors:
        record["authors"], used["authors"] = authors, "learned"
    if not record["editors"] and editors:
        record["editors"], used["editors"] = editors, "learned"


def extract_article(
    html: bytes | str,
    url: str,
    *,
    profile: Profile | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    generic_only: bool = False,
    site: SiteHints | None = None,
) -> dict[str, Any]:
    """:func:`extract_page`'s record as a plain ``dict[str, Any]`` (the same object, not a copy).

    The spider and ``linfen reextract`` extend the record as they go (``merge_pages`` appends the later
    pages of an article to it), so they hold it as a ``dict[str, Any]``; code that only reads one page
    calls :func:`extract_page` and has mypy check its keys.
    """
    page = extract_page(html, url, profile=profile, headers=headers, now=now, generic_only=generic_only,
                        site=site)
    return cast(dict[str, Any], page)
