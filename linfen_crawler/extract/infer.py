"""Infer a site profile from sampled pages of the site (``linfen learn``): pure, no Scrapy, no network.

``linfen learn`` samples a new portal (its start page, the list pages it links, then about 40 articles) and
hands the pages to :func:`infer_profile`, which writes an ordinary profile (``docs/profiles.md``) to review and
commit. Why each part looks the way it does:

- **Selectors are voted, then verified.** The generic extractor reads every sampled article; for each field
  the element it took the value from is described by short XPaths (a stable ``id`` or ``class``, or the same
  under its parent), and the XPath that finds the generic value on most pages wins. Every page is then read
  again with the learned profile; a selector's ``N/M pages agree`` comment counts the pages where the field it
  feeds is the generic extractor's value. A profile selector that finds nothing (a redesign) falls back to
  the generic extractor, so a selector is written only where it agreed on most pages.
- **The profile format has no per-field slot for date, 来源 and 作者**: they are read from the ``meta`` line.
  The meta selector is the smallest element holding the published date together with the source and the
  first author when they stand beside it; editors outside the body (a template 责任编辑 line) become
  ``byline``.
- **The article-link rule** generalises the sampled article URLs (:func:`url_pattern`): directory names
  become ``[a-z]+``, digit runs ``\\d{n}`` (or ``\\d+`` when the lengths vary), so list pages never match.
- **List links**: when list pages carry links that recur on other list pages (a sidebar of hot news), the
  ``article_links`` rule names the container holding each page's own links, so an article keeps the
  section of the list it was found on.
- **Pagination** is the ``index_{n}.html`` template when page 2 of every paged list is ``index_1.html``,
  else the 下一页 link.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from linfen_crawler.extract.article import ExtractedPage, extract_page, node_text, parse_html
from linfen_crawler.extract.encoding import decode_html
from linfen_crawler.extract.links import detect_article_links, looks_like_article_url, on_domains
from linfen_crawler.extract.tree import ORIGIN_ATTR, is_inside, resolve_path
from linfen_crawler.normalize import canonicalize_url, clean_text
from linfen_crawler.profiles import Profile, parse_bytes

__all__ = [
    "MIN_LIST_LINKS",
    "SELECTOR_FIELDS",
    "ArticleSample",
    "Coverage",
    "Disagreement",
    "LearnedProfile",
    "ListSample",
    "infer_profile",
    "list_candidates",
    "list_links",
    "next_list_url",
    "url_pattern",
]

#: a page is a list page when it links at least this many articles
MIN_LIST_LINKS = 3
#: a selector is written when it agrees with the generic extractor on at least this share of sampled pages
AGREEMENT = 0.6
#: the record fields compared, and the profile selector each one is read through
SELECTOR_FIELDS = {"title": "title", "published_at": "meta", "source": "meta", "authors": "meta",
                   "editors": "byline", "body": "body"}
#: a meta line or byline is a line, not a container
_MAX_LINE_CHARS = 200
_UNSTABLE = re.compile(r"\d")
#: a digit run this long or shorter, of the same length in every sampled URL, is a date part (\\d{n});
#: a longer one (an article id, ``t20230918``) or one of varying length is ``\\d+``
_DATE_DIGITS = 8
_SPACE = re.compile(r"\s+")
_NAV_NAME = re.compile(r"^(首页|更多|more|下一页|上一页|尾页|末页|返回|>>|»)", re.I)
_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页)\s*[>»›]*\s*$")
_SKIP_EXT = re.compile(r"\.(jpe?g|png|gif|bmp|webp|svg|css|js|pdf|docx?|xlsx?|zip|rar|txt|xml)$", re.I)
_NEXT_XPATH = "//a[normalize-space()='下一页']/@href"


@dataclass(frozen=True)
class ListSample:
    """A sampled list page: its URL and HTML, the name the start page gives it, and its page number."""

    url: str
    html: bytes
    name: str = ""
    page: int = 1
    next_url: str | None = None  # where its 下一页 or numbered pager led (page 2), when sampled
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ArticleSample:
    url: str
    html: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Coverage:
    """One line of the coverage table: a field, the selector it is read through, found/agreeing pages."""

    field: str
    selector: str | None
    found: int
    agree: int
    pages: int


@dataclass(frozen=True)
class Disagreement:
    url: str
    field: str
    generic: Any
    learned: Any


@dataclass
class LearnedProfile:
    """What :func:`infer_profile` returns: the profile's TOML text, its coverage table and the disagreements."""

    toml: str
    coverage: list[Coverage]
    disagreements: list[Disagreement]
    articles: int
    lists: int


