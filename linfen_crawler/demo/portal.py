"""The offline sample 临汾新闻网 (www.lfxww.com): pages built in memory from ``articles.json``.

Article facts live in ``articles.json`` (headline, date, 来源, byline parts, paragraphs, editor line …);
the template functions here turn them into pages laid out like the real site (``seed-93512.html`` is a
real-looking page served byte for byte), and the same facts give the records the crawler must store, so the
expectations are true by construction. :class:`linfen_crawler.demo.sites.Lfxww` assembles the site from
them; :class:`Portal` serves it beside the other sample sites (:mod:`linfen_crawler.demo.sites`).

>>> portal = Portal()
>>> portal.get("/linfen/djll/93512.html").status
200
>>> len(expected_articles()) >= 70
True
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linfen_crawler.demo.sites import SampleSite

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

# a 1x1 transparent GIF, served for every image an article shows
_GIF = (
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


def _load_data() -> dict[str, Any]:
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


def _encode(html: str, charset: str) -> bytes:
    codec = "utf-8" if charset == "utf-8" else "gbk"
    return html.encode(codec, errors="xmlcharrefreplace")


def _html_page(html: str, charset: str, header_charset: str | None = None, status: int = 200) -> Page:
    return Page(status, f"text/html; charset={header_charset or charset}", _encode(html, charset))


# ----------------------------------------------------------------------------------- article bodies


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


def _editor_names(art: dict[str, Any]) -> list[str]:
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


def _editor_line(art: dict[str, Any]) -> str:
    ed = art["editor"]
    text = "　".join(f"{part[0]}：{'、'.join(part[1:])}" for part in ed["parts"])
    style = ed["style"]
    if style == "bracket":
        return f"【{text}】"
    if style == "paren":
        return f"（{text}）"
    return text  # "plain", "multi", "div"


@dataclass
class _Item:
    """One body element in page order: kind is text | h | img | credit."""

    kind: str
    text: str = ""
    src: str = ""
    photo: str = ""


def _body_items(art: dict[str, Any]) -> list[_Item]:
    items: list[_Item] = []
    if art.get("wentu"):
        items.append(_Item("credit", "　".join(f"{r}/{n}" for r, n in art["wentu"])))
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
            items.append(_Item("text", text))
        elif "h" in para:
            items.append(_Item("h", para["h"]))
        else:
            caption = para.get("caption", "")
            if para.get("photo"):
                caption += f"（{para['photo']} 摄）"
            items.append(_Item("img", caption, para["img"], para.get("photo", "")))
    if art.get("author_note"):
        role, name = art["author_note"]
        items.append(_Item("text", f"（作者系{role} {name}）"))
    return items


def _authors(art: dict[str, Any]) -> list[str]:
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


_INDENTS = {"full": "　　", "nbsp": "&nbsp;&nbsp;&nbsp;&nbsp;", "css": ""}


def _render_item(item: _Item, indent: str) -> str:
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


def _description(items: Sequence[_Item]) -> str:
    first = next((i.text for i in items if i.kind == "text"), "")
    return first[:60]


def render_article(art: dict[str, Any], ctx: _Context) -> dict[str, Page]:
    """All pages of one article (several for a multi-page article), keyed by path."""
    items = _body_items(art)
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
        return {article_path(art): _html_page(html, charset, header_charset)}

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
        out[article_path(art, page)] = _html_page(html, charset, header_charset)
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
        return _html_page(html, "gb2312")
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
    return _html_page(html, "gb2312")


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
    return _html_page(html, "gb2312")


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
    return _html_page(html, "gb2312")


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


def _published_article(k: int, article_id: int, when: datetime) -> dict[str, Any]:
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


# ------------------------------------------------------------------------------------------ Portal


class Portal:
    """The sample sites, built once in memory; :meth:`publish` adds articles later (thread-safe).

    Each site is a :class:`~linfen_crawler.demo.sites.SampleSite` answering for its own host name: the
    sample 临汾新闻网 (``www.lfxww.com``, its templates are in this module) and the small portals of the other
    bundled profiles (运城新闻网, 晋城新闻网, 长治新闻网). The first site is the home site: the server's own
    address shows it, :meth:`get` defaults to it and :meth:`publish` adds to it. Methods that list records or
    URLs take ``site=`` (a profile key) to keep to one site.
    """

    def __init__(self, published: int = 0) -> None:
        from linfen_crawler.demo.sites import sample_sites  # sites.py builds on this module's helpers

        sites = sample_sites()
        self._sites: dict[str, SampleSite] = {site.key: site for site in sites}
        self._hosts = {site.host: site.key for site in sites}
        self._home = sites[0].key
        self.home_host = sites[0].host
        self._published = 0
        self._lock = threading.Lock()
        if published:
            self.publish(published)

    @property
    def home(self) -> SampleSite:
        """The home site as built now (tests change its ``pages`` in place to simulate site changes)."""
        return self._sites[self._home]

    def _each(self, site: str | None) -> list[SampleSite]:
        return [s for key, s in self._sites.items() if site in (None, key)]

    # -- public API

    def sites(self) -> list[str]:
        """Profile keys of the sites this portal serves."""
        return sorted(self._sites)

    def hosts(self) -> dict[str, str]:
        """Host name -> profile key, for every host that serves a site."""
        return dict(self._hosts)

    def bare_hosts(self) -> dict[str, str]:
        """Bare domain -> the www host it redirects to."""
        return {site.bare_host: site.host for site in self._sites.values()}

    def get(self, path: str, host: str | None = None) -> Page | None:
        """The page for a path with optional query (``/plus/view.php?aid=1``) on a host (default: the home
        site's), or None (→ 404)."""
        key = self._hosts.get(self.home_host if host is None else host)
        return None if key is None else self._sites[key].get(path)

    def publish(self, n: int = 1) -> list[str]:
        """Add n new articles at the top of the home site's section lists; return their URLs."""
        with self._lock:
            site, urls = self._sites[self._home].with_published(n)
            self._sites[self._home] = site  # swapped in one assignment: readers see old or new
            self._published += n
        return urls

    @property
    def published(self) -> int:
        return self._published

    def expected_articles(self, site: str | None = None) -> list[dict[str, Any]]:
        """One record per article the crawler must store (copies; newest first), of every site or one."""
        records = [r for s in self._each(site) for r in copy.deepcopy(s.expected)]
        records.sort(key=lambda r: (r["published_at"], r["url"]), reverse=True)
        return records

    def non_article_urls(self, site: str | None = None) -> list[str]:
        """Pages linked from lists like articles that must be rejected, not stored."""
        return [url for s in self._each(site) for url in s.non_article_urls()]

    def start_urls(self, site: str | None = None) -> list[str]:
        """Section list URLs of every site, or of one."""
        return [url for s in self._each(site) for url in s.start_urls()]

    def multipage_urls(self) -> list[str]:
        """All page URLs of each multi-page article, first page first."""
        return [url for s in self._sites.values() for url in s.multipage_urls()]

    def paths(self) -> list[str]:
        """Paths the home site serves."""
        return sorted(self._sites[self._home].pages)


_default: Portal | None = None
_default_lock = threading.Lock()


def default_portal() -> Portal:
    """A shared, never-published Portal (built on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Portal()
        return _default


def expected_articles(site: str | None = None) -> list[dict[str, Any]]:
    """Records the crawler must store for the unpublished portal (see :meth:`Portal.expected_articles`)."""
    return default_portal().expected_articles(site)


def non_article_urls(site: str | None = None) -> list[str]:
    return default_portal().non_article_urls(site)


def start_urls(site: str | None = None) -> list[str]:
    return default_portal().start_urls(site)
