"""The synthetic portal of the crawl benchmark (``benchmarks/crawl.py``): 合成新闻网, generated to files.

A portal shaped like 临汾新闻网 at any size: N article pages of 35–70 KB with navigation, sidebars and
scripts, half GBK and half UTF-8; section list pages of 20–40 links, paged ``index_{n}.html``; one page in
twenty in a layout the profile does not know, so the generic extractor takes it. :func:`build_portal`
writes it under a folder (reused while its size is unchanged), :func:`write_profile` writes a profile for
one of its list trees (:class:`Site`), and :func:`serve_files` serves the folder for any host name
(plain and HTTP-proxy requests) on the recording-server base of :mod:`linfen_crawler.demo.recording`
when nginx is not installed. Pages are deterministic: the same sizes give the same bytes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from linfen_crawler.demo.recording import RecordingHandler, RecordingHTTPServer, RecordingServer

__all__ = [
    "SECTIONS",
    "SITE_NAME",
    "FileServer",
    "Site",
    "TextPool",
    "article_path",
    "build_portal",
    "render_article",
    "render_list",
    "serve_files",
    "write_profile",
]

GENERATOR_VERSION = 1
SECTIONS = {"shizheng": "时政", "shehui": "社会", "jingji": "经济", "wenhua": "文化", "jiaoyu": "教育",
            "tiyu": "体育", "fazhi": "法治", "minsheng": "民生"}
SITE_NAME = "合成新闻网"

# -- synthetic text ---------------------------------------------------------------------------------
_HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方"
    "后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它"
    "合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条"
    "只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资"
    "边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北"
    "造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车"
    "例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫"
    "且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克"
    "何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调"
    "满县局照参红细引听该铁价严龙飞临汾尧都区乡镇村脱贫振兴项目建设企业改革创新服务群众"
)
_PUNCT = "，，，、；"
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌宇浩凯健俊帆鹏辉"
_SOURCES = ("临汾日报", "山西日报", "新华社", "合成新闻网", "临汾广播电视台", "尧都区融媒体中心")


class TextPool:
    """Deterministic Chinese-looking sentences, titles and names (a pool, so generation stays fast)."""

    def __init__(self, seed: int = 8) -> None:
        self.rng = random.Random(seed)
        self.sentences = [self._sentence() for _ in range(3000)]
        self.titles = [self._words(10, 24) for _ in range(3000)]

    def _words(self, lo: int, hi: int) -> str:
        return "".join(self.rng.choice(_HANZI) for _ in range(self.rng.randint(lo, hi)))

    def _sentence(self) -> str:
        parts = [self._words(4, 16) for _ in range(self.rng.randint(2, 5))]
        return "".join(p + self.rng.choice(_PUNCT) for p in parts[:-1]) + parts[-1] + "。"

    def name(self, rng: random.Random) -> str:
        return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))

    def paragraph(self, rng: random.Random) -> str:
        return "".join(rng.choice(self.sentences) for _ in range(rng.randint(2, 7)))


# -- the synthetic portal ---------------------------------------------------------------------------
def section_of(article_id: int) -> str:
    return list(SECTIONS)[article_id % len(SECTIONS)]


def article_path(article_id: int) -> str:
    return f"/news/{section_of(article_id)}/{article_id}.html"


def published(article_id: int) -> datetime:
    return datetime(2020, 1, 1, 8, 0) + timedelta(minutes=17 * article_id)


def _links(pool: TextPool, rng: random.Random, n: int, limit: int) -> str:
    return "".join(f'<li><a href="{article_path(rng.randint(1, limit))}" target="_blank">{rng.choice(pool.titles)}'
                   f"</a></li>" for _ in range(n))


def _script(rng: random.Random, size: int) -> str:
    """An inline script of about ``size`` characters (analytics, ad rotation: what real portals carry)."""
    out, total = [], 0
    while total < size:
        k = rng.randint(1000, 99999)
        line = (f"var ad_{k}={{id:{k},w:{rng.randint(100, 990)},h:{rng.randint(60, 400)},"
                f"src:'/uploads/ad/{k}.jpg',href:'http://ad.example.cn/c?{k}'}};"
                f"if(window.adQueue){{adQueue.push(ad_{k});}}else{{document.write('<i id=\"a{k}\"></i>');}}\n")
        out.append(line)
        total += len(line)
    return "".join(out)


def _chrome_top(pool: TextPool, rng: random.Random, title: str, charset: str, limit: int) -> str:
    nav = "".join(f'<li><a href="/lists/main/{key}/">{name}</a></li>' for key, name in SECTIONS.items())
    subnav = "".join(f'<li><a href="/special/{k}/">{rng.choice(pool.titles)[:4]}</a></li>' for k in range(30))
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />\n'
        f"<title>{title}_{SITE_NAME}</title>\n"
        f'<meta name="keywords" content="{title[:8]},{SITE_NAME}" />\n'
        '<link href="/templets/default/style/bootstrap.min.css" rel="stylesheet" type="text/css" />\n'
        '<link href="/templets/default/style/main.css" rel="stylesheet" type="text/css" />\n'
        '<script src="/templets/default/js/jquery.min.js"></script>\n'
        f"<script>{_script(rng, rng.randint(3000, 9000))}</script>\n"
        "</head>\n<body>\n"
        '<div class="top-bar"><div class="container"><span class="fl">今天是：<script>document.write(new Date()'
        '.toLocaleDateString());</script></span><span class="fr"><a href="/">设为首页</a> | <a href="/">加入收藏</a>'
        "</span></div></div>\n"
        '<div class="header"><div class="container"><a class="logo" href="/"><img src="/images/logo.png" alt="'
        f'{SITE_NAME}" /></a><form class="search" action="/plus/search.php"><input name="q" type="text" />'
        '<button type="submit">搜索</button></form></div></div>\n'
        f'<div class="menu"><ul>{nav}</ul><ul class="sub">{subnav}</ul></div>\n'
        f'<div class="scroll-news"><ul>{_links(pool, rng, 12, limit)}</ul></div>\n'
    )


def _chrome_side_and_foot(pool: TextPool, rng: random.Random, limit: int) -> str:
    pics = "".join(f'<li><a href="{article_path(rng.randint(1, limit))}"><img src="/uploads/pic/{rng.randint(1, 9999)}'
                   f'.jpg" alt="" /><p>{rng.choice(pool.titles)}</p></a></li>' for _ in range(8))
    friends = "".join(f'<a href="http://www{k}.example.cn/">{rng.choice(pool.titles)[:6]}</a> ' for k in range(40))
    return (
        '<div class="col-md-4 xb-right">\n'
        f'<div class="side-box"><h4>热点新闻</h4><ul class="hot">{_links(pool, rng, 15, limit)}</ul></div>\n'
        f'<div class="side-box"><h4>图片新闻</h4><ul class="pics">{pics}</ul></div>\n'
        f'<div class="side-box"><h4>专题</h4><ul>{_links(pool, rng, 15, limit)}</ul></div>\n'
        f'<div class="ad"><script>{_script(rng, rng.randint(1500, 4000))}</script></div>\n'
        "</div>\n</div></div>\n"
        f'<div class="footer"><div class="links">友情链接：{friends}</div>'
        f"<p>{SITE_NAME} 版权所有 未经授权禁止复制或建立镜像</p><p>晋ICP备00000000号</p></div>\n"
    )


def render_article(pool: TextPool, article_id: int, limit: int) -> tuple[bytes, str]:
    rng = random.Random(article_id)
    charset = "gbk" if article_id % 2 else "utf-8"
    title = rng.choice(pool.titles)
    when = published(article_id).strftime("%Y-%m-%d %H:%M:%S")
    source = rng.choice(_SOURCES)
    reporter, editor = pool.name(rng), pool.name(rng)
    paras = [pool.paragraph(rng) for _ in range(rng.randint(5, 18))]
    paras[0] = f"{SITE_NAME}讯 （记者 {reporter}）{paras[0]}"
    body = "".join(f"<p>\u3000\u3000{p}</p>\n" for p in paras)
    section = section_of(article_id)
    related = _links(pool, rng, 10, limit)
    if article_id % 20 == 7:  # a layout the profile does not know: the generic extractor's job
        main = (f'<div class="col-md-8 article-main"><h1 class="headline">{title}</h1>\n'
                f'<div class="info">发布时间：{when} 来源：{source} 作者：{reporter}</div>\n'
                f'<div class="article-text">{body}</div>\n<p class="ed">编辑：{editor}</p>\n'
                f'<div class="related"><h4>相关新闻</h4><ul>{related}</ul></div></div>\n')
    else:
        main = (
            f'<div class="col-md-12 position">当前位置：<a href="/">{SITE_NAME}</a> &gt; '
            f'<a href="/lists/main/{section}/">{SECTIONS[section]}</a> &gt; 正文</div>\n'
            f'<div class="col-md-8 xb-left">\n<h2 class="h2 text-center xb-h2">{title}</h2>\n'
            f'<h3 class="h4 text-center xb-h4">{when}\u3000来源：{source}\u3000\u3000浏览次数：'
            f'<script src="/plus/count.php?view=yes&amp;aid={article_id}&amp;mid=1"></script></h3>\n'
            '<div class="fontsize">字号：<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中'
            '</a> <a href="javascript:doZoom(12)">小</a></div>\n'
            f'<div class="col-md-12 nry jcontent">\n{body}'
            '<div class="bdsharebuttonbox"><a class="bds_more" data-cmd="more">分享到：</a>'
            '<a class="bds_weixin" data-cmd="weixin" title="分享到微信"></a></div>\n</div>\n'
            f'<div class="editor">责任编辑：{editor}</div>\n'
            f'<div class="related"><h4>相关新闻</h4><ul>{related}</ul></div>\n</div>\n'
        )
    page = _chrome_top(pool, rng, title, charset, limit) + '<div class="container"><div class="row">\n' + main
    page += _chrome_side_and_foot(pool, rng, limit)
    # a trailing statistics script brings the page to its size
    missing = max(500, rng.randint(35_000, 70_000) - len(page.encode(charset)) - 40)
    return (page + f"<script>{_script(rng, missing)}</script>\n</body>\n</html>\n").encode(charset), charset


def render_list(pool: TextPool, section: str, ids: list[int], page: int, pages: int, limit: int) -> bytes:
    rng = random.Random(f"{section}/{page}/{len(ids)}")
    items = "".join(f'<li><a href="{article_path(i)}" target="_blank">{rng.choice(pool.titles)}</a>'
                    f"<span>{published(i):%Y-%m-%d}</span></li>\n" for i in ids)

    def href(n: int) -> str:
        return "index.html" if n == 1 else f"index_{n - 1}.html"

    pager = ""
    if page > 1:
        pager += f'<a href="{href(page - 1)}">上一页</a> '
    pager += " ".join(f'<a href="{href(n)}">{n}</a>' for n in range(max(1, page - 4), min(pages, page + 4) + 1))
    if page < pages:
        pager += f' <a href="{href(page + 1)}">下一页</a>'
    html = (_chrome_top(pool, rng, SECTIONS[section], "utf-8", limit) + '<div class="container"><div class="row">\n'
            f'<div class="col-md-8 xb-left"><div id="contentText"><ul>\n{items}</ul></div>\n'
            f'<div class="pages">{pager}</div></div>\n' + _chrome_side_and_foot(pool, rng, limit))
    return (html + "</body>\n</html>\n").encode("utf-8")


def list_pages(count: int, seed: int) -> Iterator[tuple[str, list[list[int]]]]:
    """For a portal of articles 1..count: each section's list pages, newest first, 20-40 links each."""
    rng = random.Random(seed)
    for section in SECTIONS:
        ids = [i for i in range(count, 0, -1) if section_of(i) == section]
        chunks = []
        while ids:
            k = rng.randint(20, 40)
            chunks.append(ids[:k])
            ids = ids[k:]
        yield section, chunks


