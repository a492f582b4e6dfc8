"""The generic sample-portal machinery that every sample site builds on.

A sample site is built from facts (headline, date, 来源, byline parts, paragraphs, images, editor line …):
:class:`SampleSite` turns them into :class:`Page` answers by path, laid out by its subclass's templates,
and into the records the crawler must store, through the same helpers (:func:`body_items`,
:func:`authors`, :func:`editor_names`, :func:`fold`), so the expectations hold by construction.
The sites themselves are :mod:`linfen_crawler.demo.lfxww` (the sample 临汾新闻网) and
:mod:`linfen_crawler.demo.sites` (the other bundled profiles); :class:`~linfen_crawler.demo.portal.Portal`
serves them all.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Any, Self

__all__ = [
    "GIF",
    "SITE_PER_PAGE",
    "BodyItem",
    "Entry",
    "Page",
    "SampleSite",
    "authors",
    "body_items",
    "editor_names",
    "fold",
    "html_page",
]

SITE_PER_PAGE = 6  # list entries per page on the small sample sites (so each has list pagination)

# a 1x1 transparent GIF, served for every image an article shows
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update({0x3000: 0x20, 0xA0: 0x20})
_SPACES = re.compile(r"\s+")
_STAFF_CODE = re.compile(r"_[A-Za-z]+\d+$")


def fold(text: str) -> str:
    """Width-fold one line as DESIGN.md's data contract says (full-width ASCII → ASCII, spaces collapsed)."""
    return _SPACES.sub(" ", text.translate(_FULLWIDTH)).strip()


