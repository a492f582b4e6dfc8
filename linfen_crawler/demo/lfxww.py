"""The sample 临汾新闻网 (www.lfxww.com): its facts (``articles.json``), templates and :class:`Lfxww`.

Article facts live in ``articles.json`` (headline, date, 来源, byline parts, paragraphs, editor line …);
the template functions here turn them into pages laid out like the real site (``seed-93512.html`` is a
real-looking page served byte for byte), and the same facts give the records the crawler must store, so the
expectations are true by construction. :class:`Lfxww` assembles the site from them; it is one
:class:`~linfen_crawler.demo.base.SampleSite` among the others that
:class:`~linfen_crawler.demo.portal.Portal` serves.

>>> site = Lfxww.load()
>>> site.get("/linfen/djll/93512.html").status
200
>>> len(site.expected) >= 70
True
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

from linfen_crawler.demo.base import GIF, BodyItem, Entry, Page, SampleSite, body_items, html_page

SITE_KEY = "lfxww"
HOST = "www.lfxww.com"
BARE_HOST = "lfxww.com"
ORIGIN = f"http://{HOST}"
SITE_NAME = "临汾新闻网"

# section key -> (list path, Chinese name); order is the site's menu order
SECTIONS: dict[str, tuple[str, str]] = {
    "shizheng": ("/linfen/shizheng/", "时政"),
    "shanxi": ("/shanxi/", "山西"),
    "xnc": ("/linfen/xnc/", "新农村"),
    "fzsh": ("/linfen/fzsh/", "法治社会"),
    "kjww": ("/linfen/kjww/", "科教文卫"),
    "glps": ("/linfen/glps/", "图片"),
    "djll": ("/linfen/djll/", "党建"),
    "pyrw": ("/linfen/pyrw/", "平阳人物"),
    "ft": ("/linfen/ft/", "访谈"),
}
PER_PAGE = 10
SEED_ID = 93512
ROBOTS_TXT = "User-agent: *\nDisallow: /plus/search.php\n"


def load_data() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("articles.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _seed_bytes() -> bytes:
    return resources.files(__package__).joinpath("seed-93512.html").read_bytes()


# ---------------------------------------------------------------------------------------------- paths


def article_path(art: dict[str, Any], page: int = 1) -> str:
    if "path" in art:
        return str(art["path"])
    base = f"{SECTIONS[art['section']][0]}{art['id']}"
    return f"{base}.html" if page == 1 else f"{base}_{page}.html"


def list_path(section: str, page: int) -> str:
    base = SECTIONS[section][0]
    return base if page == 1 else f"{base}index_{page - 1}.html"


# ------------------------------------------------------------------------------------------ templates

_MENU = "".join(f'<li><a href="{p}">{n}</a></li>' for p, n in SECTIONS.values())


def _head(title: str, charset: str, keywords: str = "", description: str = "") -> str:
    if charset == "utf-8":
        meta = '<meta charset="utf-8" />'
    else:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />'
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n'
        f'{meta}\n<meta http-equiv="X-UA-Compatible" content="IE=edge" />\n'
        f"<title>{escape(title)}</title>\n"
        f'<meta name="keywords" content="{escape(keywords)}" />\n'
        f'<meta name="description" content="{escape(description)}" />\n'
        '<link href="/templets/default/style/bootstrap.min.css" rel="stylesheet" type="text/css" />\n'
        '<link href="/templets/default/style/main.css" rel="stylesheet" type="text/css" />\n'
        '<script src="/templets/default/js/jquery.min.js"></script>\n</head>\n<body>\n'
        '<div class="top-bar"><div class="container"><span class="fl">今天是：'
        "<script>document.write(new Date().toLocaleDateString());</script></span>\n"
        '<span class="fr"><a href="/">设为首页</a> | <a href="/">加入收藏</a> | '
        '<a href="http://m.lfxww.com/">手机版</a></span></div></div>\n'
        '<div class="header"><div class="container"><a class="logo" href="/">'
        '<img src="/templets/default/images/logo.png" alt="临汾新闻网" /></a>\n'
        '<form class="search" action="/plus/search.php"><input name="q" type="text" value="" />'
        '<button type="submit">搜索</button></form></div></div>\n'
        f'<div class="menu"><div class="m-l-content fl"><ul>\n<li><a href="/">首页</a></li>{_MENU}\n'
        "</ul></div></div>\n"
    )


_FOOT = (
    '<div class="footer"><div class="container">\n'
    '<p><a href="/about/">关于我们</a> | <a href="/contact/">联系我们</a> | <a href="/ad/">广告服务</a> | '
    '<a href="/copyright/">版权声明</a></p>\n'
    "<p>临汾新闻网 版权所有 未经授权禁止复制或建立镜像</p>\n"
    "<p>主办：临汾日报社　晋ICP备00000000号</p>\n"
    "</div></div>\n<script>var _hmt = _hmt || [];</script>\n</body>\n</html>\n"
)


def _position(section: str, tail: str) -> str:
    path, name = SECTIONS[section]
    crumbs = '<a href="/">临汾新闻网</a> &gt; '
    if path.startswith("/linfen/"):
        crumbs += '<a href="/linfen/">临汾</a> &gt; '
    crumbs += f'<a href="{path}">{name}</a>' if tail else name
    if tail:
        crumbs += f" &gt; {tail}"
    return f'<div class="col-md-12 position">当前位置：{crumbs}</div>\n'


def _sidebar(hot: Sequence[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{p}">{escape(t)}</a></li>\n' for p, t in hot)
    return (
        '<div class="col-md-4 xb-right">\n<div class="n-c-Focus"><h4>热点新闻</h4>'
        f'<ul class="list-light-gray">\n{items}</ul></div>\n'
        '<div class="ad"><a href="/"><img src="/uploads/allimg/ad/300x250.gif" alt="" /></a></div>\n</div>\n'
    )



def _editor_line(art: dict[str, Any]) -> str:
    ed = art["editor"]
    text = "　".join(f"{part[0]}：{'、'.join(part[1:])}" for part in ed["parts"])
    style = ed["style"]
    if style == "bracket":
        return f"【{text}】"
    if style == "paren":
        return f"（{text}）"
    return text  # "plain", "multi", "div"


_INDENTS = {"full": "　　", "nbsp": "&nbsp;&nbsp;&nbsp;&nbsp;", "css": ""}


def _render_item(item: BodyItem, indent: str) -> str:
    if item.kind == "h":
        return f"<p><strong>{escape(item.text)}</strong></p>\n"
    if item.kind == "img":
        out = f'<p style="text-align: center;"><img src="{item.src}" alt="" border="0" /></p>\n'
        if item.text:
            out += f'<p style="text-align: center;">{escape(item.text)}</p>\n'
        return out
    if indent == "css":
        return f'<p style="text-indent: 2em;">{escape(item.text)}</p>\n'
    return f"<p>{_INDENTS[indent]}{escape(item.text)}</p>\n"


def _meta_line(art: dict[str, Any]) -> str:
    parts = [f"{art['date']}　来源：{escape(art.get('source') or '')}"]
    if art.get("meta_author"):
        parts.append(f"作者：{escape(art['meta_author'])}")
    if art.get("meta_editor"):
        parts.append(f"编辑：{escape(art['meta_editor'])}")
    count = (
        f'浏览次数：<script src="/plus/count.php?view=yes&amp;aid={art["id"]}&amp;mid=1" '
        'type="text/javascript"></script>'
    )
    return "　　".join([*parts, count])


def _pager(art: dict[str, Any], page: int, pages: int) -> str:
    def href(n: int) -> str:
        return f"{art['id']}.html" if n == 1 else f"{art['id']}_{n}.html"

    links = []
    if page > 1:
        links.append(f'<li><a href="{href(page - 1)}">上一页</a></li>')
    for n in range(1, pages + 1):
        if n == page:
            links.append(f'<li class="thisclass"><a href="#">{n}</a></li>')
        else:
            links.append(f'<li><a href="{href(n)}">{n}</a></li>')
    if page < pages:
        links.append(f'<li><a href="{href(page + 1)}">下一页</a></li>')
    return f'<div class="pages"><ul>{"".join(links)}</ul></div>\n'


@dataclass
class _Context:
    """Links around an article: previous/next in its list, related, hot news."""

    prev: tuple[str, str] | None
    next: tuple[str, str] | None
    related: list[tuple[str, str, str]]
    hot: list[tuple[str, str]]


def _around(ctx: _Context) -> str:
    prenext = '<div class="prenext">'
    prenext += (
        f'<p>上一篇：<a href="{ctx.prev[0]}">{escape(ctx.prev[1])}</a></p>' if ctx.prev else "<p>上一篇：没有了</p>"
    )
    prenext += (
        f'<p>下一篇：<a href="{ctx.next[0]}">{escape(ctx.next[1])}</a></p>' if ctx.next else "<p>下一篇：没有了</p>"
    )
    prenext += "</div>\n"
    related = "".join(f'<li><a href="{p}">{escape(t)}</a><span>{d}</span></li>\n' for p, t, d in ctx.related)
    return (
        '<div class="bdsharebuttonbox"><a href="#" class="bds_more" data-cmd="more">分享到：</a>'
        '<a href="#" class="bds_weixin" data-cmd="weixin" title="分享到微信"></a>'
        '<a href="#" class="bds_tsina" data-cmd="tsina" title="分享到新浪微博"></a></div>\n'
        f'{prenext}<div class="related"><h4>相关新闻</h4><ul>\n{related}</ul></div>\n'
    )


def _description(items: Sequence[BodyItem]) -> str:
    first = next((i.text for i in items if i.kind == "text"), "")
    return first[:60]


def render_article(art: dict[str, Any], ctx: _Context) -> dict[str, Page]:
    """All pages of one article (several for a multi-page article), keyed by path."""
    items = body_items(art)
    charset = art.get("charset", "gb2312")
    header_charset = art.get("header_charset")
    title_tag = f"{art['title']}_{SITE_NAME}"
    head = _head(title_tag, charset, art.get("keywords", ""), _description(items))
    ed = art.get("editor")
    if ed and ed["style"] == "div":
        editor_div = f'<div class="editor">{escape(_editor_line(art))}</div>\n'
    else:
        editor_div = '<div class="editor">责任编辑:临汾新闻网编辑</div>\n'
    tail = _around(ctx) + "</div>\n" + _sidebar(ctx.hot) + "</div>\n</div>\n" + _FOOT
    top = head + '<div class="container">\n<div class="row">\n' + _position(art["section"], "正文")
    top += '<div class="col-md-8 xb-left">\n'

    if art.get("layout") == "photo":
        pics = ""
        for item in items:
            if item.kind == "img":
                pics += f'<img src="{item.src}" alt="{escape(art["title"])}" />\n'
                pics += f"<p>{escape(item.text)}</p>\n" if item.text else ""
            else:
                pics += f'<p class="intro">{escape(item.text)}</p>\n'
        html = (
            top
            + f'<div class="piccontext"><h2>{escape(art["title"])}</h2>\n'
            + f'<div class="info">{art["date"]}　来源：{escape(art.get("source") or "")}</div>\n'
            + f'<div class="picshow">\n{pics}</div></div>\n'
            + editor_div
            + tail
        )
        return {article_path(art): html_page(html, charset, header_charset)}

    editor_p = ""
    if ed and ed["style"] != "div":
        editor_p = f"<p>{'&nbsp;&nbsp;' if ed['style'] == 'bracket' else ''}{escape(_editor_line(art))}</p>\n"
    # page breaks are given as indexes into the rendered body items
    breaks = [0, *art.get("page_breaks", []), len(items)]
    n_pages = len(breaks) - 1
    out: dict[str, Page] = {}
    for page in range(1, n_pages + 1):
        chunk = items[breaks[page - 1] : breaks[page]]
        body = "".join(_render_item(item, art.get("indent", "full")) for item in chunk)
        if page == n_pages:
            body += editor_p
        html = (
            top
            + f'<h2 class="h2 text-center xb-h2">{escape(art["title"])}</h2>\n'
            + f'<h3 class="h4 text-center xb-h4">{_meta_line(art)}</h3>\n'
            + '<div class="fontsize">字号：<a href="javascript:doZoom(16)">大</a> '
            + '<a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>　'
            + '<a href="javascript:window.print()">打印本页</a></div>\n'
            + f'<div class="col-md-12 nry jcontent">\n{body}</div>\n'
            + (_pager(art, page, n_pages) if n_pages > 1 else "")
            + editor_div
            + tail
        )
        out[article_path(art, page)] = html_page(html, charset, header_charset)
    return out


# ------------------------------------------------------------------------------- non-article pages


def render_non_article(entry: dict[str, Any], hot: Sequence[tuple[str, str]]) -> Page:
    section = entry["section"]
    if entry["kind"] == "notfound":
        html = (
            _head(f"页面不存在_{SITE_NAME}", "gb2312")
            + '<div class="container">\n<div class="row">\n'
            + '<div class="col-md-12 notfound"><h3>对不起，您访问的页面不存在或已被删除！</h3>\n'
            + '<p><a href="/">返回首页</a>　<a href="javascript:history.back()">返回上一页</a></p></div>\n'
            + "</div>\n</div>\n"
            + _FOOT
        )
        return html_page(html, "gb2312")
    # an 在线访谈 index with a vote form: a headline but no article text
    guests = "".join(
        f'<li><a href="{SECTIONS[section][0]}">{escape(t)}</a><span>{d}</span></li>\n' for t, d in entry["sessions"]
    )
    options = "".join(
        f'<label><input type="radio" name="vote" value="{i}" />{escape(o)}</label>\n'
        for i, o in enumerate(entry["options"], 1)
    )
    html = (
        _head(f"{entry['title']}_{SITE_NAME}", "gb2312")
        + '<div class="container">\n<div class="row">\n'
        + _position(section, "在线访谈")
        + '<div class="col-md-8 xb-left">\n'
        + f'<div class="ftbox"><h2 class="ft-title">{escape(entry["title"])}</h2>\n'
        + f'<div class="ftlist"><h4>往期访谈</h4><ul>\n{guests}</ul></div>\n'
        + '<form class="vote" action="/plus/vote.php" method="post">'
        + f"<h4>{escape(entry['question'])}</h4>\n{options}"
        + '<button type="submit">投票</button> <a href="/plus/vote.php?view=1">查看结果</a></form>\n'
        + "</div>\n</div>\n"
        + _sidebar(hot)
        + "</div>\n</div>\n"
        + _FOOT
    )
    return html_page(html, "gb2312")


# -------------------------------------------------------------------------------------- list pages


def _pages_nav(section: str, page: int, pages: int) -> str:
    def href(n: int) -> str:
        return "index.html" if n == 1 else f"index_{n - 1}.html"

    links = [f'<li><a href="{href(1)}">首页</a></li>']
    if page > 1:
        links.append(f'<li><a href="{href(page - 1)}">上一页</a></li>')
    for n in range(1, pages + 1):
        cls = ' class="thisclass"' if n == page else ""
        links.append(f'<li{cls}><a href="{href(n)}">{n}</a></li>')
    if page < pages:
        links.append(f'<li><a href="{href(page + 1)}">下一页</a></li>')
        links.append(f'<li><a href="{href(pages)}">尾页</a></li>')
    links.append(f"<li><span>共{pages}页</span></li>")
    return f'<div class="pages"><ul>{"".join(links)}</ul></div>\n'


def render_list(
    section: str, page: int, pages: int, entries: Sequence[tuple[str, str, str]], hot: Sequence[tuple[str, str]]
) -> Page:
    name = SECTIONS[section][1]
    items = "".join(f'<li><a href="{p}">{escape(t)}</a><span>{d}</span></li>\n' for p, t, d in entries)
    html = (
        _head(f"{name}_{SITE_NAME}", "gb2312", name, f"{SITE_NAME}{name}频道")
        + '<div class="container">\n<div class="row">\n'
        + _position(section, "")
        + '<div class="col-md-8 xb-left">\n'
        + f'<div class="list-title"><h3>{name}</h3></div>\n'
        + f'<div id="contentText"><ul>\n{items}</ul></div>\n'
        + _pages_nav(section, page, pages)
        + "</div>\n"
        + _sidebar(hot)
        + "</div>\n</div>\n"
        + _FOOT
    )
    return html_page(html, "gb2312")


def render_home(heads: dict[str, list[tuple[str, str, str]]], title: str) -> Page:
    blocks = ""
    for section, entries in heads.items():
        path, name = SECTIONS[section]
        lis = "".join(f'<li><a href="{p}">{escape(t)}</a><span>{d}</span></li>\n' for p, t, d in entries)
        blocks += (
            f'<div class="col-md-6 block"><h4><a href="{path}">{name}</a>'
            f'<a class="more" href="{path}">更多&gt;&gt;</a></h4><ul>\n{lis}</ul></div>\n'
        )
    html = (
        _head(title, "gb2312", "临汾,临汾新闻,临汾日报", "临汾新闻网是临汾日报社主办的新闻网站")
        + f'<div class="container">\n<div class="row">\n{blocks}</div>\n</div>\n'
        + _FOOT
    )
    return html_page(html, "gb2312")


# ------------------------------------------------------------------------------- published articles

_NEW_TOPICS = [
    ("shizheng", "市政府召开第{k}次常务会议", "会议研究部署了当前经济运行、安全生产和民生保障等重点工作。"),
    ("xnc", "{town}：冬储菜收购进入高峰", "连日来，{town}各蔬菜合作社的冷库前排起了长长的运菜车队。"),
    ("fzsh", "{town}派出所开展冬季防火安全检查", "民警深入辖区商铺、出租屋逐一排查消防隐患，当场整改问题{k}处。"),
    ("kjww", "{town}中心校开展冬季校园安全演练", "演练模拟了火灾疏散和地震避险两个场景，全校师生有序撤离。"),
    ("djll", "{town}党委召开第{k}季度组织生活会", "与会党员结合岗位实际开展批评与自我批评，查找问题，明确整改方向。"),
    ("shanxi", "全省冬春农田水利建设现场会召开", "会议要求各地抢抓冬闲时节，加快推进高标准农田和小型水利设施建设。"),
    ("pyrw", "{town}“好邻居”的第{k}个冬天", "每到入冬，她都会挨家挨户给独居老人送去煤炭和过冬的棉被。"),
]
_CORRESPONDENTS = ["孙海燕", "田志刚", "卫晓军", "柴丽娜", "乔永红"]
_TOWNS = ["尧都区", "曲沃县", "翼城县", "襄汾县", "洪洞县", "古县", "安泽县", "浮山县", "吉县", "乡宁县"]


def published_article(k: int, article_id: int, when: datetime) -> dict[str, Any]:
    section, title, first = _NEW_TOPICS[(k - 1) % len(_NEW_TOPICS)]
    town = _TOWNS[(k - 1) % len(_TOWNS)]
    return {
        "id": article_id,
        "section": section,
        "date": when.strftime("%Y-%m-%d %H:%M:%S"),
        "title": title.format(k=k, town=town),
        "source": "临汾新闻网",
        "lead": "临汾新闻网讯",
        "byline": [["记者", "郭小东"], ["通讯员", _CORRESPONDENTS[(k - 1) % len(_CORRESPONDENTS)]]],
        "paragraphs": [
            first.format(k=k, town=town),
            f"据介绍，这是今年第{k}项集中推进的民生实事，相关部门将建立工作台账，逐项跟踪落实。",
            f"下一步，{town}将持续完善长效机制，确保各项措施落地见效，让群众切实感受到变化。",
        ],
        "editor": {"style": "bracket", "parts": [["责任编辑", "付基恒"]]},
    }



# ------------------------------------------------------------------------------------ 临汾新闻网


_EXPECTED_KEYS = ("url", "site", "section", "title", "published_at", "source", "authors", "editors", "body")


class Lfxww(SampleSite):
    """The sample 临汾新闻网, laid out by the templates of :mod:`linfen_crawler.demo.portal`.

    Besides articles it has non-article pages linked like articles (``non_articles``), lists of 10 with a
    热点新闻 sidebar and prev/next/related links around each article, and it publishes: ``published`` new
    articles continue after the newest bundled one, so publishing is deterministic.
    """

    key = SITE_KEY
    name = SITE_NAME
    host = HOST
    bare_host = BARE_HOST
    sections = SECTIONS

    def __init__(
        self, articles: list[dict[str, Any]], non_articles: Sequence[dict[str, Any]] = (), published: int = 0
    ) -> None:
        self.bundled = articles
        self.non_articles = list(non_articles)
        self.published = published
        base_id = max(a["id"] for a in articles)
        base_date = max(datetime.strptime(a["date"], "%Y-%m-%d %H:%M:%S") for a in articles)
        self.new_articles = [
            published_article(k, base_id + k, base_date + timedelta(hours=k, minutes=7 * k))
            for k in range(1, published + 1)
        ]
        super().__init__(articles + self.new_articles)

    @classmethod
    def load(cls) -> Self:
        data = load_data()
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
        return article_path(art)

    def list_path(self, section: str, page: int) -> str:
        return list_path(section, page)

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
            ctx = _Context(
                prev=(sec[pos + 1].path, sec[pos + 1].title) if pos + 1 < len(sec) else None,
                next=(sec[pos - 1].path, sec[pos - 1].title) if pos > 0 else None,
                related=[(e.path, e.title, e.date[:10]) for e in lst if e.id != art["id"]][:3],
                hot=hot_for(art["section"]),
            )
            if art["id"] == SEED_ID:
                pages[self.article_path(art)] = Page(200, "text/html; charset=gb2312", _seed_bytes())
            else:
                pages.update(render_article(art, ctx))
            for para in art["paragraphs"]:
                if isinstance(para, dict) and "img" in para:
                    pages[para["img"]] = Page(200, "image/gif", GIF)
            self.expected.append(self.expected_record(art))
        for na in self.non_articles:
            pages[na["path"]] = render_non_article(na, hot_for(na["section"]))

        heads: dict[str, list[tuple[str, str, str]]] = {}
        for section, lst in entries.items():
            n_pages = max(1, -(-len(lst) // PER_PAGE))
            for page in range(1, n_pages + 1):
                chunk = [(e.path, e.title, e.date[:10]) for e in lst[(page - 1) * PER_PAGE : page * PER_PAGE]]
                rendered = render_list(section, page, n_pages, chunk, hot_for(section))
                pages[self.list_path(section, page)] = rendered
                if page == 1:
                    pages[self.sections[section][0] + "index.html"] = rendered
            heads[section] = [(e.path, e.title, e.date[:10]) for e in lst[:6]]
        pages["/"] = pages["/index.html"] = render_home(heads, f"{self.name}_临汾日报社主办")
        linfen = {s: v for s, v in heads.items() if s != "shanxi"}
        pages["/linfen/"] = render_home(linfen, f"临汾_{self.name}")
        pages["/robots.txt"] = Page(200, "text/plain; charset=utf-8", ROBOTS_TXT.encode())
        pages["/plus/count.php"] = Page(200, "application/javascript", b"document.write('1024');")

    def expected_record(self, art: dict[str, Any]) -> dict[str, Any]:
        if art["id"] != SEED_ID:
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
                out += [self.origin + article_path(art, p) for p in range(1, n + 1)]
        return out
