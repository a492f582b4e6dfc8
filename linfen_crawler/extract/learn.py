"""Site learning: what many pages of one site say about each page (``linfen check DIR --learn``).

A per-page extractor sees one page; a crawler sees dozens built from the same template. From the pages of
one site this module learns, per template:

- **L1 templates**: pages are grouped by skeleton, the set of element paths of their block elements
  (:func:`skeleton`), clustered by Jaccard similarity (:func:`group_pages`), so one site's article, photo
  and older templates are learned apart;
- **L2 template text**: a text block repeated on most pages of a template (≥ 60 % and ≥ 3 pages) is a
  banner, menu, footer or copyright line, never a headline, a name, a source or a body paragraph;
- **L3 field paths**: for title, published, source, authors, editors and the body container, the element
  path (:func:`element_path`: tag names with stable classes and ids, no positions) where the per-page
  extractor found its value; the path most pages agree on is used where a page's own evidence gives
  nothing, and only when it finds a plausible value there;
- **L4 headline slot**: when the per-page extractor finds no headline on most pages (an empty ``<title>``,
  the headline in a plain cell), the last short one-line text before the body container that is neither
  template text, a date, a label line nor a link, at the path most pages agree on.

The learned state (:class:`SiteState`) is plain data (:meth:`SiteState.to_dict`), to be stored later; it
implements :class:`~linfen_crawler.extract.article.SiteHints` for :func:`extract_page`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from linfen_crawler.extract.article import ExtractedPage, extract_page, node_text
from linfen_crawler.extract.byline import Byline, parse_byline
from linfen_crawler.extract.dates import DateMatch, parse_date
from linfen_crawler.extract.title import title_head
from linfen_crawler.extract.tree import ORIGIN_ATTR, resolve_path
from linfen_crawler.normalize import clean_text
from linfen_crawler.profiles import Profile

__all__ = [
    "FIELDS", "FieldRule", "SiteState", "Template", "element_path", "extract_site", "group_pages",
    "learn_site", "skeleton",
]

#: the fields learned, in record order (``body`` is the body container)
FIELDS = ("title", "published_at", "source", "authors", "editors", "body")
#: a template's text block or field path must hold on this share of its pages …
AGREEMENT = 0.6
#: … and on at least this many pages
MIN_PAGES = 3
#: two pages share a template when their skeletons overlap this much (Jaccard)
SAME_TEMPLATE = 0.5
#: a learned headline is one line of this many characters at most
MAX_TITLE_CHARS = 120

_BLOCK_TAGS = frozenset((
    "div", "p", "table", "tbody", "tr", "td", "th", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3",
    "h4", "h5", "h6", "section", "article", "header", "footer", "nav", "aside", "main", "form", "center",
    "blockquote", "figure", "figcaption", "pre",
))
_TEXT_TAGS = _BLOCK_TAGS | {"a", "span", "font", "strong", "b", "em", "i"}
_SKIP_TAGS = frozenset(("script", "style", "noscript", "template"))
#: a class or id holding a digit is page-specific (``post-93512``, ``c123``); it is left out of paths
_UNSTABLE = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
_LABEL_OR_CRUMB = re.compile(r"[:：>»›]|当前位置|您的位置")


def norm(text: str) -> str:
    """A text block as compared across pages: width-folded, whitespace removed."""
    return _SPACE.sub("", clean_text(text))


def _step(el: etree._Element) -> str:
    tag = str(el.tag).lower()
    ident = el.get("id")
    step = tag + (f"#{ident.strip()}" if ident and ident.strip() and not _UNSTABLE.search(ident) else "")
    classes = sorted({c for c in (el.get("class") or "").split() if not _UNSTABLE.search(c)})
    return step + "".join(f".{c}" for c in classes)


def element_path(el: etree._Element) -> str:
    """A site-stable path of ``el``: ``/html/body/div#main/div.newst`` (tags, stable ids and classes)."""
    steps = [_step(a) for a in el.iterancestors() if isinstance(a.tag, str)]
    return "/" + "/".join([*reversed(steps), _step(el)])