def build_portal(root: Path, pages: int, variants: dict[str, int]) -> None:
    """Write articles 1..pages and one list tree per variant (``/lists/<variant>/<section>/``) under root."""
    marker = root / ".complete"
    want = json.dumps({"v": GENERATOR_VERSION, "pages": pages, "variants": variants}, sort_keys=True)
    if marker.exists() and marker.read_text() == want:
        return
    if root.exists():
        shutil.rmtree(root)
    pool = TextPool()
    t0 = time.perf_counter()
    total = 0
    for article_id in range(1, pages + 1):
        path = root / article_path(article_id).lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        data, _ = render_article(pool, article_id, pages)
        path.write_bytes(data)
        total += len(data)
    for variant, count in variants.items():
        for section, chunks in list_pages(count, seed=count):
            folder = root / "lists" / variant / section
            folder.mkdir(parents=True, exist_ok=True)
            for n, ids in enumerate(chunks, 1):
                name = "index.html" if n == 1 else f"index_{n - 1}.html"
                (folder / name).write_bytes(render_list(pool, section, ids, n, len(chunks), pages))
    for folder in [root, *root.rglob("*")]:
        if folder.is_dir():
            folder.chmod(0o755)  # nginx workers may run as another user
    marker.write_text(want)
    print(f"generated {pages} article pages ({total / pages / 1024:.1f} KB mean) in "
          f"{time.perf_counter() - t0:.0f} s under {root}", flush=True)


