"""``linfen learn URL --key KEY``: write a profile for a new portal from a sample of its own pages.

The sample is fetched by :class:`~linfen_crawler.spiders.sample.SampleSpider` through the real Scrapy engine
(robots.txt, politeness and every downloader middleware as for a crawl), or read from saved pages with
``--from DIR``; :func:`~linfen_crawler.extract.infer.infer_profile` turns it into an ordinary profile, which is
written only where no file is (``--force`` replaces one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import click

from linfen_crawler.commands.options import fail, parse_overrides, settings_option
from linfen_crawler.extract.article import node_text, parse_html
from linfen_crawler.extract.encoding import decode_html
from linfen_crawler.extract.infer import (
    ArticleSample,
    LearnedProfile,
    ListSample,
    infer_profile,
    list_candidates,
    next_list_url,
)
from linfen_crawler.extract.title import title_head
from linfen_crawler.normalize import canonicalize_url, clean_text
from linfen_crawler.profiles import KEY_RE
from linfen_crawler.runner import project_scrapy_settings
from linfen_crawler.spiders.sample import SampleSpider, site_domains

#: what a sampling crawl leaves out of a crawl's settings: it stores nothing and writes no run record
SAMPLE_SETTINGS: dict[str, Any] = {
    # the command prints its own report; Scrapy's log shows warnings and errors (-s LOG_LEVEL=INFO for all)
    "LOG_LEVEL": "WARNING",
    "ITEM_PIPELINES": {},
    "EXTENSIONS": {
        "linfen_crawler.extensions.raw_pages.RawPagesExtension": None,
        "linfen_crawler.extensions.progress.ProgressExtension": None,
        "linfen_crawler.extensions.accounting.RunAccounting": None,
    },
}
_HTML = (".html", ".htm", ".shtml")


def site_name(home: ListSample) -> str:
    """The site's name as its start page's ``<title>`` gives it (its head: ``运城新闻网``), or ''."""
    doc = parse_html(decode_html(home.html, home.headers.get("Content-Type"), None)[0])
    titles = doc.findall(".//title") if doc is not None else []
    return title_head(clean_text(node_text(titles[0]))) if titles else ""


def sample_site(url: str, pages: int, overrides: dict[str, Any]
                ) -> tuple[list[ListSample], list[ArticleSample], ListSample | None]:
    """Fetch the sample of the site at ``url`` through the Scrapy engine; its list and article pages."""
    from scrapy.crawler import CrawlerProcess  # loaded only when a sample is fetched (not for --from or -h)

    settings = project_scrapy_settings()
    for name, value in {**SAMPLE_SETTINGS, **overrides}.items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SampleSpider)
    process.crawl(crawler, start_url=url, pages=pages)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, SampleSpider)
    if spider.start_page is None:
        why = spider.start_failure or "nothing fetched"
        raise fail(f"cannot fetch {url} ({why}); check the URL, or save the pages and use --from DIR")
    return spider.list_samples(), spider.article_samples(), spider.start_page


def _saved(folder: Path, origin: str) -> list[tuple[str, bytes]]:
    """``(URL, bytes)`` of the HTML files under ``folder``; a file's URL is its path under the folder on the site."""
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in _HTML):
        out.append((canonicalize_url(urljoin(origin, path.relative_to(folder).as_posix())), path.read_bytes()))
    return out


def read_saved(folder: Path, url: str) -> tuple[list[ListSample], list[ArticleSample], ListSample | None]:
    """The sample saved in ``folder``: list pages in ``lists/``, article pages in ``articles/``, each file at its
    URL's path (``articles/linfen/djll/93512.html``); ``index.html`` beside them is the start page (names the
    sections)."""
    lists_dir, articles_dir = folder / "lists", folder / "articles"
    if not lists_dir.is_dir() or not articles_dir.is_dir():
        raise fail(f"--from {folder}: expected the folders lists/ (list pages) and articles/ (article pages)")
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}/"
    names: dict[str, str] = {}
    start = folder / "index.html"
    home = None
    if start.is_file():
        home = ListSample(canonicalize_url(url), start.read_bytes())
        doc = parse_html(decode_html(home.html, None, None)[0])
        if doc is not None:
            names = list_candidates(doc, url, site_domains(url))
    saved = _saved(lists_dir, origin)
    nexts: dict[str, str] = {}
    for page_url, raw in saved:
        doc = parse_html(decode_html(raw, None, None)[0])
        nxt = next_list_url(doc, page_url) if doc is not None else None
        if nxt:
            nexts[page_url] = nxt
    later = set(nexts.values())
    lists = []
    for page_url, raw in saved:
        directory = page_url.rsplit("/", 1)[0] + "/"
        name = names.get(page_url) or names.get(directory, "")
        lists.append(ListSample(directory if page_url.endswith("/index.html") and page_url not in later else page_url,
                                raw, name, 2 if page_url in later else 1, nexts.get(page_url)))
    articles = [ArticleSample(u, raw) for u, raw in _saved(articles_dir, origin)]
    return lists, articles, home


