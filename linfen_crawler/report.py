"""``linfen report``: one self-contained HTML page (charts embedded) plus the charts as PNG files.

Sections: articles per site over time (per day when the data spans at most 120 days, else per month; the
chart file is named for its unit), field coverage per site (a table, cells under 90 % marked: a chart of
near-100 % bars only repeated it), top sources, top authors, syndicated copies (links to each copy). Charts
name sites as readers know them (临汾新闻网, not lfxww). The numbers come from storage.py; this module only
draws (matplotlib, the ``[analyst]`` extra) and writes HTML.

Chinese labels need a CJK font: the first installed of :data:`CJK_FONTS` is used (Debian:
``apt-get install fonts-wqy-microhei``); without one, the report says so and labels may show as boxes.
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from linfen_crawler import __version__
from linfen_crawler.storage import COVERAGE_FIELDS, Dataset

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Droid Sans Fallback", "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC")
FIELD_LABELS = {"title": "标题 title", "published_at": "时间 date", "section": "栏目 section", "source": "来源 source",
                "authors": "作者 authors", "editors": "编辑 editors", "body": "正文 body", "images": "图片 images"}
DAILY_MAX_DAYS = 120
LOW_COVERAGE = 0.9  # coverage cells below this share are marked


class ReportError(RuntimeError):
    """The report cannot be written; the message says why."""


# where Debian/Ubuntu packages put CJK fonts: used when matplotlib's font cache predates their installation
CJK_FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    def known() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = known()
    if found is None:
        for path in CJK_FONT_FILES:
            if Path(path).exists():
                font_manager.fontManager.addfont(path)
        found = known()
    return found


def _setup() -> tuple[Any, str | None]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    plt.rcParams["font.sans-serif"] = [*([font] if font else []), "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "none"
    return plt, font


def _png(plt: Any, fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def timeline(per_site_day: list[tuple[str, str, int]]) -> tuple[str, list[str], dict[str, dict[str, int]]]:
    """Bucket (site, day, n) rows per day, or per month when they span more than DAILY_MAX_DAYS days.

    Returns the unit, every bucket from the first to the last (empty ones too, so the axis is time), and
    per site the count in each bucket.
    """
    days = sorted({d for _, d, _ in per_site_day if _is_day(d)})
    if not days:
        return "day", [], {}
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    unit = "day" if (last - first).days <= DAILY_MAX_DAYS else "month"
    if unit == "day":
        keys = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    else:
        keys = [f"{m // 12:04d}-{m % 12 + 1:02d}"
                for m in range(first.year * 12 + first.month - 1, last.year * 12 + last.month)]
    series: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site, day, n in per_site_day:
        if _is_day(day):
            series[site][day if unit == "day" else day[:7]] += n
    return unit, keys, {s: dict(v) for s, v in series.items()}


def _is_day(value: str | None) -> bool:
    try:
        date.fromisoformat(value or "")
    except ValueError:
        return False
    return len(value or "") == 10


def site_names(ds: Dataset) -> dict[str, str]:
    """Site key -> the site's name as stored with its articles (临汾新闻网 for lfxww)."""
    rows = ds.conn.execute("SELECT site, max(site_name) FROM articles GROUP BY site")
    return {site: name for site, name in rows if name}


def timeline_figure(plt: Any, unit: str, keys: list[str], series: dict[str, dict[str, int]],
                    labels: dict[str, str] | None = None) -> Any:
    """The stacked bars of articles per site per unit; ``labels`` names the sites in the legend."""
    labels = labels or {}
    fig, ax = plt.subplots(figsize=(10, 3.8))
    bottom = [0] * len(keys)
    for site in sorted(series):
        values = [series[site].get(k, 0) for k in keys]
        ax.bar(range(len(keys)), values, bottom=bottom, label=labels.get(site, site),
               width=1.0 if len(keys) > 60 else 0.85)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(keys) // 12)
    ax.set_xticks(range(0, len(keys), step), [keys[i] for i in range(0, len(keys), step)], rotation=45, ha="right")
    ax.set_ylabel("文章数 articles")
    ax.set_title("每个网站每" + ("天" if unit == "day" else "月") + f"的文章数 Articles per site per {unit}")
    if series:
        ax.legend(fontsize=8)
    return fig


def chart_timeline(plt: Any, unit: str, keys: list[str], series: dict[str, dict[str, int]],
                   labels: dict[str, str] | None = None) -> bytes:
    return _png(plt, timeline_figure(plt, unit, keys, series, labels))


def chart_top(plt: Any, rows: list[tuple[str, int]], title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 0.32 * max(3, len(rows)) + 1))
    ax.barh([r[0] for r in rows], [r[1] for r in rows], color="#4c72b0")
    ax.invert_yaxis()
    ax.set_xlabel("文章数 articles")
    ax.set_title(title)
    return _png(plt, fig)


class Html(str):
    """Markup that _table puts in a cell as it is (everything else is escaped)."""


