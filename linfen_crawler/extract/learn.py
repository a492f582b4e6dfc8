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

Each page is read once into a :class:`PageSample` (a few kilobytes, no tree), and a site is learned from
samples (:func:`learn_samples`), so learning again never extracts a page again.

The learned state (:class:`SiteState`) is plain data (:meth:`SiteState.to_dict`, with its format version),
kept per site in the dataset by the Store pipeline; it implements
:class:`~linfen_crawler.extract.article.SiteHints` for :func:`extract_page`. ``linfen check DIR --learn``
learns from saved pages (:func:`extract_site`); a crawl learns as it goes (:class:`SiteLearner`, which
hands :func:`extract_page` a :class:`LazySite`: the same records, a page's tree walked only when needed).
"""

from __future__ import annotations

import re
import sys
from collections import Counter, deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
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
    "FIELDS", "STATE_VERSION", "FieldRule", "LazySite", "PageSample", "SiteLearner", "SiteState", "Template",
    "element_path", "extract_site", "group_pages", "learn_samples", "learn_site", "sample_page", "skeleton",
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
#: the format of :meth:`SiteState.to_dict` (kept per site in the dataset); another one is not read
STATE_VERSION = 1

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
    return _step_of(str(el.tag), el.get("id"), el.get("class"))


@lru_cache(maxsize=50_000)  # a page repeats few shapes: most steps are one lookup (bounded: hostile pages)
def _step_of(tag: str, ident: str | None, cls: str | None) -> str:
    step = tag.lower() + (f"#{ident.strip()}" if ident and ident.strip() and not _UNSTABLE.search(ident) else "")
    classes = sorted({c for c in (cls or "").split() if not _UNSTABLE.search(c)})
    return sys.intern(step + "".join(f".{c}" for c in classes))


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
        #: the elements with a block element below them (skipped subtrees included)
        self._has_block: set[etree._Element] = set()
        self._blocks: set[tuple[str, str]] | None = None
        self._texts: dict[etree._Element, str] | None = None
        root = doc.getroottree().getroot()
        stack: list[tuple[etree._Element, str]] = [(root, "")]
        while stack:
            el, parent = stack.pop()
            if not isinstance(el.tag, str):
                continue
            if el.tag in _SKIP_TAGS:
                if any(d.tag in _BLOCK_TAGS for d in el.iterdescendants()):
                    self._mark_block(el)
                continue
            path = parent + "/" + _step(el)
            self.paths[el] = path
            self.by_path.setdefault(path, []).append(el)
            self.order.append(el)
            if el.tag in _BLOCK_TAGS:
                self._mark_block(el)
            stack.extend((child, path) for child in reversed(el))

    def _mark_block(self, el: etree._Element) -> None:
        """Note that ``el``'s ancestors hold a block element (or ``el`` holds one, for a skipped element)."""
        if el.tag in _SKIP_TAGS:
            self._has_block.add(el)
        for a in el.iterancestors():
            if a in self._has_block:
                break
            self._has_block.add(a)

    def texts(self) -> dict[etree._Element, str]:
        """``norm(node_text(el))`` of every element, made in one pass from the leaves up.

        :func:`norm` maps each character on its own (whitespace to nothing), so an element's text is its own
        text, then each child's text and tail, in order; a script's or style's text is left out, its tail
        is not (the tail is its parent's text), as :func:`node_text` does.
        """
        if self._texts is None:
            out: dict[etree._Element, str] = {}
            for el in reversed(self.order):  # every element after all of its descendants
                parts = [norm(el.text)] if el.text else []
                for child in el:
                    inner = out.get(child)
                    if inner:
                        parts.append(inner)
                    if child.tail:
                        parts.append(norm(child.tail))
                out[el] = "".join(parts)
            self._texts = out
        return self._texts

    def skeleton(self) -> frozenset[str]:
        return frozenset(p for el, p in self.paths.items() if el.tag in _BLOCK_TAGS)

    def blocks(self) -> set[tuple[str, str]]:
        """The text blocks, ``(path, normalised text)``: each leaf block, each link, the ``<title>``."""
        if self._blocks is not None:
            return self._blocks
        out: set[tuple[str, str]] = set()
        texts = self.texts()
        for el in self.order:
            if el.tag in ("a", "title") or (el.tag in _BLOCK_TAGS and el not in self._has_block):
                text = texts[el]
                if text:
                    out.add((self.paths[el], text))
        self._blocks = out
        return out

    def template_texts(self, template: frozenset[tuple[str, str]]) -> frozenset[str]:
        """The texts that stand on this page only where they are template text (a path and text that
        repeat on most pages): a headline also listed in a sidebar of the other pages is not one of them."""
        return _template_texts(self.blocks(), template)

    def unique(self, path: str) -> etree._Element | None:
        """The one element at ``path`` that holds text, or None (no such element, or several)."""
        texts = self.texts()
        found = [el for el in self.by_path.get(path, ()) if texts[el]]
        return found[0] if len(found) == 1 else None


def _held_elsewhere(value: str, blocks: Iterable[tuple[str, str]], template: frozenset[tuple[str, str]]) -> bool:
    """Whether a text block of the page that is not template text holds ``value`` (normalised): the site's
    name in the crumbs of every page is template text, and still the source in a page's own meta line."""
    return any(value in t for p, t in blocks if (p, t) not in template)


def _template_texts(blocks: Iterable[tuple[str, str]], template: frozenset[tuple[str, str]]) -> frozenset[str]:
    """:meth:`PathIndex.template_texts` of a page's blocks."""
    if not template:
        return frozenset()
    blocks = list(blocks)
    texts = {t for p, t in blocks if (p, t) in template}
    return frozenset(texts - {t for p, t in blocks if (p, t) not in template})


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
        """Plain data for JSON, with the format's ``version`` (:data:`STATE_VERSION`)."""
        return {"version": STATE_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteState:
        """The state :meth:`to_dict` gave; ValueError for another format version (kept by another release)."""
        version = data.get("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise ValueError(f"learned state of format {version!r}; this linfen-crawler reads {STATE_VERSION}")
        return cls([Template(skeleton=list(t["skeleton"]), pages=int(t["pages"]),
                             template_text=[(str(p), str(x)) for p, x in t.get("template_text", ())],
                             fields={k: FieldRule(**v) for k, v in t.get("fields", {}).items()})
                    for t in data.get("templates", ())])

    def for_page(self, doc: etree._Element) -> TemplateHints | None:
        """The hints of the template ``doc`` belongs to (the most similar skeleton), or None."""
        if not self.templates:
            return None
        return _match(self.templates, [frozenset(t.skeleton) for t in self.templates], PathIndex(doc))


def _match(templates: Sequence[Template], skeletons: Sequence[frozenset[str]], index: PathIndex
           ) -> TemplateHints | None:
    """The hints of the template whose skeleton is most like the page's (Jaccard ≥ ``SAME_TEMPLATE``)."""
    sk = index.skeleton()
    score, best = max(((jaccard(s, sk), -i) for i, s in enumerate(skeletons)), default=(0.0, 0))
    return TemplateHints(templates[-best], index) if templates and score >= SAME_TEMPLATE else None


class TemplateHints:
    """:class:`~linfen_crawler.extract.article.PageHints` of one page from its template's learned state."""

    def __init__(self, template: Template, index: PathIndex) -> None:
        self.template = template
        self.index = index
        self._template = frozenset(template.template_text)
        self._text = index.template_texts(self._template)

    def is_template(self, text: str) -> bool:
        return bool(self._text) and norm(text) in self._text

    def is_template_name(self, text: str) -> bool:
        """A source or a name that stands on this page only as template text (or inside it): the value was
        read from a banner, a menu or a footer. One also held by a text block of the page's own is not."""
        if not self.is_template(text):
            return False
        return not _held_elsewhere(norm(text), self.index.blocks(), self._template)

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

    def credits(self, doc: etree._Element, wanted: Collection[str] = ("source", "authors", "editors")) -> Byline:
        """Source, writers and editors (those ``wanted``), each read only from its own learned element (its
        byline labels)."""
        out = Byline()
        for name in ("source", "authors", "editors"):
            if name not in wanted:
                continue
            el = self._element(name)
            if el is None:
                continue
            found = parse_byline(node_text(el))
            if name == "source" and found.source and not self.is_template_name(found.source):
                out.source = found.source
            elif name == "authors":
                out.authors = [n for n in found.authors if not self.is_template_name(n)]
            elif name == "editors":
                out.editors = [n for n in found.editors if not self.is_template_name(n)]
        return out


def _plausible_title(text: str, doc: etree._Element, is_template: Any) -> bool:
    """One line of 4–120 characters, no template text, no date, no label or breadcrumb; when the page's
    ``<title>`` says something of its own, the text must be its head or hold it."""
    return _title_shape(text) and _title_fits(text, _page_title(doc), is_template)


def _title_shape(text: str) -> bool:
    """What a headline looks like on any page: one line of 4–120 characters, no date, no label or crumb."""
    if not 4 <= len(text) <= MAX_TITLE_CHARS or "\n" in text:
        return False
    return parse_date(text) is None and not _LABEL_OR_CRUMB.search(text)


def _page_title(doc: etree._Element) -> str:
    titles = doc.getroottree().getroot().findall(".//title")
    return clean_text(node_text(titles[0])) if titles else ""


def _title_fits(text: str, page_title: str, is_template: Any) -> bool:
    """No template text; the ``<title>``'s head or holding it, when the ``<title>`` is not template text."""
    if is_template(text):
        return False
    if page_title and not is_template(page_title):
        head, own = norm(title_head(page_title)), norm(text)
        return bool(head) and (own in norm(page_title) or head in own)
    return True


def _locate(index: PathIndex, value: str) -> etree._Element | None:
    """The element with the shortest text that holds ``value`` (the deepest one naming it; of equals, the
    last in page order)."""
    want = norm(value)
    if not want:
        return None
    texts = index.texts()
    best: tuple[int, etree._Element] | None = None
    for el in index.order:
        if el.tag not in _TEXT_TAGS:
            continue
        text = texts[el]
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


@dataclass(frozen=True)
class PageSample:
    """What learning keeps of one extracted page: a few kilobytes of paths and texts, no tree.

    ``blocks`` are its text blocks (:meth:`PathIndex.blocks`); ``title`` the path and text of the headline
    the extractor took and ``body`` the path of its body container; ``found`` ``(field, path, value)`` for the
    date, the source, the first writer and the first editor, at the deepest element holding the value;
    ``slots`` the headline-slot candidates before the body container (``(path, text)``, page order, each of
    a headline's shape: :func:`_title_shape`), and ``page_title`` the ``<title>`` text. What depends on the
    other pages (template text) is decided when the site is learned (:func:`learn_samples`).
    """

    skeleton: frozenset[str]
    blocks: frozenset[tuple[str, str]]
    title: tuple[str, str] | None
    body: str | None
    found: tuple[tuple[str, str, str], ...]
    page_title: str
    slots: tuple[tuple[str, str], ...]


def sample_page(record: Mapping[str, Any], trace: Mapping[str, Any],
                learned: Collection[str] = ()) -> PageSample | None:
    """The :class:`PageSample` of a page :func:`extract_page` gave ``record`` for (``trace`` filled), or None
    for a page that is no article. Fields in ``learned`` came from a learned state: they do not vote (a state
    never confirms itself; the page alone had nothing there, or only template text)."""
    doc = trace.get("doc")
    if doc is None or record["not_article"]:
        return None
    index = PathIndex(doc)
    title_node = trace.get("title_node")
    title = None
    if record["title"] and "title" not in learned and isinstance(title_node, etree._Element) \
            and title_node in index.paths:
        title = (index.paths[title_node], str(record["title"]))
    body_el = None if "body" in learned else _body_element(index, trace.get("body_node"))
    body = index.paths.get(body_el) if body_el is not None else None
    values = {"published_at": record["published_text"], "source": record["source"],
              "authors": record["authors"][0] if record["authors"] else None,
              "editors": record["editors"][0] if record["editors"] else None}
    found = []
    for name, value in values.items():
        if value and name not in learned:
            el = _locate(index, value)
            if el is not None:
                found.append((name, index.paths[el], str(value)))
    slots: list[tuple[str, str]] = []
    if body is not None:
        assert body_el is not None  # body has its path
        for el in index.order:
            if el is body_el:
                break
            if el.tag not in _BLOCK_TAGS or not (el.text and el.text.strip()) or el.find(".//a") is not None \
                    or any(a.tag == "a" or a is body_el for a in el.iterancestors()):
                continue
            text = clean_text(node_text(el))
            if _title_shape(text):
                slots.append((index.paths[el], text))
    return PageSample(index.skeleton(), frozenset(index.blocks()), title, body, tuple(found), _page_title(doc),
                      tuple(slots))


def _field_paths(pages: Sequence[PageSample], text: frozenset[tuple[str, str]]) -> dict[str, FieldRule]:
    """L3 and L4: the path each field was found at, by page, and the one most pages agree on."""
    votes: dict[str, Counter[str]] = {name: Counter() for name in FIELDS}
    for page in pages:
        page_text = _template_texts(page.blocks, text)
        if page.title and norm(page.title[1]) not in page_text:
            votes["title"][page.title[0]] += 1
        if page.body is not None:
            votes["body"][page.body] += 1
        for name, path, value in page.found:
            want = norm(value)
            if want not in page_text or _held_elsewhere(want, page.blocks, text):
                votes[name][path] += 1
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


def _title_slot(pages: Sequence[PageSample], text: frozenset[tuple[str, str]]) -> FieldRule | None:
    """L4: the path of the last plausible headline before the body container, if most pages agree."""
    votes: Counter[str] = Counter()
    for page in pages:
        if page.body is None:
            continue
        page_text = _template_texts(page.blocks, text)

        def template(t: str, page_text: frozenset[str] = page_text) -> bool:
            return norm(t) in page_text

        last = None
        for path, candidate in page.slots:
            if _title_fits(candidate, page.page_title, template):
                last = path
        if last is not None:
            votes[last] += 1
    if not votes:
        return None
    path, count = votes.most_common(1)[0]
    return FieldRule(path, count, len(pages)) if _enough(count, len(pages)) else None


def learn_samples(samples: Sequence[PageSample]) -> SiteState:
    """Learn a site's templates from its pages' samples (see the module docstring)."""
    state = SiteState()
    for group in group_pages([p.skeleton for p in samples]):
        members = [samples[i] for i in group]
        counts: Counter[tuple[str, str]] = Counter()
        shapes: Counter[str] = Counter()
        for page in members:
            counts.update(page.blocks)
            shapes.update(page.skeleton)
        n = len(members)
        text = frozenset(t for t, c in counts.items() if _enough(c, n))
        state.templates.append(Template(
            skeleton=sorted(p for p, c in shapes.items() if c * 2 >= n), pages=n, template_text=sorted(text),
            fields=_field_paths(members, text) if n >= MIN_PAGES else {}))
    return state


def learn_site(pages: Iterable[tuple[bytes | str, str]], *, profile: Profile | None = None,
               generic_only: bool = False) -> SiteState:
    """Learn a site's templates from its pages, ``(html, url)`` each (see the module docstring)."""
    seen: list[PageSample] = []
    for html, url in pages:
        trace: dict[str, Any] = {}
        record = extract_page(html, url, profile=profile, generic_only=generic_only, trace=trace)
        sample = sample_page(record, trace)
        if sample is not None:
            seen.append(sample)
    return learn_samples(seen)


def extract_site(pages: Sequence[tuple[bytes | str, str]], *, profile: Profile | None = None,
                 generic_only: bool = False) -> tuple[SiteState, list[ExtractedPage]]:
    """Learn from ``pages`` (``(html, url)`` each), then extract every one of them with what was learned."""
    state = learn_site(pages, profile=profile, generic_only=generic_only)
    return state, [extract_page(html, url, profile=profile, generic_only=generic_only, site=state)
                   for html, url in pages]


# -- learning while a site is crawled ------------------------------------------------------------------------

class LazySite:
    """A :class:`SiteState` as :func:`extract_page`'s ``site`` during a crawl: the same records as the state
    itself gives, but a page's template is found (a walk over its tree) only when a field asks for it.

    Most pages of a learned site need nothing from the state: their own headline, date and credits are
    there and are no template text. Whether a text is template text is first looked up in the set of all
    template texts of the site, which settles almost every text at once; a field rule is looked for only
    when some template has one for that field.
    """

    def __init__(self, state: SiteState) -> None:
        self.state = state
        self.skeletons = [frozenset(t.skeleton) for t in state.templates]
        self.texts = frozenset(t for template in state.templates for _, t in template.template_text)
        self.fields = frozenset(name for template in state.templates for name in template.fields)

    def for_page(self, doc: etree._Element) -> _LazyHints | None:
        return _LazyHints(self, doc) if self.texts or self.fields else None


class _LazyHints:
    """:class:`TemplateHints` of one page, made at the first question that needs them."""

    def __init__(self, site: LazySite, doc: etree._Element) -> None:
        self.site = site
        self.doc = doc
        self._hints: TemplateHints | None = None
        self._matched = False

    def _get(self) -> TemplateHints | None:
        if not self._matched:
            self._matched = True
            self._hints = _match(self.site.state.templates, self.site.skeletons, PathIndex(self.doc))
        return self._hints

    def is_template(self, text: str) -> bool:
        if norm(text) not in self.site.texts:
            return False
        hints = self._get()
        return hints is not None and hints.is_template(text)

    def is_template_name(self, text: str) -> bool:
        if norm(text) not in self.site.texts:
            return False
        hints = self._get()
        return hints is not None and hints.is_template_name(text)

    def title(self, doc: etree._Element) -> tuple[str, etree._Element] | None:
        hints = self._get() if "title" in self.site.fields else None
        return hints.title(doc) if hints is not None else None

    def body(self, doc: etree._Element) -> etree._Element | None:
        hints = self._get() if "body" in self.site.fields else None
        return hints.body(doc) if hints is not None else None

    def date(self, doc: etree._Element, *, now: datetime | None, tz: str) -> DateMatch | None:
        hints = self._get() if "published_at" in self.site.fields else None
        return hints.date(doc, now=now, tz=tz) if hints is not None else None

    def credits(self, doc: etree._Element, wanted: Collection[str] = ("source", "authors", "editors")) -> Byline:
        hints = self._get() if not self.site.fields.isdisjoint(wanted) else None
        return hints.credits(doc, wanted) if hints is not None else Byline()


#: while a site's sample fills, it is learned after every this many new pages (first-run pages benefit early)
WARMUP = 10
#: templates a crawl's state keeps: the ones learned from the sample, then older ones no new one resembles
MAX_TEMPLATES = 8


class SiteLearner:
    """Site learning during a crawl of one site (the spider holds one; the Store pipeline persists it).

    The learner keeps the :class:`PageSample` s of the last ``sample_size`` article pages it was given
    (memory-bounded: a few kilobytes a page, the tree is not kept). Until the sample is full every page is
    sampled and, when no state was loaded, the site is learned after every :data:`WARMUP` new pages; once
    it is full, one page in ``every // sample_size`` is sampled and the site is learned again after
    ``sample_size`` new samples, about every ``every`` pages. Learning counts over the samples
    (:func:`learn_samples`) and never extracts a page again, so its cost is amortised.

    ``site`` is what the spider passes to :func:`extract_page` (None before anything was learned or
    loaded); ``generation`` grows with each new state, so the pipeline saves it only when it changed. A
    state loaded from the dataset (:meth:`load`) is replaced only by one learned from a full sample, and
    its templates that no newly learned one resembles are kept (an older design seen in an earlier run).
    """

    def __init__(self, *, sample_size: int = 30, every: int = 200) -> None:
        self.samples: deque[PageSample] = deque(maxlen=max(MIN_PAGES, sample_size))
        size = self.samples.maxlen or MIN_PAGES
        self.stride = max(1, every // size)
        self.state = SiteState()
        self.site: LazySite | None = None
        self.loaded = False
        self.generation = 0
        self.pages = 0  # article pages offered (:meth:`wants`)
        self.fresh = 0  # samples since the last learning
        self.full_learned = False

    def load(self, state: SiteState) -> None:
        """Start from a state kept by an earlier run."""
        self.state = state
        self.site = LazySite(state) if state.templates else None
        self.loaded = bool(state.templates)

    def wants(self) -> bool:
        """Whether the next article page should be sampled (call once per article page, before extracting
        it: a sampled page is extracted with a ``trace``)."""
        self.pages += 1
        if len(self.samples) < (self.samples.maxlen or 0):
            return True
        return self.pages % self.stride == 0

    def add(self, record: Mapping[str, Any], trace: Mapping[str, Any]) -> bool:
        """Sample a page extracted with ``trace``; True when the site was learned again."""
        extractor = record.get("extractor") or {}
        sample = sample_page(record, trace, {k for k, v in extractor.items() if v == "learned"})
        if sample is None:
            return False
        self.samples.append(sample)
        self.fresh += 1
        size = self.samples.maxlen or MIN_PAGES
        if len(self.samples) < size:
            due = not self.loaded and self.fresh >= WARMUP
        else:
            due = not self.full_learned or self.fresh >= size
        if due:
            self.relearn()
        return due

    def relearn(self) -> None:
        """Learn from the sample now (see the class docstring)."""
        full = len(self.samples) >= (self.samples.maxlen or 0)
        new = [t for t in learn_samples(list(self.samples)).templates if t.fields or t.template_text]
        skeletons = [frozenset(t.skeleton) for t in new]
        older = [t for t in self.state.templates
                 if all(jaccard(frozenset(t.skeleton), sk) < SAME_TEMPLATE for sk in skeletons)]
        self.state = SiteState((new + older)[:MAX_TEMPLATES])
        self.site = LazySite(self.state) if self.state.templates else None
        self.fresh = 0
        self.full_learned = self.full_learned or full
        self.generation += 1