# -- sampling helpers (used by the sampling spider and by --from) ---------------------------------------


def _doc(html: bytes, headers: dict[str, str] | None = None) -> etree._Element | None:
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), None)
    return parse_html(decode_html(html, content_type, None)[0])


def list_candidates(doc: etree._Element, base_url: str, domains: Sequence[str]) -> dict[str, str]:
    """Links of a start page that may lead to list pages: on the site, not article-shaped, no file
    download; URL -> the first link text that names it (a section name, not 更多)."""
    found: dict[str, str] = {}
    here = canonicalize_url(base_url)
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = canonicalize_url(urldefrag(urljoin(base_url, href))[0])
        path = urlsplit(url).path
        if url == here or not on_domains(url, domains) or looks_like_article_url(url) or _SKIP_EXT.search(path):
            continue
        text = clean_text(node_text(a))
        name = "" if not text or _NAV_NAME.match(text) or len(text) > 12 else text
        if not found.get(url):
            found[url] = name
    return found


def list_links(doc: etree._Element, base_url: str, domains: Sequence[str]) -> list[str]:
    """The article links of a page (canonical), as a crawl without an ``article_links`` rule finds them."""
    return list(dict.fromkeys(canonicalize_url(u) for u in detect_article_links(doc, base_url, domains)))


def next_list_url(doc: etree._Element, base_url: str) -> str | None:
    """Page 2 of a list page: the target of its 下一页 link, or None."""
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if href and _NEXT_TEXT.match(clean_text(node_text(a))):
            return canonicalize_url(urljoin(base_url, href))
    return None


# -- the article-link rule ------------------------------------------------------------------------------


def _segment_shape(segment: str) -> tuple[str, tuple[int, ...]]:
    """A path segment's shape (digit runs as ``#``) and the lengths of its digit runs."""
    return re.sub(r"\d+", "#", segment), tuple(len(d) for d in re.findall(r"\d+", segment))


def _escape(text: str) -> str:
    """``text`` with the regular-expression metacharacters escaped (``-``, ``_``, ``=`` stay as written)."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def _shape_regex(shape: str, lengths: set[tuple[int, ...]], last: bool = False) -> str:
    """The regex of a segment shape; ``last``: the final digit run is the article's id, any length."""
    parts = shape.split("#")
    out = _escape(parts[0])
    for i, rest in enumerate(parts[1:]):
        sizes = {ls[i] for ls in lengths}
        fixed = len(sizes) == 1 and max(sizes) <= _DATE_DIGITS and not (last and i == len(parts) - 2)
        out += rf"\d{{{sizes.pop()}}}" if fixed else r"\d+"
        out += _escape(rest)
    return out