def _table(head: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)

    def td(c: Any) -> str:
        return c if isinstance(c, Html) else f"<td>{html.escape(str(c))}</td>"

    trs = "".join("<tr>" + "".join(td(c) for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _link(url: str, text: str | None = None) -> str:
    """An <a> to an article's url (http and https only; anything else stays text)."""
    shown = html.escape(text or url)
    if not url.startswith(("http://", "https://")):
        return shown
    return f'<a href="{html.escape(url, quote=True)}">{shown}</a>'


def _coverage_cell(share: float | None) -> Html:
    share = share or 0
    low = " class='low'" if share < LOW_COVERAGE else ""
    return Html(f"<td{low}>{100 * share:.0f}%</td>")


CSS = """body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1000px;margin:2em auto;padding:0 1em;color:#222}h1{font-size:1.6em}h2{margin-top:2em;font-size:1.2em;
border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:.25em .6em;
text-align:left}td:nth-child(n+2){text-align:right}img{max-width:100%}.note{color:#a33}.meta{color:#666;font-size:.9em}
td.low{background:#fbe3e3;color:#a33}td.links{text-align:left}td.links a{display:block}"""


def write_report(ds: Dataset, out: Path, *, dedupe: bool = False, top: int = 20) -> Path:
    """Write ``out/index.html`` (self-contained) and ``out/*.png``; returns the index path."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the folder {out}: {exc.strerror}") from None
    plt, font = _setup()
    stats = ds.site_stats(dedupe=dedupe)
    if not stats:
        raise ReportError(f"{ds.path} has no articles yet (run `linfen crawl` or `linfen demo` first)")
    unit, keys, series = timeline(ds.per_site_day(dedupe=dedupe))
    coverage = ds.field_coverage(dedupe=dedupe)
    sources = ds.top_values("source", top, dedupe=dedupe)
    authors = ds.top_values("authors", top, dedupe=dedupe)
    groups = ds.duplicate_groups(top)
    names = site_names(ds)
    timeline_png = f"articles_per_site_per_{unit}.png"
    charts = {
        timeline_png: chart_timeline(plt, unit, keys, series, names),
        "top_sources.png": chart_top(plt, sources, "主要来源 Top sources"),
        "top_authors.png": chart_top(plt, authors, "主要作者 Top authors"),
    }
    try:
        for name, data in charts.items():
            (out / name).write_bytes(data)
    except OSError as exc:
        raise ReportError(f"cannot write in {out}: {exc.strerror}") from None

    def img(name: str, alt: str) -> str:
        data = base64.b64encode(charts[name]).decode()
        return f'<p><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}"></p>'

    total = sum(s["articles"] for s in stats)
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        "<title>linfen-crawler 数据报告 Dataset report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>数据报告 Dataset report</h1>",
        f"<p class='meta'>{html.escape(str(ds.path.resolve()))} · {total} 篇文章 articles"
        f"{' · 不含转载副本 syndicated copies left out' if dedupe else ''} · "
        f"{datetime.now(UTC).replace(microsecond=0).isoformat()} · linfen-crawler {__version__}</p>",
    ]
    if font is None:
        parts.append("<p class='note'>No Chinese font found for the charts (install fonts-wqy-microhei or "
                     "fonts-noto-cjk); Chinese labels may show as boxes.</p>")
    parts += [
        "<h2>网站 Sites</h2>",
        _table(["site", "name 名称", "articles", "first day", "last day", "syndicated copies"],
               [[s["site"], names.get(s["site"], "-"), s["articles"], s["first"] or "-", s["last"] or "-",
                 s["duplicates"] or 0] for s in stats]),
        f"<h2>每{'天' if unit == 'day' else '月'}文章数 Articles per site per {unit}</h2>",
        img(timeline_png, f"articles per site per {unit}"),
        "<h2>字段覆盖率 Field coverage</h2>",
        f"<p class='meta'>有该字段的文章比例；低于 {LOW_COVERAGE:.0%} 的标红。Share of articles with each field; "
        f"cells under {LOW_COVERAGE:.0%} are marked.</p>",
        _table(["site", *(FIELD_LABELS[f] for f in COVERAGE_FIELDS)],
               [[names.get(c["site"], c["site"]), *(_coverage_cell(c[f]) for f in COVERAGE_FIELDS)]
                for c in coverage]),
        "<h2>主要来源 Top sources</h2>",
        img("top_sources.png", "top sources"),
        _table(["source 来源", "articles"], [list(r) for r in sources]),
        "<h2>主要作者 Top authors</h2>",
        img("top_authors.png", "top authors"),
        _table(["author 作者", "articles"], [list(r) for r in authors]),
        "<h2>转载副本 Syndicated copies</h2>",
        _table(["earliest copy 最早一篇", "site", "copies 转载", ""],
               [[Html(f"<td class='links'>{_link(g['url'], g['title'] or g['url'])}</td>"),
                 names.get(g["site"], g["site"]), len(g["copies"]),
                 Html("<td class='links'>" + "".join(_link(u) for u in g["copies"]) + "</td>")]
                for g in groups]) if groups
        else "<p>没有发现转载副本。No syndicated copies found.</p>",
        "</body></html>",
    ]
    index = out / "index.html"
    index.write_text("\n".join(parts), "utf-8")
    return index
