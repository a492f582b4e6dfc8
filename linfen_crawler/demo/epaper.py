"""The sample 临汾日报 e-paper (数字报, issue 17): editions addressed by date, served offline like the portals.

Built on the shape public e-paper crawlers show for 方正 Founder 数字报 systems (the ``lfrb`` profile's
``facts``): each day's edition starts at ``/html/YYYY-MM/DD/node_2.htm`` (its first page, 版面 A01); every
page links the edition's pages (``<a id="pageLink">第A02版：时政</a>``), shows its label
(``<td class="ban">第A01版：要闻</td>``), the page image with an image map placing each article
(``<area shape="polygon" coords="…" href="content_N.htm">``) and a title list; an article page
``content_N.htm`` holds 引题 / 标题 / 副题 (``td.yinti``, ``td.biaoti``, ``td.futi``) and the text in
``div#ozoom founder-content``.

Ten editions, 2024-01-10 to 2024-01-20, three pages and four articles each. Two days have no edition:
2024-01-14 answers 404, 2024-01-21 redirects (302) to a "本日无报" page answered 200. The 2024-01-16 edition is
GBK. The first article of 2024-01-19 is the 临汾新闻网 sample's 284470 (市政府与高校签订人才科技合作协议) as
printed the next day: the same story on the portal and in the e-paper, for ``duplicate_of``.

The other stories' text is drawn from the 临汾新闻网 sample's paragraphs, two paragraphs of different portal
articles each and every paragraph once, so no two stories (nor a story and a portal article) are
near-duplicates except that one reprint. Pages and expected records come from the same facts.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import escape
from typing import Any

from linfen_crawler.demo.base import GIF, Page, fold, html_page
from linfen_crawler.demo.lfxww import load_data

__all__ = ["EDITION_DAYS", "GBK_DAY", "MISSING_DAYS", "REPRINT", "Epaper"]

FIRST_DAY = date(2024, 1, 10)
LAST_DAY = date(2024, 1, 21)
MISSING_DAYS = {date(2024, 1, 14): "http_404", date(2024, 1, 21): "no_edition"}
EDITION_DAYS = tuple(FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)
                     if FIRST_DAY + timedelta(days=i) not in MISSING_DAYS)
GBK_DAY = date(2024, 1, 16)
REPRINT = (date(2024, 1, 19), 284470)  # the edition and the 临汾新闻网 sample article it reprints
PAGES = (("A01", "要闻", 2), ("A02", "时政", 1), ("A03", "综合", 1))  # page number, name, articles on it
NO_EDITION_PATH = "/html/noedition.htm"
REPORTERS = ("王长波", "陈鹏", "刘通", "杨倩", "张晋", "李红梅", "赵国栋", "孙丽")
KICKERS = ("聚焦高质量发展", "奋进新征程", "民生实事进行时", "一线观察")
_DATE_PREFIX = re.compile(r"^(\d{4}年)?\d{1,2}月\d{1,2}日(至\d{1,2}日)?(上午|下午|晚)?[，,]?")
_CLAUSE = re.compile(r"[，。；：！？,;]")


def _headline(paragraph: str) -> str:
    """A headline from a paragraph: its first clause of some length, without a leading date."""
    for clause in _CLAUSE.split(_DATE_PREFIX.sub("", paragraph)):
        clause = clause.strip("“”\" ")
        if len(clause) >= 8:
            return clause[:26]
    return paragraph[:20]


def _weekday(day: date) -> str:
    return "星期" + "一二三四五六日"[day.weekday()]


class Epaper:
    """The sample 临汾日报 e-paper: pages by path, and the records its articles must give."""

    key = "lfrb"
    name = "临汾日报"
    host = "epaper.lfxww.com"

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.expected: list[dict[str, Any]] = []
        self._build()

    # -- facts ------------------------------------------------------------------------------------------
    def _stories(self) -> list[dict[str, Any]]:
        """One story per article slot of every edition, in edition and page order."""
        data = load_data()
        portal = {a["id"]: a for a in data["articles"]}
        pool = [(a["id"], p) for a in data["articles"] if a["id"] != REPRINT[1] and "paragraphs" in a
                for p in a["paragraphs"] if isinstance(p, str) and len(p) >= 30]
        # two paragraphs of different portal articles per story: take from the pool's two halves in turn
        half = len(pool) // 2
        firsts, seconds = pool[:half], pool[half:]
        stories: list[dict[str, Any]] = []
        n = 0
        for day in EDITION_DAYS:
            slot = 0
            for page_no, page_name, count in PAGES:
                for _ in range(count):
                    reporter = REPORTERS[n % len(REPORTERS)]
                    story: dict[str, Any] = {"day": day, "page_no": page_no, "page_name": page_name,
                                             "id": 300000 + day.toordinal() % 1000 * 10 + slot,
                                             "reporter": reporter, "kicker": None, "subtitle": None}
                    if (day, slot) == (REPRINT[0], 0):
                        art = portal[REPRINT[1]]
                        story["title"] = art["title"]
                        story["reporter"] = art["byline"][0][1]
                        story["paragraphs"] = list(art["paragraphs"])
                    else:
                        first, second = firsts[n % len(firsts)], seconds[n % len(seconds)]
                        story["title"] = _headline(first[1])
                        story["paragraphs"] = [first[1], second[1]]
                        n += 1
                    if slot == 0:
                        story["kicker"] = KICKERS[day.day % len(KICKERS)]
                    if page_no == "A02":
                        story["subtitle"] = f"——记者{story['reporter']}的现场报道"
                    stories.append(story)
                    slot += 1
        return stories

    # -- paths ------------------------------------------------------------------------------------------
    @staticmethod
    def folder(day: date) -> str:
        return f"/html/{day:%Y-%m}/{day:%d}/"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    # -- templates --------------------------------------------------------------------------------------
    def _frame(self, day: date, charset: str, title: str, inner: str) -> str:
        return ('<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" '
                f'content="text/html; charset={charset}" /><title>{escape(title)}</title></head>\n<body>\n'
                '<div class="header"><span class="paper">临汾日报</span> '
                f'<span class="date">{day.year}年{day:%m}月{day:%d}日 {_weekday(day)}</span> '
                f'<a href="../../../index.htm">往期回顾</a></div>\n{inner}'
                '<div class="footer">临汾日报社 版权所有</div>\n</body></html>\n')

    def _render_page(self, day: date, index: int, stories: list[dict[str, Any]], charset: str) -> str:
        page_no, page_name, _ = PAGES[index]
        nav = "".join(f'<li><a id="pageLink" href="node_{i + 2}.htm">第{no}版：{name}</a></li>\n'
                      for i, (no, name, _) in enumerate(PAGES))
        areas = titles = ""
        for k, story in enumerate(stories):
            top, bottom = 40 + k * 400, 400 + k * 400
            coords = f"20,{top},700,{top},700,{bottom},20,{bottom}"
            areas += f'<area shape="polygon" coords="{coords}" href="content_{story["id"]}.htm" />\n'
            titles += (f'<li><a href="content_{story["id"]}.htm"><div style="display:inline" id="mp{story["id"]}">'
                       f"{escape(story['title'])}</div></a></li>\n")
        inner = (f'<table class="bmnr"><tr><td class="ban">第{page_no}版：{page_name}</td></tr></table>\n'
                 f'<div class="pagelist"><ul>\n{nav}</ul></div>\n'
                 f'<div class="pageimg"><img src="../../../page/{day:%Y-%m}/{day:%d}/{page_no}/'
                 f'{day:%Y%m%d}{page_no}_b.jpg" '
                 f'usemap="#PagePicMap" border="0" />\n<map name="PagePicMap" id="PagePicMap">\n{areas}</map></div>\n'
                 f'<div id="titleList"><ul>\n{titles}</ul></div>\n')
        return self._frame(day, charset, f"临汾日报-第{page_no}版：{page_name}", inner)

    def _render_article(self, story: dict[str, Any], charset: str) -> str:
        day = story["day"]
        heads = ""
        if story["kicker"]:
            heads += f'<tr><td class="yinti">{escape(story["kicker"])}</td></tr>\n'
        heads += f'<tr><td class="biaoti">{escape(story["title"])}</td></tr>\n'
        if story["subtitle"]:
            heads += f'<tr><td class="futi">{escape(story["subtitle"])}</td></tr>\n'
        paragraphs = list(story["paragraphs"])
        paragraphs[0] = f"本报讯（记者 {story['reporter']}）" + paragraphs[0]
        body = "".join(f"<p>　　{escape(p)}</p>\n" for p in paragraphs)
        inner = (f'<div class="banmian"><a href="node_{2 + [p[0] for p in PAGES].index(story["page_no"])}.htm">'
                 f"第{story['page_no']}版：{story['page_name']}</a></div>\n"
                 f'<table class="title">\n{heads}</table>\n'
                 f'<div id="ozoom"><founder-content>\n{body}</founder-content></div>\n')
        return self._frame(day, charset, f"{story['title']}-临汾日报", inner)

    # -- building ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        by_day: dict[date, list[dict[str, Any]]] = {}
        for story in self._stories():
            by_day.setdefault(story["day"], []).append(story)
        for day, stories in by_day.items():
            charset = "gb2312" if day == GBK_DAY else "utf-8"
            folder = self.folder(day)
            for index, (page_no, _, _) in enumerate(PAGES):
                on_page = [s for s in stories if s["page_no"] == page_no]
                html = self._render_page(day, index, on_page, charset)
                self.pages[f"{folder}node_{index + 2}.htm"] = html_page(html, charset)
                self.pages[f"/page/{day:%Y-%m}/{day:%d}/{page_no}/{day:%Y%m%d}{page_no}_b.jpg"] = Page(
                    200, "image/gif", GIF)
                for k, story in enumerate(on_page):
                    path = f"{folder}content_{story['id']}.htm"
                    self.pages[path] = html_page(self._render_article(story, charset), charset)
                    top, bottom = 40 + k * 400, 400 + k * 400
                    body = [fold(f"本报讯（记者 {story['reporter']}）" + story["paragraphs"][0]),
                            *(fold(p) for p in story["paragraphs"][1:])]
                    self.expected.append({
                        "url": self.url(path), "site": self.key, "title": fold(story["title"]),
                        "edition_date": day.isoformat(), "page_no": page_no, "page_name": story["page_name"],
                        "section": story["page_name"], "kicker": story["kicker"],
                        "subtitle": fold(story["subtitle"]) if story["subtitle"] else None,
                        "position": {"shape": "polygon", "coords": [20, top, 700, top, 700, bottom, 20, bottom]},
                        "authors": [story["reporter"]], "body": "\n".join(body),
                    })
        no_day = LAST_DAY
        self.pages[self.folder(no_day) + "node_2.htm"] = Page(
            302, "text/html; charset=utf-8", b"", (("Location", self.url(NO_EDITION_PATH)),))
        self.pages[NO_EDITION_PATH] = html_page(
            self._frame(no_day, "utf-8", "临汾日报", '<div class="noedition">本日无报纸，请选择其他日期。</div>\n'),
            "utf-8")
        self.pages["/robots.txt"] = Page(200, "text/plain", b"User-agent: *\nDisallow:\n")

    # -- public -----------------------------------------------------------------------------------------
    def get(self, path: str) -> Page | None:
        """The page at ``path`` (query ignored), or None (→ 404)."""
        return self.pages.get(path.split("?", 1)[0])

    def expected_articles(self, first: date | None = None, last: date | None = None) -> list[dict[str, Any]]:
        """Records of the editions from ``first`` to ``last`` (inclusive; default all), edition order."""
        return [dict(r) for r in self.expected
                if (first is None or r["edition_date"] >= first.isoformat())
                and (last is None or r["edition_date"] <= last.isoformat())]

    def entry_path(self, day: date) -> str:
        return self.folder(day) + "node_2.htm"