def print_report(learned: LearnedProfile, out: Path) -> None:
    """The coverage table and the pages where a selector and the generic extractor disagree."""
    click.echo(f"wrote {out}: {_count(learned.articles, 'article page')}, {_count(learned.lists, 'list page')} "
               "sampled")
    click.echo(f"{'field':13} {'found':>6} {'agree':>6}  selector")
    for row in learned.coverage:
        found = f"{row.found}/{row.pages}" if row.selector else "-"
        agree = f"{row.agree}/{row.pages}" if row.selector else "-"
        click.echo(f"{row.field:13} {found:>6} {agree:>6}  {row.selector or '(generic extractor)'}")
    if learned.disagreements:
        click.echo("pages where the learned profile and the generic extractor disagree:")
        for d in learned.disagreements:
            click.echo(f"  {d.url} {d.field}: generic {_short(d.generic)} / profile {_short(d.learned)}")


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@click.command()
@click.argument("url")
@click.option("--key", required=True, help="the new profile's key (2-32 lower-case letters, digits or _)")
@click.option("--out", metavar="PATH",
              help="the profile file, or a folder (existing, or ending in /) for KEY.toml "
                   "(default: profiles/KEY.toml)")
@click.option("--pages", type=click.IntRange(1, 500), default=40, show_default=True,
              help="article pages to sample")
@click.option("--from", "from_dir", type=click.Path(file_okay=False, path_type=Path),
              help="read saved pages instead of fetching: DIR/lists/ and DIR/articles/ (see docs/profiles.md)")
@click.option("--force", is_flag=True, help="replace an existing profile file")
@settings_option
def learn(url: str, key: str, out: str | None, pages: int, from_dir: Path | None, force: bool,
          settings: tuple[str, ...]) -> None:
    """Write a site profile for the portal at URL from a sample of its own pages.

    Fetches the start page, the list pages it links and about --pages article pages (politely, as a crawl
    does), then writes profiles/KEY.toml: the article-link rule, pagination and field selectors, each
    with how many sampled pages it agreed on. Prints a coverage table and the pages where a selector and
    the generic extractor disagree. Review the profile before committing it.

    Example: linfen learn http://www.lfxww.com/ --key lfxww --out /tmp/profiles/
    """
    if not KEY_RE.match(key):
        raise fail(f"--key {key!r}: 2-32 lower-case letters, digits or _, starting with a letter")
    if not url.startswith(("http://", "https://")):
        raise fail(f"{url!r} is not an absolute http(s) URL")
    if out is None:
        target = Path("profiles") / f"{key}.toml"
    else:
        target = Path(out) / f"{key}.toml" if out.endswith(("/", os.sep)) or Path(out).is_dir() else Path(out)
    if target.is_dir():
        raise fail(f"{target} is a folder; give --out a file name or a folder")
    if target.exists() and not force:
        raise fail(f"{target} exists; add --force to replace it")
    overrides = parse_overrides(settings)  # checked as for a crawl: -s values of the wrong type are one line
    if from_dir is not None:
        lists, articles, home = read_saved(from_dir, url)
    else:
        lists, articles, home = sample_site(url, pages, overrides)
    try:
        learned = infer_profile(key, url, lists, articles, name=site_name(home) if home is not None else "")
    except ValueError as exc:
        raise fail(f"cannot learn {url}: {exc}") from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(learned.toml, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror or exc}") from None
    print_report(learned, target)
