#!/usr/bin/env python3
"""Archive bytes per page: gzip-per-record WARC against zstd WARC with a per-site dictionary (issue 19).

    .venv/bin/python benchmarks/archive.py                       # ../shared/corpus/sites/* and the demo's sites
    .venv/bin/python benchmarks/archive.py --corpus DIR --no-demo
    .venv/bin/python benchmarks/archive.py --oldest-first        # train on the oldest half instead

For every site: its article pages newest first, the order a crawl fetches them from the list pages (the
corpus labels' dates; the demo's article dates), each written as the two records a crawl writes for it, the
response (HTTP headers and the page bytes as served) and the request. A zstd dictionary is made from the
records of the first half of the pages (``train_site_dictionary``, as the crawl does from a site's first
pages); the second half is written twice, gzip per record (warcio's ``WARCWriter``, the default archive) and
one zstd frame per record with that dictionary (``ZstdWarcWriter``). Bytes per page are the second half's
record bytes divided by its pages; the dictionary frame, stored once at the start of each file, is reported
beside (``dict``) and not spread over the pages: how much of it a page pays depends on how many pages a file
holds. The CPU time to compress a page is printed too (process time, compression only). The goal (issue 19):
zstd ≤ 0.45× gzip on every site.

Then the CPU a crawl's dataset writer spends archiving a page, in this process: ``raw.write_raw_pages`` (the
function the crawl runs: digests, the response and request records, compression, the write and the pointer
rows) on ``--cpu-pages`` pages of the synthetic portal ``benchmarks/crawl.py`` crawls (35-70 KB, half GBK),
into an archive in a temporary directory, gzip and zstd, after a warm-up (the file opened, zstd's dictionary
trained on the first pages as a crawl trains it). Issue 19 allows archive writing 10 % of a crawl's CPU per
page; ``benchmarks/crawl.py`` (part ``archive``) measures that share in whole crawls.

One line per site, the CPU line, then ``archive: sites=… gzip_bytes_per_page=… zstd_bytes_per_page=… ratio=…``
over all measured pages. Exit status 1 if a site misses the goal (so the check can run in CI at this small size).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import BaseWARCWriter, WARCWriter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler.archive.zstd import (  # noqa: E402
    DEFAULT_LEVEL,
    ZstdWarcWriter,
    dictionary_frame,
    train_site_dictionary,
)
from linfen_crawler.demo.sites import sample_sites  # noqa: E402
from linfen_crawler.demo.synthetic import TextPool, render_article  # noqa: E402
from linfen_crawler.raw import archive_config, close_archive, write_raw_pages  # noqa: E402
from linfen_crawler.storage import Dataset  # noqa: E402

DEFAULT_SITES = REPO.parent / "shared" / "corpus" / "sites"
GOAL = 0.45
USER_AGENT = "linfen-crawler/0.1 (+https://example.org/contact)"


@dataclass(frozen=True)
class Page:
    url: str
    content_type: str
    body: bytes


def corpus_site(folder: Path) -> list[Page]:
    """A corpus site folder's pages, newest first (by the label's date; unlabelled pages last, by name)."""
    stems = sorted(p.stem for p in folder.glob("*.html"))

    def when(stem: str) -> tuple[str, str]:
        label = folder / f"{stem}.json"
        date = json.loads(label.read_text("utf-8")).get("published") if label.exists() else None
        return (date or "", stem)

    host = f"{folder.name.replace('_', '-')}.example"  # the corpus records no host
    return [Page(f"http://{host}/{stem}.html", "text/html; charset=gbk", (folder / f"{stem}.html").read_bytes())
            for stem in sorted(stems, key=when, reverse=True)]


def demo_sites() -> dict[str, list[Page]]:
    """The demo portals' article pages (the first page of a multi-page article), newest first."""
    out = {}
    for site in sample_sites():
        arts = sorted(site.articles, key=lambda a: (str(a["date"]), a["id"]), reverse=True)
        pages = []
        for art in arts:
            path = site.article_path(art)
            page = site.pages[path]
            pages.append(Page(site.origin + path, page.content_type, page.body))
        out[f"demo/{site.key}"] = pages
    return out