def url_pattern(urls: Iterable[str]) -> str:
    """An RE2 pattern matching the given article URLs and URLs shaped like them (see the module docstring).

    Directory segments of letters become ``[a-z]+/`` and a run of them ``([a-z]+/)+``; digit runs become
    ``\\d{n}`` (``\\d+`` when their length varies); everything else is kept literally. Different shapes are
    alternatives, e.g. ``^https?://(www\\.)?lfxww\\.com/(([a-z]+/)+\\d+\\.html|[a-z]+/view\\.php\\?aid=\\d+)$``.
    """
    hosts: set[str] = set()
    shapes: dict[str, set[tuple[int, ...]]] = {}
    order: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        hosts.add((parts.hostname or "").lower())
        segments = parts.path.lstrip("/").split("/")
        dirs, last = segments[:-1], segments[-1] + (f"?{parts.query}" if parts.query else "")
        tokens = ["@" if re.fullmatch(r"[A-Za-z_-]+", d) else d for d in dirs]
        collapsed: list[str] = []
        for token in tokens:
            if token == "@":
                if not collapsed or collapsed[-1] != "@+":
                    collapsed.append("@+")
            else:
                collapsed.append(token)
        key_parts: list[str] = []
        lengths: list[int] = []
        for token in [*collapsed, last]:
            if token in ("@", "@+"):
                key_parts.append(token)
                continue
            shape, ls = _segment_shape(token)
            key_parts.append(shape)
            lengths.extend(ls)
        key = "/".join(key_parts)
        if key not in shapes:
            shapes[key] = set()
            order.append(key)
        shapes[key].add(tuple(lengths))
    alternatives = []
    for key in order:
        seen = shapes[key]
        out, offset = [], 0
        tokens = key.split("/")
        for position, token in enumerate(tokens):
            if token == "@+":
                out.append("([a-z]+/)+")
            else:
                n = token.count("#")
                out.append(_shape_regex(token, {ls[offset:offset + n] for ls in seen},
                                        last=position == len(tokens) - 1) + "/")
                offset += n
        alternatives.append("".join(out)[:-1])
    body = alternatives[0] if len(alternatives) == 1 else "(" + "|".join(alternatives) + ")"
    return f"^https?://{_host_pattern(hosts)}/{body}$"


def _host_pattern(hosts: set[str]) -> str:
    bare = {h.removeprefix("www.") for h in hosts}
    if len(bare) == 1:
        return r"(www\.)?" + _escape(bare.pop())
    return "(" + "|".join(_escape(h) for h in sorted(hosts)) + ")"


# -- selectors ------------------------------------------------------------------------------------------


def _stable_classes(el: etree._Element) -> list[str]:
    return sorted({c for c in (el.get("class") or "").split() if not _UNSTABLE.search(c)})


def _step_xpaths(el: etree._Element) -> list[str]:
    """Predicates that name ``el`` by a stable id or class: ``h1[@id='title']``, ``div[contains(@class,'x')]``."""
    tag = str(el.tag).lower()
    out = []
    ident = (el.get("id") or "").strip()
    if ident and not _UNSTABLE.search(ident) and "'" not in ident:
        out.append(f"{tag}[@id='{ident}']")
    classes = (el.get("class") or "").split()
    for c in _stable_classes(el):
        if "'" in c:
            continue
        out.append(f"{tag}[@class='{c}']" if classes == [c] else f"{tag}[contains(@class,'{c}')]")
    return out


def candidate_xpaths(el: etree._Element) -> list[str]:
    """Short XPaths that may select ``el`` on every page of its template, most specific first."""
    own = _step_xpaths(el)
    out = [f"//{s}" for s in own]
    parent = el.getparent()
    tag = str(el.tag).lower()
    for depth in range(3):
        if parent is None or not isinstance(parent.tag, str) or parent.tag in ("body", "html"):
            break
        for p in _step_xpaths(parent):
            sep = "/" if depth == 0 else "//"
            out.extend(f"//{p}{sep}{s}" for s in own)
            out.append(f"//{p}{sep}{tag}")
        if own or len(out) > 6:
            break
        parent = parent.getparent()
    return list(dict.fromkeys(out))


def _norm(text: str) -> str:
    return _SPACE.sub("", clean_text(text))


def _nodes(xp: etree.XPath, doc: etree._Element) -> list[Any]:
    """An XPath's result as a list (a selector that counts or compares gives a number or a boolean)."""
    found = xp(doc)
    return found if isinstance(found, list) else []


def _first_text(xp: etree.XPath, doc: etree._Element) -> tuple[str, etree._Element] | None:
    for node in _nodes(xp, doc):
        if isinstance(node, etree._Element):
            text = node_text(node)
            if text:
                return text, node
    return None


def _locate(doc: etree._Element, value: str, *, outside: etree._Element | None = None) -> etree._Element | None:
    """The element with the shortest text holding ``value`` (the deepest that names it), or None."""
    want = _norm(value)
    if not want:
        return None
    best: tuple[int, etree._Element] | None = None
    for el in doc.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "title", "head", "meta", "html"):
            continue
        if outside is not None and is_inside(el, outside):
            continue
        text = _norm(node_text(el))
        if want in text and (best is None or len(text) <= best[0]):
            best = (len(text), el)
    return best[1] if best else None