class PathIndex:
    """Every element of a parsed page by its :func:`element_path`, in document order (one walk)."""

    def __init__(self, doc: etree._Element) -> None:
        self.paths: dict[etree._Element, str] = {}
        self.by_path: dict[str, list[etree._Element]] = {}
        self.order: list[etree._Element] = []
        root = doc.getroottree().getroot()
        stack: list[tuple[etree._Element, str]] = [(root, "")]
        while stack:
            el, parent = stack.pop()
            if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
                continue
            path = f"{parent}/{_step(el)}"
            self.paths[el] = path
            self.by_path.setdefault(path, []).append(el)
            self.order.append(el)
            stack.extend((child, path) for child in reversed(el))

    def skeleton(self) -> frozenset[str]:
        return frozenset(p for el, p in self.paths.items() if el.tag in _BLOCK_TAGS)

    def blocks(self) -> set[tuple[str, str]]:
        """The text blocks, ``(path, normalised text)``: each leaf block, each link, the ``<title>``."""
        out: set[tuple[str, str]] = set()
        for el in self.order:
            if el.tag in ("a", "title") or (el.tag in _BLOCK_TAGS and not any(
                    isinstance(c.tag, str) and c.tag in _BLOCK_TAGS for c in el.iterdescendants())):
                text = norm(node_text(el))
                if text:
                    out.add((self.paths[el], text))
        return out

    def template_texts(self, template: frozenset[tuple[str, str]]) -> frozenset[str]:
        """The texts that stand on this page only where they are template text (a path and text that
        repeat on most pages): a headline also listed in a sidebar of the other pages is not one of them."""
        if not template:
            return frozenset()
        blocks = self.blocks()
        texts = {t for p, t in blocks if (p, t) in template}
        return frozenset(texts - {t for p, t in blocks if (p, t) not in template})

    def unique(self, path: str) -> etree._Element | None:
        """The one element at ``path`` that holds text, or None (no such element, or several)."""
        found = [el for el in self.by_path.get(path, ()) if norm(node_text(el))]
        return found[0] if len(found) == 1 else None


def skeleton(doc: etree._Element) -> frozenset[str]:
    """The page's structural signature: the set of its block elements' paths."""
    return PathIndex(doc).skeleton()


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def group_pages(skeletons: Sequence[frozenset[str]], threshold: float = SAME_TEMPLATE) -> list[list[int]]:
    """Indexes of the pages grouped by template: each page joins the first group whose first page's
    skeleton it resembles (Jaccard ≥ ``threshold``), or starts a group of its own."""
    groups: list[list[int]] = []
    for i, sk in enumerate(skeletons):
        for group in groups:
            if jaccard(skeletons[group[0]], sk) >= threshold:
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def _enough(count: int, pages: int) -> bool:
    return count >= MIN_PAGES and count >= AGREEMENT * pages


@dataclass
class FieldRule:
    """A learned field: its element path and on how many of the template's pages it agreed."""

    path: str
    agreed: int
    pages: int


@dataclass
class Template:
    """One template of a site: its skeleton, its template text and its learned field paths."""

    skeleton: list[str]
    pages: int
    template_text: list[tuple[str, str]] = field(default_factory=list)
    fields: dict[str, FieldRule] = field(default_factory=dict)


@dataclass
class SiteState:
    """What was learned from one site's pages: one :class:`Template` per skeleton group (plain data)."""

    templates: list[Template] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteState:
        return cls([Template(skeleton=list(t["skeleton"]), pages=int(t["pages"]),
                             template_text=[(str(p), str(x)) for p, x in t.get("template_text", ())],
                             fields={k: FieldRule(**v) for k, v in t.get("fields", {}).items()})
                    for t in data.get("templates", ())])

    def for_page(self, doc: etree._Element) -> TemplateHints | None:
        """The hints of the template ``doc`` belongs to (the most similar skeleton), or None."""
        if not self.templates:
            return None
        index = PathIndex(doc)
        sk = index.skeleton()
        best = max(self.templates, key=lambda t: jaccard(frozenset(t.skeleton), sk))
        if jaccard(frozenset(best.skeleton), sk) < SAME_TEMPLATE:
            return None
        return TemplateHints(best, index)


