"""The sample portals, one :class:`SampleSite` per bundled Shanxi profile, served by :class:`~.portal.Portal`.

* 临汾新闻网 www.lfxww.com (:class:`Lfxww`) — built from ``articles.json`` with the templates of
  :mod:`linfen_crawler.demo.portal` (the seed page byte for byte, GBK pages, a multi-page article, a photo
  story, non-article pages, an old DedeCMS URL; it also publishes new articles on request).

The small portals of the other profiles are built in memory from ``sites.json`` with their CMS's page layout,
as far as public crawler configurations describe it (see each profile's ``facts``):

* 运城新闻网 www.sxycrb.com — 方正 Founder 翔宇: lists ``/node_N.html`` (page 2 ``node_N_2.html``), articles
  ``/YYYY-MM/DD/content_N.html``, ``div.detail-h h1``, a ``div.detail-h p`` line of spans
  (来源 / 作者 / 时间), body ``div.detail-d``.
* 晋城新闻网 www.jcnews.com.cn — TRS WCM: lists ``/xw/jcxw/`` (page 2 ``index_1.html``), articles
  ``./YYYYMM/tYYYYMMDD_N.html``, ``div#article h1#title``, ``div.source`` (``span.time``, 来源), body
  ``div.TRS_Editor`` with TRS's own ``<style>`` block.
* 长治新闻网 www.changzhinews.com — lists ``/changzhi/jinritoutiao/``, articles
  ``/changzhi/jinritoutiao/YYYY-MM-DD/N.html``, headline ``p.fywztitle``, a ``table.fywzzz`` meta cell
  with the 来源 outlet as a link, body ``div.fymain div#kzzt``.

Pages and expected records come from the same facts (the byline and editor helpers of
:mod:`linfen_crawler.demo.portal`), so the expectations hold by construction.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from importlib import resources
from typing import Any, Self

from linfen_crawler.demo import portal as lf  # the 临汾新闻网 facts and templates
from linfen_crawler.demo.portal import (
    _GIF,
    Page,
    _authors,
    _body_items,
    _editor_names,
    _html_page,
    _Item,
    fold,
)

__all__ = ["SITE_CLASSES", "SITE_PER_PAGE", "Lfxww", "SampleSite", "sample_sites"]

SITE_PER_PAGE = 6  # list entries per page on the small sample sites (so each has list pagination)


def _load() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("sites.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _editor_text(art: dict[str, Any]) -> str:
    ed = art.get("editor")
    if not ed:
        return ""
    return "　".join(f"{part[0]}：{'、'.join(part[1:])}" for part in ed["parts"])


def _p(item: _Item) -> str:
    if item.kind == "h":
        return f"<p><strong>{escape(item.text)}</strong></p>\n"
    if item.kind == "img":
        out = f'<p align="center"><img src="{item.src}" border="0" /></p>\n'
        return out + (f'<p align="center">{escape(item.text)}</p>\n' if item.text else "")
    return f"<p>　　{escape(item.text)}</p>\n"


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
            self.pages[self.article_path(art)] = _html_page(self.render_article(art, same), charset)
            for para in art["paragraphs"]:
                if isinstance(para, dict) and "img" in para:
                    self.pages[para["img"]] = Page(200, "image/gif", _GIF)
            self.expected.append(self.expected_record(art))
        for section, entries in by_section.items():
            pages = max(1, -(-len(entries) // SITE_PER_PAGE))
            for page in range(1, pages + 1):
                chunk = entries[(page - 1) * SITE_PER_PAGE : page * SITE_PER_PAGE]
                html = self.render_list(section, page, pages, chunk)
                self.pages[self.list_path(section, page)] = _html_page(html, self.list_charset)
        home = self.render_home({s: e[:5] for s, e in by_section.items()})
        self.pages["/"] = self.pages["/index.html"] = _html_page(home, self.list_charset)
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
        lines = [fold(item.text) for item in _body_items(art)]
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
            "authors": _authors(art),
            "editors": _editor_names(art),
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


# ------------------------------------------------------------------------------------ 临汾新闻网


_EXPECTED_KEYS = ("url", "site", "section", "title", "published_at", "source", "authors", "editors", "body")


class Lfxww(SampleSite):
    """The sample 临汾新闻网, laid out by the templates of :mod:`linfen_crawler.demo.portal`.

    Besides articles it has non-article pages linked like articles (``non_articles``), lists of 10 with a
    热点新闻 sidebar and prev/next/related links around each article, and it publishes: ``published`` new
    articles continue after the newest bundled one, so publishing is deterministic.
    """

    key = lf.SITE_KEY
    name = lf.SITE_NAME
    host = lf.HOST
    bare_host = lf.BARE_HOST
    sections = lf.SECTIONS

    def __init__(
        self, articles: list[dict[str, Any]], non_articles: Sequence[dict[str, Any]] = (), published: int = 0
    ) -> None:
        self.bundled = articles
        self.non_articles = list(non_articles)
        self.published = published
        base_id = max(a["id"] for a in articles)
        base_date = max(datetime.strptime(a["date"], "%Y-%m-%d %H:%M:%S") for a in articles)
        self.new_articles = [
            lf._published_article(k, base_id + k, base_date + timedelta(hours=k, minutes=7 * k))
            for k in range(1, published + 1)
        ]
        super().__init__(articles + self.new_articles)

    @classmethod
    def load(cls) -> Self:
        data = lf._load_data()
        by_id = {a["id"]: a for a in data["articles"]}
        articles = []
        for art in data["articles"]:
            if "body_from" in art:  # a republished story: same text, its own URL/date/section
                merged = copy.deepcopy(by_id[art["body_from"]])
                merged.pop("path", None)
                merged.update({k: v for k, v in art.items() if k != "body_from"})
                art = merged
            articles.append(art)
        return cls(articles, data["non_articles"])

    def with_published(self, n: int) -> tuple[Self, list[str]]:
        site = type(self)(self.bundled, self.non_articles, self.published + n)
        return site, [site.origin + self.article_path(a) for a in site.new_articles[self.published :]]

    def article_path(self, art: dict[str, Any]) -> str:
        return lf.article_path(art)

    def list_path(self, section: str, page: int) -> str:
        return lf.list_path(section, page)

    def _build(self) -> None:
        pages = self.pages
        entries: dict[str, list[Entry]] = {s: [] for s in self.sections}
        for art in self.articles:
            entries[art["section"]].append(Entry(art["date"], self.article_path(art), art["title"], art["id"]))
        for na in self.non_articles:
            entries[na["section"]].append(Entry(na["date"], na["path"], na["title"], na["id"]))
        for lst in entries.values():
            lst.sort(key=lambda e: (e.date, e.id), reverse=True)

        def hot_for(section: str) -> list[tuple[str, str]]:
            return [(lst[0].path, lst[0].title) for s, lst in entries.items() if s != section and lst][:6]

        for art in self.articles:
            sec = entries[art["section"]]
            lst = [e for e in sec if e.path != art.get("path", "")] or sec
            pos = next(i for i, e in enumerate(sec) if e.id == art["id"])
            ctx = lf._Context(
                prev=(sec[pos + 1].path, sec[pos + 1].title) if pos + 1 < len(sec) else None,
                next=(sec[pos - 1].path, sec[pos - 1].title) if pos > 0 else None,
                related=[(e.path, e.title, e.date[:10]) for e in lst if e.id != art["id"]][:3],
                hot=hot_for(art["section"]),
            )
            if art["id"] == lf.SEED_ID:
                pages[self.article_path(art)] = Page(200, "text/html; charset=gb2312", lf._seed_bytes())
            else:
                pages.update(lf.render_article(art, ctx))
            for para in art["paragraphs"]:
                if isinstance(para, dict) and "img" in para:
                    pages[para["img"]] = Page(200, "image/gif", _GIF)
            self.expected.append(self.expected_record(art))
        for na in self.non_articles:
            pages[na["path"]] = lf.render_non_article(na, hot_for(na["section"]))

        heads: dict[str, list[tuple[str, str, str]]] = {}
        for section, lst in entries.items():
            n_pages = max(1, -(-len(lst) // lf.PER_PAGE))
            for page in range(1, n_pages + 1):
                chunk = [(e.path, e.title, e.date[:10]) for e in lst[(page - 1) * lf.PER_PAGE : page * lf.PER_PAGE]]
                rendered = lf.render_list(section, page, n_pages, chunk, hot_for(section))
                pages[self.list_path(section, page)] = rendered
                if page == 1:
                    pages[self.sections[section][0] + "index.html"] = rendered
            heads[section] = [(e.path, e.title, e.date[:10]) for e in lst[:6]]
        pages["/"] = pages["/index.html"] = lf.render_home(heads, f"{self.name}_临汾日报社主办")
        linfen = {s: v for s, v in heads.items() if s != "shanxi"}
        pages["/linfen/"] = lf.render_home(linfen, f"临汾_{self.name}")
        pages["/robots.txt"] = Page(200, "text/plain; charset=utf-8", lf.ROBOTS_TXT.encode())
        pages["/plus/count.php"] = Page(200, "application/javascript", b"document.write('1024');")

    def expected_record(self, art: dict[str, Any]) -> dict[str, Any]:
        if art["id"] != lf.SEED_ID:
            return super().expected_record(art)
        seed = json.loads(resources.files(__package__).joinpath("seed-93512.expected.json").read_text("utf-8"))
        record = {k: seed[k] for k in ("url", "title", "published_at", "source", "authors", "editors", "body")}
        record.update(site=self.key, section=self.sections[art["section"]][1])
        return {k: record[k] for k in _EXPECTED_KEYS}

    def non_article_urls(self) -> list[str]:
        return [self.origin + na["path"] for na in self.non_articles]

    def multipage_urls(self) -> list[str]:
        out = []
        for art in self.bundled:
            n = len(art.get("page_breaks", [])) + 1
            if n > 1:
                out += [self.origin + lf.article_path(art, p) for p in range(1, n + 1)]
        return out


# ------------------------------------------------------------------------------------ 运城新闻网


class Sxycrb(SampleSite):
    """方正 Founder 翔宇-style pages of 运城新闻网."""

    key = "sxycrb"
    name = "运城新闻网"
    host = "www.sxycrb.com"
    bare_host = "sxycrb.com"
    sections = {"yw": ("/node_5.html", "要闻"), "jj": ("/node_7.html", "经济")}

    def article_path(self, art: dict[str, Any]) -> str:
        d = str(art["date"])
        return f"/{d[:7]}/{d[8:10]}/content_{art['id']}.html"

    def list_path(self, section: str, page: int) -> str:
        base = self.sections[section][0]
        return base if page == 1 else base.replace(".html", f"_{page}.html")

    def render_article(self, art: dict[str, Any], related: Sequence[Entry]) -> str:
        charset = art.get("charset", self.article_charset)
        items = _body_items(art)
        author = f"作者：{escape(art['meta_author'])}" if art.get("meta_author") else ""
        body = "".join(_p(i) for i in items)
        editor = _editor_text(art)
        if editor:  # 翔宇 pages close the body with a bracketed editor line
            body += f'<p align="right">（{escape(editor)}）</p>\n'
        rel = "".join(f'<li><a href="{e.path}">{escape(e.title)}</a></li>\n' for e in related)
        path, name = self.sections[art["section"]]
        return (
            self.head(f"{art['title']}-{self.name}", charset)
            + f'<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="{path}">{name}</a></div>\n'
            + '<div class="detail">\n<div class="detail-h">\n'
            + f"<h1>{escape(art['title'])}</h1>\n"
            + f"<p><span>来源：{escape(art.get('source') or '')}</span><span>{author}</span>"
            + f"<span>时间：{art['date']}</span></p>\n</div>\n"
            + f'<div class="detail-d">\n{body}</div>\n'
            + '<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>\n'
            + f'<div class="related"><h3>相关阅读</h3><ul>\n{rel}</ul></div>\n</div>\n'
            + self.foot()
        )

    def render_list(self, section: str, page: int, pages: int, entries: Sequence[Entry]) -> str:
        _, name = self.sections[section]
        lis = "".join(
            f'<li><a href="{e.path}" target="_blank">{escape(e.title)}</a><span>{e.date[:10]}</span></li>\n'
            for e in entries
        )
        nav = ""
        if page > 1:
            nav += f'<a href="{self.list_path(section, page - 1)}">上一页</a>'
        for n in range(1, pages + 1):
            nav += f"<span>{n}</span>" if n == page else f'<a href="{self.list_path(section, n)}">{n}</a>'
        if page < pages:
            nav += f'<a href="{self.list_path(section, page + 1)}">下一页</a>'
        return (
            self.head(f"{name}-{self.name}", "utf-8")
            + f'<div class="location">当前位置：<a href="/">首页</a> &gt; {name}</div>\n'
            + f'<div class="list-box"><ul class="news-list">\n{lis}</ul>\n<div class="page">{nav}</div></div>\n'
            + self.foot()
        )


# ------------------------------------------------------------------------------------ 晋城新闻网

_TRS_STYLE = (
    '<style type="text/css">.TRS_Editor P{margin-top:0;margin-bottom:12px;line-height:1.8;font-size:12pt;}'
    ".TRS_Editor IMG{border:0;}</style>"
)


class Jcnews(SampleSite):
    """TRS WCM-style pages of 晋城新闻网."""

    key = "jcnews"
    name = "晋城新闻网"
    host = "www.jcnews.com.cn"
    bare_host = "jcnews.com.cn"
    sections = {"jcxw": ("/xw/jcxw/", "晋城新闻"), "sxxw": ("/xw/sxxw/", "山西新闻")}

    def article_path(self, art: dict[str, Any]) -> str:
        d = str(art["date"]).replace("-", "")
        return f"{self.sections[art['section']][0]}{d[:6]}/t{d[:8]}_{art['id']}.html"

    def list_path(self, section: str, page: int) -> str:
        base = self.sections[section][0]
        return base if page == 1 else f"{base}index_{page - 1}.html"

    def render_article(self, art: dict[str, Any], related: Sequence[Entry]) -> str:
        charset = art.get("charset", self.article_charset)
        items = _body_items(art)
        body = "".join(_p(i) for i in items)
        author = f"<span>作者：{escape(art['meta_author'])}</span>" if art.get("meta_author") else ""
        editor = _editor_text(art)
        if editor:
            body += f"<p>{escape(editor)}</p>\n"
        base = self.sections[art["section"]][0]
        rel = "".join(
            f'<li><a href="../{e.path[len(base):]}">{escape(e.title)}</a></li>\n' for e in related
        )
        return (
            self.head(f"{art['title']}_{self.name}", charset)
            + '<div class="jz position">您当前的位置：<a href="../../../">首页</a> &gt; '
            + f'<a href="../../">新闻</a> &gt; <a href="../">{self.sections[art["section"]][1]}</a></div>\n'
            + '<div class="jz main"><div class="left">\n<div id="article">\n'
            + f'<h1 id="title">{escape(art["title"])}</h1>\n'
            + f'<div class="source"><span class="time">{art["date"]}</span>'
            + f"<span>来源：{escape(art.get('source') or '')}</span>{author}</div>\n"
            + f'<div class="content"><div class="TRS_Editor">{_TRS_STYLE}\n{body}</div></div>\n'
            + "</div>\n"
            + '<div class="fenxiang">分享到：<a href="#">微信</a> <a href="#">QQ空间</a></div>\n'
            + f'<div class="xgxw"><h3>相关新闻</h3><ul>\n{rel}</ul></div>\n</div></div>\n'
            + self.foot()
        )

    def render_list(self, section: str, page: int, pages: int, entries: Sequence[Entry]) -> str:
        base, name = self.sections[section]
        lis = "".join(
            f'<li><a href="./{e.path[len(base):]}" target="_blank">{escape(e.title)}</a>'
            f"<span>{e.date[:10]}</span></li>\n"
            for e in entries
        )
        # TRS pagers are written by a script; the plain links are what a crawler sees
        nav = ""
        if page > 1:
            prev = "index.html" if page == 2 else f"index_{page - 2}.html"
            nav += f'<a href="{prev}">上一页</a>'
        if page < pages:
            nav += f'<a href="index_{page}.html">下一页</a>'
        return (
            self.head(f"{name}_{self.name}", "utf-8")
            + f'<div class="jz position">您当前的位置：<a href="../../">首页</a> &gt; {name}</div>\n'
            + f'<div class="jz main"><div class="list_con"><ul>\n{lis}</ul></div>\n'
            + f'<div class="page"><script>createPageHTML({pages}, {page - 1}, "index", "html");</script>{nav}</div>'
            + "</div>\n"
            + self.foot()
        )


# ------------------------------------------------------------------------------------ 长治新闻网


class Changzhinews(SampleSite):
    """Pages of 长治新闻网: headline in ``p.fywztitle``, meta in ``table.fywzzz``, body ``div#kzzt``."""

    key = "changzhinews"
    name = "长治新闻网"
    host = "www.changzhinews.com"
    bare_host = "changzhinews.com"
    sections = {"jrtt": ("/changzhi/jinritoutiao/", "长治要闻")}
    list_charset = "gb2312"
    article_charset = "gb2312"

    def article_path(self, art: dict[str, Any]) -> str:
        return f"{self.sections[art['section']][0]}{str(art['date'])[:10]}/{art['id']}.html"

    def list_path(self, section: str, page: int) -> str:
        base = self.sections[section][0]
        return base if page == 1 else f"{base}index_{page}.html"

    def render_article(self, art: dict[str, Any], related: Sequence[Entry]) -> str:
        charset = art.get("charset", self.article_charset)
        items = _body_items(art)
        body = "".join(_p(i) for i in items)
        editor = _editor_text(art)
        if editor:
            body += f"<p>{escape(editor)}</p>\n"
        source = escape(art.get("source") or "")
        author = f"　作者：{escape(art['meta_author'])}" if art.get("meta_author") else ""
        rel = "".join(f'<li><a href="{e.path}">{escape(e.title)}</a></li>\n' for e in related)
        return (
            self.head(f"{art['title']}--{self.name}", charset)
            + '<div class="fywz">\n'
            + f'<p class="fywztitle">{escape(art["title"])}</p>\n'
            + '<table class="fywzzz" width="100%"><tr>'
            + f'<td>{art["date"]}　来源：<a href="/" target="_blank">{source}</a>{author}</td>'
            + '<td align="right">【字号 <a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</td></tr></table>\n'
            + f'<div class="fymain"><div id="kzzt">\n{body}</div></div>\n'
            + f'<div class="xgxw"><p>相关新闻</p><ul>\n{rel}</ul></div>\n</div>\n'
            + self.foot()
        )

    def render_list(self, section: str, page: int, pages: int, entries: Sequence[Entry]) -> str:
        _, name = self.sections[section]
        rows = "".join(
            f'<tr><td class="bt"><a href="{e.path}" target="_blank">{escape(e.title)}</a></td>'
            f"<td>{e.date[:10]}</td></tr>\n"
            for e in entries
        )
        nav = f"<span>第{page}页/共{pages}页</span>"
        if page > 1:
            nav += f'<a href="{self.list_path(section, page - 1)}">上一页</a>'
        if page < pages:
            nav += f'<a href="{self.list_path(section, page + 1)}">下一页</a>'
        return (
            self.head(f"{name}--{self.name}", self.list_charset)
            + f'<div class="lmdh">{name}</div>\n<table class="lblist" width="100%">\n{rows}</table>\n'
            + f'<div class="fenye">{nav}</div>\n'
            + self.foot()
        )


SITE_CLASSES: tuple[type[SampleSite], ...] = (Lfxww, Sxycrb, Jcnews, Changzhinews)  # the first is the home site


def sample_sites() -> list[SampleSite]:
    """The sample portals of the bundled profiles, built from their facts."""
    return [cls.load() for cls in SITE_CLASSES]


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