def _common_ancestor(a: etree._Element, b: etree._Element) -> etree._Element:
    chain = [a, *a.iterancestors()]  # kept alive: lxml hands out the same proxy only while one exists
    return next(x for x in [b, *b.iterancestors()] if any(x is y for y in chain))


@dataclass
class _Read:
    sample: ArticleSample
    doc: etree._Element
    record: ExtractedPage
    title: etree._Element | None
    body: etree._Element | None


def _read(sample: ArticleSample) -> _Read | None:
    trace: dict[str, Any] = {}
    record = extract_page(sample.html, sample.url, headers=sample.headers, trace=trace)
    doc = trace.get("doc")
    if doc is None or record["not_article"] or not record["title"] or not record["body"]:
        return None
    body = trace.get("body_node")
    if body is not None and body.getparent() is None:  # a detached run of the container's children
        origin = body.get(ORIGIN_ATTR)
        start = resolve_path(doc, origin) if origin else None
        body = start.getparent() if start is not None else None
    title = trace.get("title_node")
    if title is not None and (not isinstance(title, etree._Element) or title.tag == "title"):
        title = None  # the <title> element (or a string) is no headline slot
    return _Read(sample, doc, record, title, body)


def _meta_element(page: _Read) -> etree._Element | None:
    """The element holding the date, with the source and first author when they stand beside it."""
    rec = page.record
    if not rec["published_text"]:
        return None
    el = _locate(page.doc, rec["published_text"], outside=page.body)
    if el is None:
        return None
    for value in (rec["source"], rec["authors"][0] if rec["authors"] else None):
        other = _locate(page.doc, value, outside=page.body) if value else None
        if other is None:
            continue
        joined = _common_ancestor(el, other)
        if _is_line(page, joined):
            el = joined
    return el


def _is_line(page: _Read, el: etree._Element) -> bool:
    """A meta line or byline: short, and holding neither the headline nor the body."""
    return (el.tag not in ("body", "html") and len(_norm(node_text(el))) <= _MAX_LINE_CHARS
            and not any(node is not None and is_inside(node, el) for node in (page.title, page.body)))


def _byline_element(page: _Read) -> etree._Element | None:
    """The editors' line when it stands outside the body container (in the body they are read anyway)."""
    if not page.record["editors"]:
        return None
    el = _locate(page.doc, page.record["editors"][0], outside=page.body)
    return el if el is not None and _is_line(page, el) else None


def _vote(pages: Sequence[_Read], element_of: Any) -> str | None:
    """The candidate XPath that finds the voted element's text on most pages."""
    candidates: Counter[str] = Counter()
    wanted: list[tuple[_Read, str]] = []
    for page in pages:
        el = element_of(page)
        if el is None:
            continue
        wanted.append((page, _norm(node_text(el))))
        candidates.update(candidate_xpaths(el))
    best: tuple[int, int, str] | None = None
    for expr, _ in candidates.most_common(20):
        try:
            xp = etree.XPath(expr)
        except etree.XPathError:
            continue
        hits = 0
        for page, text in wanted:
            found = _first_text(xp, page.doc)
            hits += bool(found and _norm(found[0]) == text)
        score = (hits, -len(expr), expr)
        if best is None or score[:2] > best[:2]:
            best = (hits, -len(expr), expr)
    if best is None or best[0] < max(1, AGREEMENT * len(wanted)):
        return None
    return best[2]


# -- list pages -----------------------------------------------------------------------------------------


@dataclass
class _List:
    sample: ListSample
    doc: etree._Element
    links: list[str]


def _own_links(lists: Sequence[_List]) -> list[set[str]]:
    """Per list page, its article links that no other list page links (a sidebar's links recur)."""
    counts: Counter[str] = Counter(u for lst in lists for u in set(lst.links))
    return [{u for u in lst.links if counts[u] == 1} for lst in lists]