class TemplateHints:
    """:class:`~linfen_crawler.extract.article.PageHints` of one page from its template's learned state."""

    def __init__(self, template: Template, index: PathIndex) -> None:
        self.template = template
        self.index = index
        self._text = index.template_texts(frozenset(template.template_text))

    def is_template(self, text: str) -> bool:
        return bool(self._text) and norm(text) in self._text

    def _element(self, name: str) -> etree._Element | None:
        rule = self.template.fields.get(name)
        return self.index.unique(rule.path) if rule is not None else None

    def title(self, doc: etree._Element) -> tuple[str, etree._Element] | None:
        el = self._element("title")
        if el is None:
            return None
        text = clean_text(node_text(el))
        return (text, el) if _plausible_title(text, doc, self.is_template) else None

    def body(self, doc: etree._Element) -> etree._Element | None:
        el = self._element("body")
        if el is None or self.is_template(node_text(el)):
            return None
        return el

    def date(self, doc: etree._Element, *, now: datetime | None, tz: str) -> DateMatch | None:
        el = self._element("published_at")
        return parse_date(node_text(el), now=now, tz=tz) if el is not None else None

    def credits(self, doc: etree._Element) -> Byline:
        """Source, writers and editors, each read only from its own learned element (its byline labels)."""
        out = Byline()
        for name in ("source", "authors", "editors"):
            el = self._element(name)
            if el is None:
                continue
            found = parse_byline(node_text(el))
            if name == "source" and found.source and not self.is_template(found.source):
                out.source = found.source
            elif name == "authors":
                out.authors = [n for n in found.authors if not self.is_template(n)]
            elif name == "editors":
                out.editors = [n for n in found.editors if not self.is_template(n)]
        return out


def _plausible_title(text: str, doc: etree._Element, is_template: Any) -> bool:
    """One line of 4–120 characters, no template text, no date, no label or breadcrumb; when the page's
    ``<title>`` says something of its own, the text must be its head or hold it."""
    if not 4 <= len(text) <= MAX_TITLE_CHARS or "\n" in text or is_template(text):
        return False
    if parse_date(text) is not None or _LABEL_OR_CRUMB.search(text):
        return False
    titles = doc.getroottree().getroot().findall(".//title")
    page_title = clean_text(node_text(titles[0])) if titles else ""
    if page_title and not is_template(page_title):
        head, own = norm(title_head(page_title)), norm(text)
        return bool(head) and (own in norm(page_title) or head in own)
    return True


def _locate(index: PathIndex, value: str, inside: etree._Element | None = None) -> etree._Element | None:
    """The element with the shortest text that holds ``value`` (the deepest one naming it)."""
    want = norm(value)
    if not want:
        return None
    best: tuple[int, etree._Element] | None = None
    for el in index.order:
        if el.tag not in _TEXT_TAGS:
            continue
        text = norm(node_text(el))
        if want in text and (best is None or len(text) <= best[0]):  # equal: the deeper one
            best = (len(text), el)
    return best[1] if best else None


def _body_element(index: PathIndex, body: etree._Element | None) -> etree._Element | None:
    if body is None:
        return None
    if body in index.paths:
        return body
    origin = body.get(ORIGIN_ATTR)  # a detached run of the container's children (Rule B4)
    el = resolve_path(index.order[0], origin) if origin and index.order else None
    return el.getparent() if el is not None else None


@dataclass
class _Page:
    record: ExtractedPage
    index: PathIndex
    title_node: Any
    body_node: etree._Element | None