@dataclass(frozen=True)
class Site:
    key: str
    variant: str
    articles: int

    @property
    def host(self) -> str:
        return f"www.{self.key}.test"

    def start_urls(self) -> list[str]:
        return [f"http://{self.host}/lists/{self.variant}/{s}/" for s in SECTIONS]


def write_profile(folder: Path, site: Site) -> None:
    starts = site.start_urls()
    sections = "\n".join(f'"{u}" = "{SECTIONS[u.rstrip("/").rsplit("/", 1)[1]]}"' for u in starts)
    quoted = ", ".join(f'"{u}"' for u in starts)
    (folder / f"{site.key}.toml").write_text(f"""# synthetic portal for benchmarks/crawl.py
key = "{site.key}"
name = "{SITE_NAME}"
domains = ["{site.host}"]
verified_live = false
start_urls = [{quoted}]

[sections]
{sections}

[list]
article_links = "//*[@id='contentText']//ul/li/a/@href"
article_url = '^http://[^/]+/news/[a-z]+/\\d+\\.html$'
next_pages = "index_{{n}}.html"
max_pages = 100000

[article]
title = "//h2[contains(@class,'xb-h2')]"
meta = "//h3[contains(@class,'xb-h4')]"
body = "//div[contains(@class,'jcontent')]"
drop = [".//div[contains(@class,'bdsharebuttonbox')]"]
byline = ["//div[@class='editor']"]
section = "//div[contains(@class,'position')]/a[last()]"
""", encoding="utf-8")