def _links_rule(lists: Sequence[_List], domains: Sequence[str]) -> tuple[str | None, int]:
    """An ``article_links`` XPath when list pages also link other lists' articles; and on how many it agreed.

    The rule is the container around each page's own links (those no other list page links) that holds all
    of them on most pages; among such containers the one selecting the fewest links, so a sidebar is left out.
    """
    own = _own_links(lists)
    if all(set(lst.links) == mine for lst, mine in zip(lists, own, strict=True)):
        return None, 0
    candidates: Counter[str] = Counter()
    for lst, mine in zip(lists, own, strict=True):
        for a in lst.doc.iter("a"):
            url = canonicalize_url(urljoin(lst.sample.url, (a.get("href") or "").strip()))
            if url in mine:
                for anc in a.iterancestors():
                    if anc.tag in ("body", "html"):
                        break
                    candidates.update(f"//{s}//a/@href" for s in _step_xpaths(anc))
                break
    best: tuple[int, int, str] | None = None
    for expr, _ in candidates.most_common(10):
        xp = etree.XPath(expr)
        agree, selected = 0, 0
        for lst, mine in zip(lists, own, strict=True):
            got = {canonicalize_url(urljoin(lst.sample.url, str(h).strip())) for h in _nodes(xp, lst.doc)}
            got &= set(lst.links)
            agree += bool(mine) and mine <= got
            selected += len(got)
        if best is None or (agree, -selected) > best[:2]:  # most pages agreeing, then the tightest container
            best = (agree, -selected, expr)
    if best is None or best[0] < AGREEMENT * len(lists):
        return None, 0
    return best[2], best[0]


def _pagination(lists: Sequence[_List]) -> tuple[str, str]:
    """The ``next_pages`` rule, and a comment saying what it rests on."""
    paged = [lst for lst in lists if lst.sample.page == 1 and lst.sample.next_url]
    if not paged:
        return _NEXT_XPATH, "no list page showed a page 2: the 下一页 link, if one appears"
    template = [lst for lst in paged
                if canonicalize_url(urljoin(lst.sample.url, "index_1.html")) == lst.sample.next_url]
    if len(template) == len(paged):
        return "index_{n}.html", f"{len(paged)}/{len(paged)} paged lists: page 2 is index_1.html"
    return _NEXT_XPATH, f"{len(paged)} paged list{'' if len(paged) == 1 else 's'}: page 2 is its 下一页 link"