@dataclass(frozen=True)
class Page:
    """One HTTP answer: status, Content-Type header value, body bytes."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _encode(html: str, charset: str) -> bytes:
    codec = "utf-8" if charset == "utf-8" else "gbk"
    return html.encode(codec, errors="xmlcharrefreplace")


def html_page(html: str, charset: str, header_charset: str | None = None, status: int = 200) -> Page:
    return Page(status, f"text/html; charset={header_charset or charset}", _encode(html, charset))


def _names(parts: Iterable[Sequence[str]]) -> list[str]:
    return [name for part in parts for name in part[1:]]


def _credits(parts: Sequence[Sequence[str]]) -> str:
    return " ".join(f"{part[0]} {' '.join(part[1:])}" for part in parts)


def _lead_text(art: dict[str, Any]) -> str:
    """The byline that opens the first paragraph, as the page shows it."""
    lead = art.get("lead")
    byline = art.get("byline") or []
    if not lead:
        return f"（{_credits(byline)}）" if byline else ""
    if not byline:
        return f"{lead}　"
    # 临汾新闻网讯 puts a space before the bracket, 本报讯 / 新华社…电 do not
    sep = " " if lead == "临汾新闻网讯" else ""
    return f"{lead}{sep}（{_credits(byline)}）"


def editor_names(art: dict[str, Any]) -> list[str]:
    ed = art.get("editor")
    names = _names(ed["parts"]) if ed else []
    if art.get("meta_editor"):
        names.insert(0, art["meta_editor"])
    out: list[str] = []
    for name in names:
        name = _STAFF_CODE.sub("", name)
        if name not in out:
            out.append(name)
    return out


@dataclass
class BodyItem:
    """One body element in page order: kind is text | h | img | credit."""

    kind: str
    text: str = ""
    src: str = ""
    photo: str = ""


def body_items(art: dict[str, Any]) -> list[BodyItem]:
    items: list[BodyItem] = []
    if art.get("wentu"):
        items.append(BodyItem("credit", "　".join(f"{r}/{n}" for r, n in art["wentu"])))
    lead_done = False
    paragraphs = art["paragraphs"]
    last_text = max((i for i, p in enumerate(paragraphs) if isinstance(p, str)), default=-1)
    for i, para in enumerate(paragraphs):
        if isinstance(para, str):
            text = para
            if not lead_done:
                text = _lead_text(art) + text
                lead_done = True
            if i == last_text and art.get("signoff"):
                text += f"（{art['signoff']}）"
            items.append(BodyItem("text", text))
        elif "h" in para:
            items.append(BodyItem("h", para["h"]))
        else:
            caption = para.get("caption", "")
            if para.get("photo"):
                caption += f"（{para['photo']} 摄）"
            items.append(BodyItem("img", caption, para["img"], para.get("photo", "")))
    if art.get("author_note"):
        role, name = art["author_note"]
        items.append(BodyItem("text", f"（作者系{role} {name}）"))
    return items


def authors(art: dict[str, Any]) -> list[str]:
    names: list[str] = []
    if art.get("meta_author"):
        names.append(art["meta_author"])
    names += [n for _, n in art.get("wentu") or []]
    names += _names(art.get("byline") or [])
    for para in art["paragraphs"]:
        if isinstance(para, dict) and para.get("photo"):
            names.append(para["photo"])
    if art.get("signoff"):
        names.append(art["signoff"])
    if art.get("author_note"):
        names.append(art["author_note"][1])
    out: list[str] = []
    for name in names:
        if name not in out:
            out.append(name)
    return out




def _load() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("sites.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class Entry:
    """One list entry: date text, path, headline, article id."""

    date: str
    path: str
    title: str
    id: int


class SampleSite:
    """One sample portal: pages by path and the records its articles must give."""

    key = ""
    name = ""
    host = ""
    bare_host = ""
    sections: dict[str, tuple[str, str]]  # section key -> (list path, Chinese name)

    def __init__(self, articles: list[dict[str, Any]]) -> None:
        self.articles = articles
        self.pages: dict[str, Page] = {}
        self.expected: list[dict[str, Any]] = []
        self._build()

    @classmethod
    def load(cls) -> Self:
        """The site built from its bundled facts (``sites.json``)."""
        data = _load()["sites"]
        return cls(_resolve(data, data[cls.key]))

    @property
    def origin(self) -> str:
        return f"http://{self.host}"

    def get(self, path: str) -> Page | None:
        """The page for a path with optional query (``/plus/view.php?aid=1``), or None."""
        page = self.pages.get(path)
        if page is None and "?" in path:
            page = self.pages.get(path.split("?", 1)[0])
        return page

    def with_published(self, n: int) -> tuple[SampleSite, list[str]]:
        """This site with n more (new) articles, and their URLs; only sites that publish have them."""
        raise NotImplementedError(f"{self.name} does not publish articles")

    # -- layout hooks ---------------------------------------------------------------------------
    def article_path(self, art: dict[str, Any]) -> str:
        raise NotImplementedError

    def list_path(self, section: str, page: int) -> str:
        raise NotImplementedError

    def render_article(self, art: dict[str, Any], related: Sequence[Entry]) -> str:
        raise NotImplementedError

    def render_list(self, section: str, page: int, pages: int, entries: Sequence[Entry]) -> str:
        raise NotImplementedError

    def list_date(self, art: dict[str, Any]) -> str:
        return str(art["date"])[:10]

    # -- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        by_section: dict[str, list[Entry]] = {s: [] for s in self.sections}
        for art in self.articles:
            by_section[art["section"]].append(Entry(art["date"], self.article_path(art), art["title"], art["id"]))
        for entries in by_section.values():
            entries.sort(key=lambda e: (e.date, e.id), reverse=True)
        for art in self.articles:
            same = [e for e in by_section[art["section"]] if e.id != art["id"]][:3]
            charset = art.get("charset", self.article_charset)
            self.pages[self.article_path(art)] = html_page(self.render_article(art, same), charset)
            for para in art["paragraphs"]:
                if isinstance(para, dict) and "img" in para:
                    self.pages[para["img"]] = Page(200, "image/gif", GIF)
            self.expected.append(self.expected_record(art))
        for section, entries in by_section.items():
            pages = max(1, -(-len(entries) // SITE_PER_PAGE))
            for page in range(1, pages + 1):
                chunk = entries[(page - 1) * SITE_PER_PAGE : page * SITE_PER_PAGE]
                html = self.render_list(section, page, pages, chunk)
                self.pages[self.list_path(section, page)] = html_page(html, self.list_charset)
        home = self.render_home({s: e[:5] for s, e in by_section.items()})
        self.pages["/"] = self.pages["/index.html"] = html_page(home, self.list_charset)
        self.pages["/robots.txt"] = Page(200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow:\n")

    list_charset = "utf-8"
    article_charset = "utf-8"

    def render_home(self, heads: dict[str, list[Entry]]) -> str:
        blocks = ""
        for section, entries in heads.items():
            path, name = self.sections[section]
            lis = "".join(f'<li><a href="{e.path}">{escape(e.title)}</a></li>\n' for e in entries)
            blocks += f'<div class="block"><h3><a href="{path}">{name}</a></h3><ul>\n{lis}</ul></div>\n'
        return self.head(f"{self.name}", self.list_charset) + blocks + self.foot()

    def head(self, title: str, charset: str) -> str:
        if charset == "utf-8":
            meta = '<meta charset="utf-8" />'
        else:
            meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />'
        menu = "".join(f'<a href="{p}">{n}</a>' for p, n in self.sections.values())
        return (
            f'<!DOCTYPE html>\n<html>\n<head>\n{meta}\n<title>{escape(title)}</title>\n'
            f'<meta name="keywords" content="{self.name}" />\n</head>\n<body>\n'
            f'<div class="nav clearfix"><a href="/">首页</a>{menu}</div>\n'
        )

    def foot(self) -> str:
        return (
            f'<div class="footer"><p>{self.name} 版权所有　未经书面授权不得转载</p>'
            '<p><a href="/about/">关于我们</a> | <a href="/contact/">联系我们</a></p></div>\n</body>\n</html>\n'
        )

    def expected_record(self, art: dict[str, Any]) -> dict[str, Any]:
        lines = [fold(item.text) for item in body_items(art)]
        source = art.get("source")
        date = str(art["date"])
        published = date.replace(" ", "T") + (":00" if len(date) == 16 else "") + "+08:00"
        return {
            "url": self.origin + self.article_path(art),
            "site": self.key,
            "section": self.sections[art["section"]][1],
            "title": fold(art["title"]),
            "published_at": published,
            "source": None if source in (None, "", "网络", "互联网") else source,
            "authors": authors(art),
            "editors": editor_names(art),
            "body": "\n".join(line for line in lines if line),
        }

    def start_urls(self) -> list[str]:
        return [self.origin + path for path, _ in self.sections.values()]

    def non_article_urls(self) -> list[str]:
        """Pages linked from lists like articles that must be rejected, not stored."""
        return []

    def multipage_urls(self) -> list[str]:
        """All page URLs of each multi-page article, first page first."""
        return []


_STORY_KEYS = ("title", "source", "lead", "byline", "paragraphs", "signoff", "wentu", "author_note")


def _resolve(data: dict[str, list[dict[str, Any]]], articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Articles with ``"body_from": "site/id"`` take that story's text (a republished story)."""
    out = []
    for art in articles:
        if "body_from" in art:
            site, _, ident = art["body_from"].partition("/")
            origin = next(a for a in data[site] if a["id"] == int(ident))
            story = {k: copy.deepcopy(origin[k]) for k in _STORY_KEYS if k in origin}
            art = {**story, **{k: v for k, v in art.items() if k != "body_from"}}
        out.append(art)
    return out
