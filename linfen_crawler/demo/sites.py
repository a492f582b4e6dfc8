"""The sample portals, one :class:`SampleSite` per bundled Shanxi profile, served by :class:`~.portal.Portal`.

* 临汾新闻网 www.lfxww.com (:class:`~linfen_crawler.demo.lfxww.Lfxww`, its own module) — built from
  ``articles.json`` with its templates (the seed page byte for byte, GBK pages, a multi-page article, a photo
  story, non-article pages, an old DedeCMS URL; it also publishes new articles on request). It is the first
  of :data:`SITE_CLASSES`, the home site.

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

Pages and expected records come from the same facts (the body, byline and editor helpers of
:mod:`linfen_crawler.demo.base`), so the expectations hold by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from linfen_crawler.demo.base import BodyItem, Entry, SampleSite, body_items
from linfen_crawler.demo.lfxww import Lfxww

__all__ = ["SITE_CLASSES", "Changzhinews", "Jcnews", "Lfxww", "SampleSite", "Sxycrb", "sample_sites"]


def _editor_text(art: dict[str, Any]) -> str:
    ed = art.get("editor")
    if not ed:
        return ""
    return "　".join(f"{part[0]}：{'、'.join(part[1:])}" for part in ed["parts"])


def _p(item: BodyItem) -> str:
    if item.kind == "h":
        return f"<p><strong>{escape(item.text)}</strong></p>\n"
    if item.kind == "img":
        out = f'<p align="center"><img src="{item.src}" border="0" /></p>\n'
        return out + (f'<p align="center">{escape(item.text)}</p>\n' if item.text else "")
    return f"<p>　　{escape(item.text)}</p>\n"


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
        items = body_items(art)
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
        items = body_items(art)
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
        items = body_items(art)
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