# -- the profile ----------------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A TOML string: a literal string when it can be one (XPaths and regexes read as written), else basic."""
    if "'" not in text and "\n" not in text and all(c >= " " for c in text):
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def _same(field_name: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return _norm(a) == _norm(b)
    return bool(a == b)


def infer_profile(key: str, start_url: str, lists: Sequence[ListSample], articles: Sequence[ArticleSample],
                  *, name: str = "", domains: Sequence[str] = ()) -> LearnedProfile:
    """Write a profile for the site from its sampled list and article pages (see the module docstring).

    Raises ValueError naming what is missing when the sample holds no article page the generic extractor
    can read, or no list page.
    """
    host = (urlsplit(start_url).hostname or "").lower()
    bare = host.removeprefix("www.")
    domains = tuple(domains) or tuple(dict.fromkeys([bare, f"www.{bare}"]))
    parsed_lists = []
    for sample in lists:
        doc = _doc(sample.html, sample.headers)
        if doc is not None:
            parsed_lists.append(_List(sample, doc, list_links(doc, sample.url, domains)))
    parsed_lists = [lst for lst in parsed_lists if len(lst.links) >= MIN_LIST_LINKS]
    if not parsed_lists:
        raise ValueError(f"no list page among the sampled pages (a list page links at least {MIN_LIST_LINKS} "
                         "articles)")
    reads = [r for r in (_read(a) for a in articles) if r is not None]
    if not reads:
        raise ValueError("no sampled page reads as an article (title and body)")

    selectors = {
        "title": _vote(reads, lambda p: p.title),
        "meta": _vote(reads, _meta_element),
        "body": _vote(reads, lambda p: p.body),
        "byline": _vote(reads, _byline_element),
    }
    links_rule, links_agree = _links_rule(parsed_lists, domains)
    next_rule, next_note = _pagination(parsed_lists)  # always a rule: a list without a pager has no 下一页
    # the rule covers every article link the lists showed (detected as article-shaped), not only those read:
    # an old URL form linked once (view.php?aid=) must not fall out because it was not among the sampled pages
    links_seen = dict.fromkeys([*(r.sample.url for r in reads), *(u for lst in parsed_lists for u in lst.links)])
    article_re = url_pattern(links_seen)
    firsts = [lst for lst in parsed_lists if lst.sample.page == 1]
    starts = [lst.sample for lst in firsts if canonicalize_url(lst.sample.url) != canonicalize_url(start_url)] \
        or [lst.sample for lst in firsts]

    def render(comments: dict[str, str]) -> str:
        lines = [
            f"# {name or key}: learned by `linfen learn` from {len(reads)} article page(s) and "
            f"{len(parsed_lists)} list page(s); review before committing.",
            f"key = {_q(key)}",
            f"name = {_q(name or key)}",
            f"domains = [{', '.join(_q(d) for d in domains)}]",
            f"facts = {_q(f'learned by linfen learn from {start_url}: {len(reads)} article pages')}",
            "verified_live = false",
            "start_urls = [",
            *[f"    {_q(s.url)}," for s in starts],
            "]",
            "",
            "[sections]",
            *[f"{_q(s.url)} = {_q(s.name)}" for s in starts if s.name],
            "",
            "[list]",
        ]
        if links_rule:
            lines.append(f"article_links = {_q(links_rule)}   # {links_agree}/{len(parsed_lists)} list pages agree")
        lines += [
            f"article_url = {_q(article_re)}   # the shapes of {len(links_seen)} article links on the list pages",
            f"next_pages = {_q(next_rule)}   # {next_note}",
            "",
            "[article]",
        ]
        for slot in ("title", "meta", "body", "byline"):
            if selectors[slot]:
                lines.append(f"{slot} = [{_q(selectors[slot] or '')}]   # {comments.get(slot, '')}")
        return "\n".join(lines) + "\n"

    while True:
        profile = parse_bytes(render({}).encode(), f"{key}.toml")
        coverage, disagreements, agreed = _check(profile, reads, selectors)
        weak = [slot for slot, count in agreed.items() if count < AGREEMENT * len(reads)]
        if not weak:
            break
        for slot in weak:  # a selector that does not agree with most pages would only add wrong values
            selectors[slot] = None
    toml = render({slot: f"{count}/{len(reads)} pages agree" for slot, count in agreed.items()})
    parse_bytes(toml.encode(), f"{key}.toml")  # a learned profile is an ordinary one
    return LearnedProfile(toml, coverage, disagreements, len(reads), len(parsed_lists))


def _check(profile: Profile, reads: Sequence[_Read], selectors: dict[str, str | None]
           ) -> tuple[list[Coverage], list[Disagreement], dict[str, int]]:
    """Read every sampled article with the learned profile and compare each field with the generic reading."""
    found: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    slot_agree: Counter[str] = Counter()
    disagreements = []
    for page in reads:
        learned = extract_page(page.sample.html, page.sample.url, profile=profile, headers=page.sample.headers)
        slots_ok = {slot: _first_text(etree.XPath(expr), page.doc) is not None
                    for slot, expr in selectors.items() if expr}  # the selector finds its element
        for name, slot in SELECTOR_FIELDS.items():
            if not selectors.get(slot):
                continue
            generic, mine = page.record[name], learned[name]  # type: ignore[literal-required]
            same = _same(name, generic, mine)
            from_profile = learned["extractor"].get(name) == "profile" and bool(mine)
            found[name] += from_profile
            agree[name] += from_profile and same
            slots_ok[slot] = slots_ok[slot] and same
            if not same:
                disagreements.append(Disagreement(page.sample.url, name, generic, mine))
        for slot, ok in slots_ok.items():
            slot_agree[slot] += ok
    n = len(reads)
    coverage = [Coverage(name, selectors.get(slot), found[name], agree[name], n)
                for name, slot in SELECTOR_FIELDS.items()]
    return coverage, disagreements, {slot: slot_agree[slot] for slot in selectors if selectors[slot]}