def records(writer: BaseWARCWriter, page: Page, rng: random.Random) -> list[Any]:
    """The response and request records a crawl writes for one page.

    Record IDs are random UUIDs as warcio makes them, but drawn from ``rng``: the same run gives the same
    bytes, so the figures do not move from run to run (a UUID costs as many bytes whatever its seed).
    """
    def warc_headers() -> dict[str, str]:
        return {"WARC-Record-ID": f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>",
                "WARC-Date": "2026-12-05T12:00:00Z"}

    http = StatusAndHeaders("200 OK", [
        ("Content-Type", page.content_type), ("Content-Length", str(len(page.body))),
        ("Server", "nginx"), ("Date", "Sat, 05 Dec 2026 12:00:00 GMT"), ("Connection", "close"),
    ], protocol="HTTP/1.1")
    resp = writer.create_warc_record(page.url, "response", payload=io.BytesIO(page.body), http_headers=http,
                                     warc_headers_dict=warc_headers())
    path = "/" + page.url.split("/", 3)[3]
    req_http = StatusAndHeaders(f"GET {path} HTTP/1.1", [
        ("Host", page.url.split("/")[2]), ("User-Agent", USER_AGENT),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"), ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ], is_http_request=True)
    req_headers = warc_headers()
    req_headers["WARC-Concurrent-To"] = resp.rec_headers.get_header("WARC-Record-ID")
    req = writer.create_warc_record(page.url, "request", payload=io.BytesIO(b""), http_headers=req_http,
                                    warc_headers_dict=req_headers)
    return [resp, req]


def plain_records(pages: list[Page]) -> list[bytes]:
    """The uncompressed records of these pages: the dictionary's training samples."""
    out = []
    rng = random.Random(1)
    for page in pages:
        for rec in records(WARCWriter(io.BytesIO(), gzip=False), page, rng):
            buf = io.BytesIO()
            WARCWriter(buf, gzip=False).write_record(rec)
            out.append(buf.getvalue())
    return out


def measure(pages: list[Page], make: Callable[[io.BytesIO], BaseWARCWriter]) -> tuple[int, float]:
    """Bytes the pages' records take, and the process time spent writing them."""
    buf = io.BytesIO()
    writer = make(buf)
    start = buf.tell()
    rng = random.Random(2)
    recs = [records(writer, page, rng) for page in pages]
    t0 = time.process_time()
    for pair in recs:
        for rec in pair:
            writer.write_record(rec)
    return buf.tell() - start, time.process_time() - t0


@dataclass
class Result:
    site: str
    train: int
    measured: int
    gzip: int
    zstd: int
    dict_frame: int
    gzip_ms: float
    zstd_ms: float

    @property
    def ratio(self) -> float:
        return self.zstd / self.gzip


def run_site(name: str, pages: list[Page], level: int = DEFAULT_LEVEL) -> Result | None:
    half = len(pages) // 2
    if half < 1:
        return None
    first, second = pages[:half], pages[half:]
    dictionary = train_site_dictionary(plain_records(first), level=level)
    gz, gz_s = measure(second, lambda b: WARCWriter(b, gzip=True))
    # the dictionary frame is written when the file opens; measure() counts only the records after it
    zs, zs_s = measure(second, lambda b: ZstdWarcWriter(b, dictionary, level=level))
    n = len(second)
    return Result(name, len(first), n, gz, zs, len(dictionary_frame(dictionary)), 1000 * gz_s / n, 1000 * zs_s / n)


#: pages written before the clock starts: the file opened, and with zstd the site's dictionary trained (the
#: crawl trains on its first 8 pages and again on its first 32, archive/warc.py)
WARM_UP = 40


def write_cpu(pages: list[bytes], compression: str) -> tuple[float, float]:
    """µs of CPU per page that ``raw.write_raw_pages`` spends on ``pages`` (after :data:`WARM_UP` pages), in
    batches of 200 as the crawl's writer hands them over, and the archive's bytes per page."""
    with tempfile.TemporaryDirectory(prefix="linfen-archive-bench-") as tmp:
        db = Path(tmp) / "bench.db"
        dataset = Dataset(db)
        archive = archive_config(str(db), f"bench-{compression}", 1 << 30, compression)
        rows = [{"url": f"http://www.bencha.test/news/{i}.html", "article_url": f"http://www.bencha.test/news/{i}.html",
                 "page": 1, "site": "bencha", "run_id": 1, "fetched_at": "2026-12-05T12:00:00+00:00", "status": 200,
                 "final_url": f"http://www.bencha.test/news/{i}.html",
                 "headers": [("Content-Type", "text/html; charset=utf-8"), ("Server", "nginx"),
                             ("Date", "Sat, 05 Dec 2026 12:00:00 GMT"), ("Content-Length", str(len(body)))],
                 "method": "GET", "request_headers": [("User-Agent", USER_AGENT), ("Accept", "text/html"),
                                                      ("Accept-Encoding", "gzip, deflate, br, zstd")],
                 "size": len(body), "body": body, "archive": archive} for i, body in enumerate(pages)]
        write_raw_pages(dataset, rows[:WARM_UP])
        measured = rows[WARM_UP:]
        t0 = time.process_time()
        for i in range(0, len(measured), 200):
            write_raw_pages(dataset, measured[i:i + 200])
        seconds = time.process_time() - t0
        close_archive(dataset, archive["key"])
        size = sum(p.stat().st_size for p in Path(archive["dir"]).iterdir())
        dataset.close()
    return 1e6 * seconds / max(1, len(measured)), size / len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, action="append",
                    help="a folder of site folders, or one site folder (default: ../shared/corpus/sites)")
    ap.add_argument("--no-demo", action="store_true", help="leave out the demo's sample portals")
    ap.add_argument("--oldest-first", action="store_true",
                    help="train on the oldest half, measure the newest (a site whose template changed over time "
                         "shows how much a dictionary of the old template still saves)")
    ap.add_argument("--level", type=int, default=DEFAULT_LEVEL,
                    help=f"zstd compression level (default: {DEFAULT_LEVEL}, the archive's)")
    ap.add_argument("--cpu-pages", type=int, default=400,
                    help="synthetic pages written to measure the CPU per page of archive writing (0: skip)")
    args = ap.parse_args(argv)

    sites: dict[str, list[Page]] = {}
    for root in args.corpus or ([DEFAULT_SITES] if DEFAULT_SITES.is_dir() else []):
        folders = [root] if any(root.glob("*.html")) else sorted(p for p in root.iterdir() if p.is_dir())
        for folder in folders:
            sites[folder.name] = corpus_site(folder)
    if not args.no_demo:
        sites.update(demo_sites())

    if args.oldest_first:
        sites = {name: pages[::-1] for name, pages in sites.items()}
    results = [r for name, pages in sites.items() if (r := run_site(name, pages, args.level)) is not None]
    if not results:
        print("archive: no site with two pages or more to measure", file=sys.stderr)
        return 2
    print(f"{'site':<18} {'train':>5} {'pages':>5} {'gzip B/page':>11} {'zstd B/page':>11} {'ratio':>6} "
          f"{'dict':>7} {'gzip ms':>7} {'zstd ms':>7}")
    for r in results:
        print(f"{r.site:<18} {r.train:>5} {r.measured:>5} {r.gzip / r.measured:>11.0f} {r.zstd / r.measured:>11.0f} "
              f"{r.ratio:>6.3f} {r.dict_frame:>7} {r.gzip_ms:>7.2f} {r.zstd_ms:>7.2f}"
              + ("" if r.ratio <= GOAL else f"  above the goal {GOAL}"))
    if args.cpu_pages > 0:
        pool = TextPool()
        synthetic = [render_article(pool, i, 1000)[0] for i in range(1, WARM_UP + args.cpu_pages + 1)]
        gz_us, gz_bytes = write_cpu(synthetic, "gzip")
        zs_us, zs_bytes = write_cpu(synthetic, "zstd")
        print(f"archive writing (raw.write_raw_pages, {args.cpu_pages} synthetic pages of "
              f"{sum(map(len, synthetic)) / len(synthetic) / 1024:.0f} KB): gzip {gz_us:.0f} µs CPU per page "
              f"({gz_bytes:.0f} B/page), zstd {zs_us:.0f} µs ({zs_bytes:.0f} B/page)")
    pages = sum(r.measured for r in results)
    gz, zs = sum(r.gzip for r in results), sum(r.zstd for r in results)
    print(f"archive: sites={len(results)} gzip_bytes_per_page={gz / pages:.0f} zstd_bytes_per_page={zs / pages:.0f} "
          f"ratio={zs / gz:.3f}")
    return 0 if all(r.ratio <= GOAL for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