# -- the fallback file server ------------------------------------------------------------------------
class _FileHandler(RecordingHandler):
    """GET of a file under the server's root (``…/`` means ``…/index.html``), for any host name."""

    server: _FileHTTPServer
    # the benchmark's figures were taken with the standard library's Server header; keep it
    server_version = BaseHTTPRequestHandler.server_version
    sys_version = BaseHTTPRequestHandler.sys_version

    def do_GET(self) -> None:
        _, path = self.target()
        path = path.split("?", 1)[0] or "/"
        file = self.server.root / path.lstrip("/")
        if path.endswith("/"):
            file = file / "index.html"
        try:
            data = file.read_bytes() if ".." not in path else b""
            status = 200
        except OSError:
            data, status = b"not found", 404
        self.send_body(status, "text/html", data)


class _FileHTTPServer(RecordingHTTPServer[Any]):
    """Keeps no request log: the benchmark counts pages in the crawler."""

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        super().__init__(address, _FileHandler)
        self.root = root


class FileServer(RecordingServer[Any]):
    """The portal folder ``root`` served on 127.0.0.1 (port 0 = a free port) in a background thread."""

    thread_name = "synthetic-portal"

    def __init__(self, root: str | Path, port: int = 0) -> None:
        super().__init__(_FileHTTPServer(("127.0.0.1", port), Path(root)))


def serve_files(root: str | Path, port: int, processes: int = 2) -> None:
    """Serve ``root`` on 127.0.0.1:``port`` from ``processes`` forked processes sharing one socket
    (in the foreground, until killed): the benchmark's server when nginx is not installed."""
    httpd = _FileHTTPServer(("127.0.0.1", port), Path(root))
    for _ in range(processes - 1):
        if os.fork() == 0:
            break
    httpd.serve_forever()