def _field_paths(pages: list[_Page], text: frozenset[tuple[str, str]]) -> dict[str, FieldRule]:
    """L3 and L4: the path each field was found at, by page, and the one most pages agree on."""
    votes: dict[str, Counter[str]] = {name: Counter() for name in FIELDS}
    for page in pages:
        rec, index = page.record, page.index
        page_text = index.template_texts(text)

        def template(t: str, page_text: frozenset[str] = page_text) -> bool:
            return norm(t) in page_text

        if rec["title"] and not template(rec["title"]) and page.title_node in index.paths:
            votes["title"][index.paths[page.title_node]] += 1
        if page.body_node is not None:
            votes["body"][index.paths[page.body_node]] += 1
        found: dict[str, str | None] = {
            "published_at": rec["published_text"], "source": rec["source"],
            "authors": rec["authors"][0] if rec["authors"] else None,
            "editors": rec["editors"][0] if rec["editors"] else None,
        }
        for name, value in found.items():
            if value and not template(value):
                el = _locate(index, value)
                if el is not None:
                    votes[name][index.paths[el]] += 1
    rules: dict[str, FieldRule] = {}
    n = len(pages)
    for name, counter in votes.items():
        if counter:
            path, count = counter.most_common(1)[0]
            if _enough(count, n):
                rules[name] = FieldRule(path, count, n)
    if "title" not in rules:
        slot = _title_slot(pages, text)
        if slot is not None:
            rules["title"] = slot
    return rules


def _title_slot(pages: list[_Page], text: frozenset[tuple[str, str]]) -> FieldRule | None:
    """L4: the path of the last plausible headline before the body container, if most pages agree."""
    votes: Counter[str] = Counter()
    for page in pages:
        if page.body_node is None:
            continue
        doc = page.body_node.getroottree().getroot()
        page_text = page.index.template_texts(text)

        def template(t: str, page_text: frozenset[str] = page_text) -> bool:
            return norm(t) in page_text

        last = None
        for el in page.index.order:
            if el is page.body_node:
                break
            if el.tag not in _BLOCK_TAGS or not (el.text and el.text.strip()) or el.find(".//a") is not None \
                    or any(a.tag == "a" for a in el.iterancestors()) or page.body_node in el.iterancestors():
                continue
            if _plausible_title(clean_text(node_text(el)), doc, template):
                last = el
        if last is not None:
            votes[page.index.paths[last]] += 1
    if not votes:
        return None
    path, count = votes.most_common(1)[0]
    return FieldRule(path, count, len(pages)) if _enough(count, len(pages)) else None


def learn_site(pages: Iterable[tuple[bytes | str, str]], *, profile: Profile | None = None,
               generic_only: bool = False) -> SiteState:
    """Learn a site's templates from its pages, ``(html, url)`` each (see the module docstring)."""
    seen: list[_Page] = []
    for html, url in pages:
        trace: dict[str, Any] = {}
        record = extract_page(html, url, profile=profile, generic_only=generic_only, trace=trace)
        doc = trace.get("doc")
        if doc is None or record["not_article"]:
            continue
        index = PathIndex(doc)
        seen.append(_Page(record, index, trace.get("title_node"), _body_element(index, trace.get("body_node"))))
    state = SiteState()
    for group in group_pages([p.index.skeleton() for p in seen]):
        members = [seen[i] for i in group]
        counts: Counter[tuple[str, str]] = Counter()
        shapes: Counter[str] = Counter()
        for page in members:
            counts.update(page.index.blocks())
            shapes.update(page.index.skeleton())
        n = len(members)
        text = frozenset(t for t, c in counts.items() if _enough(c, n))
        state.templates.append(Template(
            skeleton=sorted(p for p, c in shapes.items() if c * 2 >= n), pages=n, template_text=sorted(text),
            fields=_field_paths(members, text) if n >= MIN_PAGES else {}))
    return state


def extract_site(pages: Sequence[tuple[bytes | str, str]], *, profile: Profile | None = None,
                 generic_only: bool = False) -> tuple[SiteState, list[ExtractedPage]]:
    """Learn from ``pages`` (``(html, url)`` each), then extract every one of them with what was learned."""
    state = learn_site(pages, profile=profile, generic_only=generic_only)
    return state, [extract_page(html, url, profile=profile, generic_only=generic_only, site=state)
                   for html, url in pages]

