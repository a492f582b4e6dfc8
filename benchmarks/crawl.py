#!/usr/bin/env python3
"""Crawl throughput and memory: our full crawl against a bare Scrapy spider, side by side in one run.

Usage::

    python benchmarks/crawl.py [--pages N] [--repeat K] [--jobs-pages M] [--concurrency C] [--workdir DIR]
                               [--skip bare,bareitems,config,full,archive,learn,thread,small,rerun,jobs,jobsinline,
                                       extract,store]

It generates the synthetic portal of ``linfen_crawler/demo/synthetic.py``, shaped like 临汾新闻网 (N article
pages of 35–70 KB with navigation, sidebars and scripts, half GBK and half UTF-8; section list pages of 20–40
links, paged ``index_{n}.html``; one page in twenty in a layout the profile does not know, so the generic
extractor takes it), writes its profiles to a temporary directory (``LINFEN_PROFILE_DIRS``) and serves it from
nginx on 127.0.0.1 (``synthetic.serve_files``, a multi-process Python file server on the demo's recording-server
base, when nginx is not installed), reached as an HTTP proxy (``LINFEN_PROXY``), so every site keeps its own
host name. Then, each crawl in its own process with the same settings
(concurrency C, no delay, no AutoThrottle, no robots.txt):

(a) a bare Scrapy spider that follows the same links and parses nothing: the ceiling (K runs, taking turns
    with (b)'s K runs; the best of each is compared);
(a*) the same with our ``CONCURRENT_ITEMS`` (Scrapy's default starts 100 tasks per response);
(a') the same spider under our settings (middlewares, extensions, fingerprinter), without pipelines;
(b) ``linfen crawl`` of the same portal into a fresh dataset (profile extraction, generic fallback,
    normalise, validate, store with FTS, raw pages, job directory — everything a real run does);
(b~) (b) with ``--no-raw`` (no web archive), taking turns with (b): the CPU per page the archive costs
     (issue 19: WARC records, digests, pointers; target <= 10 %);
(b^) (b) with ``LINFEN_LEARN=False`` (no site learning), taking turns with (b): the CPU per page of both and
     what learning adds (issue 13: at most 20 %);
(b-) (b) with ``LINFEN_STORE_WRITER=thread``: what the writer process gives over a writer thread;
(b') the same for a portal of N/10 articles (peak RSS must not grow with the crawl);
(b'') (b) again on the unchanged portal: the incremental re-run;
(c) two portals of M articles under two host names, ``linfen crawl --jobs 1`` and ``--jobs 2``;
(c-) the same with ``LINFEN_STORE_WRITER=inline``: one core per crawl process;

plus extraction milliseconds per article page and SQLite microseconds per stored article, measured in this
process. It ends with one line ``ratio=<b/a> rss_growth=<RSS(N)/RSS(N/10)> store_us=<µs per article>``.
Generated portals are kept under ``--workdir`` (default ``$TMPDIR/linfen-crawl-bench``) and reused.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler.demo.synthetic import (  # noqa: E402
    Site,
    article_path,
    build_portal,
    serve_files,
    write_profile,
)


# -- the server -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the benchmark server did not listen on 127.0.0.1:{port}")


NGINX_CONF = """daemon off;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 120;
    types {{ text/html html; }}
    default_type text/html;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    server {{
        listen 127.0.0.1:{port} default_server;
        server_name _;
        root {root};
        index index.html;
    }}
}}
"""


class Server:
    """nginx serving ``root`` for any host name (proxy-style absolute URIs included), in the foreground as a
    child process; a forking Python file server when nginx is missing."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.root, self.workdir = root, workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.kind = "nginx" if shutil.which("nginx") else "python"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        if self.kind == "nginx":
            prefix = self.workdir / "nginx"
            (prefix / "tmp").mkdir(parents=True, exist_ok=True)
            conf = prefix / "nginx.conf"
            conf.write_text(NGINX_CONF.format(workers=1, prefix=prefix, port=self.port, root=self.root))
            cmd = [shutil.which("nginx") or "nginx", "-p", str(prefix), "-e", str(prefix / "error.log"),
                   "-c", str(conf)]
        else:
            cmd = [sys.executable, __file__, "_serve", str(self.root), str(self.port)]
        # its own process group: the Python server forks a second process, which terminate() alone left
        # running (holding the benchmark's output pipe open) after the run
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, start_new_session=True)
        wait_port(self.port)
        return self

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server process and its children (nginx workers), from /proc."""
        if self.proc is None:
            return 0.0
        pids, total = {self.proc.pid}, 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in pids or stat.parent.name == str(self.proc.pid):
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)


# -- crawls in child processes ----------------------------------------------------------------------
class BenchTimer:
    """Scrapy extension: at spider close, append seconds from open to close, pages, items and peak RSS of
    this process to the JSON-lines file named by the ``BENCH_OUT`` setting."""

    def __init__(self, crawler: Any, out: str) -> None:
        self.crawler, self.out = crawler, out
        self.t0 = time.perf_counter()

    @classmethod
    def from_crawler(cls, crawler: Any) -> BenchTimer:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        out = crawler.settings.get("BENCH_OUT")
        if not out:
            raise NotConfigured("BENCH_OUT is not set")
        ext = cls(crawler, out)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        self.t0 = time.perf_counter()

    def closed(self, spider: Any, reason: str) -> None:
        import resource

        stats = self.crawler.stats.get_stats()
        rec = {"site": getattr(spider, "site_key", "") or spider.name, "seconds": time.perf_counter() - self.t0,
               "pages": int(stats.get("downloader/response_count", 0)),
               "items": int(stats.get("item_scraped_count", 0)), "reason": reason, "pid": os.getpid(),
               "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
        with open(self.out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")


_HREF = re.compile(rb'href="([^"]+)"')


def bare_crawl(start_urls: list[str], settings_pairs: list[str], project_config: bool = False) -> None:
    """(a): follow list pages and article links like PortalSpider, parse nothing (runs in a child).

    With ``project_config``, under the project's settings (our middlewares and extensions, no pipelines):
    what our Scrapy configuration alone costs."""
    from urllib.parse import urljoin

    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            for url in start_urls:
                yield scrapy.Request(url, callback=self.parse_list, meta={"section_url": url, "page": 1})

        def parse_list(self, response: Any) -> Any:
            body = response.body
            start = body.find(b'id="contentText"')
            end = body.find(b"</ul>", start)
            for m in _HREF.finditer(body, start, end):
                yield scrapy.Request(urljoin(response.url, m[1].decode()), callback=self.parse_article)
            page = response.meta["page"]
            nxt = f"index_{page}.html"
            if f'href="{nxt}"'.encode() in body:
                yield scrapy.Request(urljoin(response.meta["section_url"], nxt), callback=self.parse_list,
                                     meta={"section_url": response.meta["section_url"], "page": page + 1})

        def parse_article(self, response: Any) -> None:
            return None

    # Scrapy's defaults, not the project's: the ceiling carries none of our middlewares, extensions or
    # pipelines, only the proxy route that reaches the server, and the same politeness settings as (b)
    from linfen_crawler import settings as project

    settings = Settings()
    if project_config:
        settings.setmodule(project, priority="project")
        settings.set("ITEM_PIPELINES", {}, priority="project")
    for name in ("USER_AGENT", "COOKIES_ENABLED", "TELNETCONSOLE_ENABLED", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE",
                 "DOWNLOAD_WARNSIZE", "RETRY_TIMES"):
        settings.set(name, getattr(project, name), priority="project")
    if not project_config:
        settings.set("DOWNLOADER_MIDDLEWARES", {"linfen_crawler.middlewares.proxy.ProxyRouteMiddleware": 740},
                     priority="project")
    for pair in settings_pairs:
        name, value = pair.split("=", 1)
        settings.set(name, value, priority="cmdline")
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), BenchTimer: 0}, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(BareSpider)
    process.start()


def cli_child(args: list[str]) -> None:
    """(b) and (c): the real ``linfen`` CLI, with the BenchTimer extension added to the project settings."""
    import linfen_crawler.settings as project_settings
    from linfen_crawler.cli import main

    extensions: dict[Any, int] = {**getattr(project_settings, "EXTENSIONS", {}), BenchTimer: 0}
    project_settings.EXTENSIONS = extensions
    main(args, prog_name="linfen")


@dataclass
class Run:
    wall: float
    maxrss_mb: float
    returncode: int
    records: list[dict[str, Any]]
    log: str
    cpu: float = 0.0  # user + system seconds of the process and the children it waited for (writers, jobs)

    @property
    def pages(self) -> int:
        return sum(r["pages"] for r in self.records)

    @property
    def seconds(self) -> float:
        return max((r["seconds"] for r in self.records), default=self.wall)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def run_child(argv: list[str], out: Path, env: dict[str, str], log: Path) -> Run:
    """Run this script's child mode; peak RSS from the kernel's accounting of that process (wait4)."""
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen([sys.executable, __file__, *argv], stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, **env, "PYTHONUNBUFFERED": "1"})
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    records = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return Run(wall, usage.ru_maxrss / 1024, proc.returncode, records, log.read_text("utf-8", "replace"),
               usage.ru_utime + usage.ru_stime)


# -- in-process measurements ------------------------------------------------------------------------
def measure_extraction(root: Path, site: Site, sample: int) -> dict[str, Any]:
    """Milliseconds per article page for extract_article with the profile, and generic only."""
    from linfen_crawler.extract.article import extract_article
    from linfen_crawler.profiles import load_profile

    profile = load_profile(site.key)
    step = max(1, site.articles // sample)
    pages = [(f"http://{site.host}{article_path(i)}", (root / article_path(i).lstrip("/")).read_bytes())
             for i in range(1, site.articles + 1, step)][:sample]
    headers = {"Content-Type": "text/html"}
    now = datetime.now(UTC)
    out: dict[str, Any] = {"pages": len(pages)}
    for label, generic in (("profile", False), ("generic", True)):
        times = []
        for url, data in pages:
            t0 = time.perf_counter()
            extract_article(data, url, profile=profile, headers=headers, now=now, generic_only=generic)
            times.append((time.perf_counter() - t0) * 1000)
        out[label] = (statistics.mean(times), statistics.median(times))
    return out


def article_rows(root: Path, site: Site, count: int) -> list[dict[str, Any]]:
    """Stored-row dicts (as the Store pipeline gets them) of ``count`` distinct synthetic articles."""
    from linfen_crawler.extract.article import extract_article
    from linfen_crawler.profiles import load_profile
    from linfen_crawler.records import make_article, normalize_article

    profile = load_profile(site.key)
    rows = []
    for i in range(1, min(count, site.articles) + 1):
        url = f"http://{site.host}{article_path(i)}"
        rec = extract_article((root / article_path(i).lstrip("/")).read_bytes(), url, profile=profile,
                              headers={"Content-Type": "text/html"})
        art = normalize_article(make_article(rec, url=url, profile=profile, section=None))
        rows.append({k: v for k, v in art.__dict__.items() if k != "not_article"})
    return rows


def measure_storage(rows: list[dict[str, Any]], workdir: Path) -> dict[str, float]:
    """µs per article for Dataset.upsert_articles in batches of 200 (new rows, then the same rows again
    unchanged) and one commit per article, with the FTS index, into a fresh dataset file. The rows must
    be distinct articles: copies of one body would all go through near-duplicate linking.

    The same batched upserts again, each without a part, to show its share: ``no_dedupe`` without
    near-duplicate linking (MinHash/LSH, issue 6); ``fts_words`` also without the pairs of CJK characters
    (FTS5 then indexes a run of Chinese as one token: the index cannot find words inside it);
    ``upsert_only`` with empty FTS text (the upsert machinery alone: lookup, insert, JSON, content hash).
    """
    from linfen_crawler import storage
    from linfen_crawler.storage import Dataset

    batch_rows = rows
    out = {}
    link, paired = Dataset._link_duplicates, storage.fts_text
    variants = {"batched": (link, paired), "per_item": (link, paired),
                "no_dedupe": (None, paired), "fts_words": (None, lambda t: t or ""),
                "upsert_only": (None, lambda t: "")}
    for label, size, data in (("batched", 200, batch_rows), ("per_item", 1, batch_rows[:1000]),
                              ("no_dedupe", 200, batch_rows), ("fts_words", 200, batch_rows),
                              ("upsert_only", 200, batch_rows)):
        path = workdir / f"store-{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        linker, fts = variants[label]
        Dataset._link_duplicates = linker or (lambda *a, **k: 0)  # type: ignore[method-assign]
        storage.fts_text = fts  # type: ignore[assignment]
        with Dataset(path) as ds:
            run_id = ds.start_run("bench")
            t0 = time.perf_counter()
            for i in range(0, len(data), size):
                ds.upsert_articles(data[i:i + size], run_id)
            out[label] = (time.perf_counter() - t0) / len(data) * 1e6
            if label == "batched":
                t0 = time.perf_counter()
                for i in range(0, len(data), size):
                    ds.upsert_articles(data[i:i + size], run_id)
                out["batched_unchanged"] = (time.perf_counter() - t0) / len(data) * 1e6
    Dataset._link_duplicates = link  # type: ignore[method-assign]
    storage.fts_text = paired
    return out


def measure_handover(rows: list[dict[str, Any]], pages: list[bytes]) -> dict[str, float]:
    """µs per article and per raw page that the crawl process spends handing batches of 200 to its writer
    process (``LINFEN_STORE_WRITER=process``): pickling, as ``multiprocessing.connection`` does it."""
    from multiprocessing.reduction import ForkingPickler

    from linfen_crawler.raw import archive_config, write_raw_pages
    from linfen_crawler.storage import Dataset

    archive = archive_config("/tmp/bench.db", "bench", 1 << 30)
    raw = [{"url": f"http://www.bencha.test/{i}.html", "article_url": None, "page": 1, "site": "bencha",
            "run_id": 1, "fetched_at": "2026-01-01T00:00:00+00:00", "status": 200, "final_url": "",
            "headers": [("Content-Type", "text/html"), ("Server", "nginx")], "method": "GET",
            "request_headers": [("User-Agent", "linfen-crawler"), ("Accept", "text/html")], "size": len(b),
            "body": b, "archive": archive} for i, b in enumerate(pages)]
    out = {}
    for label, work, data in (("article", Dataset.write_batch, rows), ("raw", write_raw_pages, raw)):
        t0 = time.perf_counter()
        for i in range(0, len(data), 200):
            batch = data[i:i + 200]
            args = (batch, [], [], 1) if label == "article" else (batch,)
            ForkingPickler.dumps((work, args))
        out[label] = (time.perf_counter() - t0) / len(data) * 1e6
    return out


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- main -------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=20_000, help="article pages of the main portal (N)")
    parser.add_argument("--jobs-pages", type=int, help="article pages of each of the two --jobs portals "
                        "(default N/4)")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN), both crawls")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "linfen-crawl-bench",
                        help="where generated portals are kept and reused")
    parser.add_argument("--repeat", type=int, default=2, help="runs of (a) and of (b), taking turns; the best "
                        "of each is compared")
    parser.add_argument("--archive-compression", choices=("gzip", "zstd"), default="gzip",
                        help="the archive's compression in the (b) runs (LINFEN_ARCHIVE_COMPRESSION)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: "
                        "bare,bareitems,config,full,archive,learn,thread,small,rerun,jobs,jobsinline,extract,store")
    args = parser.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    n = args.pages
    m = args.jobs_pages or max(20, n // 4)
    small = max(20, n // 10)
    sites = {"main": Site("bencha", "main", n), "small": Site("benchb", "small", small),
             "c": Site("benchc", "jobs", m), "d": Site("benchd", "jobs", m)}
    root = args.workdir / f"portal-{max(n, m)}"
    build_portal(root, max(n, m), {"main": n, "small": small, "jobs": m})

    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=args.workdir))
    profiles = run_dir / "profiles"
    profiles.mkdir()
    for site in sites.values():
        write_profile(profiles, site)
    env = {"LINFEN_PROFILE_DIRS": str(profiles), "PYTHONPATH": str(REPO)}
    os.environ["LINFEN_PROFILE_DIRS"] = str(profiles)  # for the in-process measurements
    print(f"{load()}; {os.cpu_count()} cores; concurrency {args.concurrency}; N={n}, N/10={small}, M={m}",
          flush=True)

    results: dict[str, Any] = {}
    with Server(root, run_dir) as server:
        common = [f"CONCURRENT_REQUESTS={args.concurrency}", f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
                  "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "ROBOTSTXT_OBEY=False", "LOG_LEVEL=WARNING",
                  f"LINFEN_PROXY={server.url}", f"BENCH_OUT={run_dir / 'timer.jsonl'}"]
        print(f"server: {server.kind} on {server.url}", flush=True)

        def full(label: str, keys: list[str], db: Path, *extra: str) -> Run:
            sets = [a for pair in common for a in ("-s", pair)]
            run = run_child(["_cli", "crawl", *keys, "--db", str(db), *sets, *extra], run_dir / "timer.jsonl",
                            env, run_dir / f"{label}.log")
            if run.returncode != 0 or not run.records:
                print(f"  {label}: exit {run.returncode}; log tail:\n{run.log[-2000:]}", flush=True)
            return run

        def bare(i: int) -> Run:
            cpu0 = server.cpu_seconds()
            a = run_child(["_bare", json.dumps(sites["main"].start_urls()), json.dumps(common)],
                          run_dir / "timer.jsonl", env, run_dir / "bare.log")
            share = (server.cpu_seconds() - cpu0) / a.seconds
            print(f"(a) bare Scrapy, run {i}: {a.pages:6} pages in {a.seconds:6.1f} s = {a.rate:6.0f} pages/s, "
                  f"peak RSS {a.maxrss_mb:5.0f} MB, {a.cpu / a.wall:.2f} cores busy; server ({server.kind}) CPU "
                  f"{share:.0%} of one core", flush=True)
            return a

        def crawl(i: int, *extra: str, label: str = "(b) linfen crawl") -> Run:
            name = f"full-{i}{'-nolearn' if extra else ''}"
            b = full("full", ["bencha"], run_dir / f"{name}.db", "--archive-compression", args.archive_compression,
                     *extra)
            archived = sum(p.stat().st_size for p in (run_dir / f"{name}.archive").glob("*"))
            print(f"    archive ({args.archive_compression}): {archived / max(1, b.pages):.0f} bytes per page",
                  flush=True)
            print(f"{label}, run {i}: {b.pages:6} pages in {b.seconds:6.1f} s = {b.rate:6.0f} pages/s, "
                  f"peak RSS {b.maxrss_mb:5.0f} MB, {b.records[0]['items'] if b.records else 0} articles stored; "
                  f"CPU of the crawl and writer processes {b.cpu:.1f} s in {b.wall:.1f} s wall (start-up "
                  f"included) = {b.cpu / b.wall:.2f} cores busy, {1000 * b.cpu / max(1, b.pages):.2f} ms per page",
                  flush=True)
            return b

        # (a) and (b) take turns, each run in a fresh process (and (b) into a fresh dataset); the best run of
        # each is compared, as noise on a shared machine only ever slows a run down
        a_runs: list[Run] = []
        b_runs: list[Run] = []
        noraw_runs: list[Run] = []  # (b~): the same crawl without the archive, for its cost per page
        n_runs: list[Run] = []  # (b^): (b) without site learning, taking turns with (b)
        for i in range(1, args.repeat + 1):
            if "bare" not in skip:
                a_runs.append(bare(i))
            if "full" not in skip:
                b_runs.append(crawl(i))
                if "archive" not in skip:
                    nr = full("noraw", ["bencha"], run_dir / f"noraw-{i}.db", "--no-raw")
                    noraw_runs.append(nr)
                    print(f"(b~) linfen crawl --no-raw, run {i}: {nr.pages:6} pages in {nr.seconds:6.1f} s, CPU "
                          f"{nr.cpu:.1f} s = {1000 * nr.cpu / max(1, nr.pages):.2f} ms per page", flush=True)
                if "learn" not in skip:
                    n_runs.append(crawl(i, "-s", "LINFEN_LEARN=False", label="(b^) linfen crawl, no learning"))
        if a_runs:
            results["a"] = max(a_runs, key=lambda r: r.rate)
            print(f"(a) bare Scrapy: {results['a'].rate:.0f} pages/s (best of {len(a_runs)})", flush=True)
        if "bareitems" not in skip:  # (a) with our CONCURRENT_ITEMS: how much of (a') - (a) is that one setting
            from linfen_crawler import settings as project

            ai = run_child(["_bare", json.dumps(sites["main"].start_urls()),
                            json.dumps([*common, f"CONCURRENT_ITEMS={project.CONCURRENT_ITEMS}"])],
                           run_dir / "timer.jsonl", env, run_dir / "bare-items.log")
            results["a_items"] = ai
            print(f"(a*) bare Scrapy with our CONCURRENT_ITEMS={project.CONCURRENT_ITEMS}: {ai.pages} pages in "
                  f"{ai.seconds:.1f} s = {ai.rate:.0f} pages/s", flush=True)
        if "config" not in skip:  # attribution: the bare spider under our settings (middlewares, extensions)
            ac = run_child(["_bare", json.dumps(sites["main"].start_urls()), json.dumps(common), "project"],
                           run_dir / "timer.jsonl", env, run_dir / "bare-config.log")
            results["a_config"] = ac
            print(f"(a') bare spider, our Scrapy settings: {ac.pages} pages in {ac.seconds:.1f} s = "
                  f"{ac.rate:.0f} pages/s", flush=True)
        if b_runs:
            b = results["b"] = max(b_runs, key=lambda r: r.rate)
            print(f"(b) linfen crawl: {b.rate:.0f} pages/s (best of {len(b_runs)}), {b.cpu / b.wall:.2f} cores busy",
                  flush=True)
            if "a" in results:
                print(f"    ratio b/a = {b.rate / results['a'].rate:.2f}  (target >= 0.50)", flush=True)
            if "a_items" in results:
                print(f"    ratio b/a* = {b.rate / results['a_items'].rate:.2f}  (against the ceiling with our "
                      "CONCURRENT_ITEMS)", flush=True)
            if noraw_runs:  # the least CPU per page of each: noise on a shared machine only ever adds CPU
                with_archive = min(r.cpu / max(1, r.pages) for r in b_runs)
                without = min(r.cpu / max(1, r.pages) for r in noraw_runs)
                results["archive_share"] = (with_archive - without) / with_archive
                spread = max(r.cpu / max(1, r.pages) for r in noraw_runs) - without
                print(f"    web archive: {1000 * with_archive:.2f} ms CPU per page with it, {1000 * without:.2f} "
                      f"without (--no-raw): {results['archive_share']:.1%} of the crawl's CPU per page "
                      f"(target <= 10 %); the --no-raw runs spread over {1000 * spread:.2f} ms per page, "
                      f"{load()}", flush=True)
            if n_runs:  # issue 13: what site learning costs, CPU per page of the best run of each
                with_ms = min(1000 * r.cpu / max(1, r.pages) for r in b_runs)
                without_ms = min(1000 * r.cpu / max(1, r.pages) for r in n_runs)
                results["learn_cost"] = with_ms / without_ms - 1
                print(f"    CPU per page: {with_ms:.2f} ms with site learning, {without_ms:.2f} ms without "
                      f"(LINFEN_LEARN=False): learning adds {results['learn_cost']:+.1%}  (target <= +20%)",
                      flush=True)
            if "thread" not in skip:  # the writer process's share: the same crawl writing on a thread
                bt = full("thread", ["bencha"], run_dir / "thread.db", "-s", "LINFEN_STORE_WRITER=thread")
                results["b_thread"] = bt
                print(f"(b-) linfen crawl, LINFEN_STORE_WRITER=thread: {bt.pages} pages in {bt.seconds:.1f} s = "
                      f"{bt.rate:.0f} pages/s (writer process: {b.rate / bt.rate:.2f}x)", flush=True)
            if "rerun" not in skip:
                r = full("rerun", ["bencha"], run_dir / f"full-{len(b_runs)}.db")
                results["rerun"] = r
                print(f"(b'') incremental re-run: {r.pages} pages fetched in {r.seconds:.1f} s "
                      f"(wall {r.wall:.1f} s with start-up)", flush=True)
        if "small" not in skip:
            s = full("small", ["benchb"], run_dir / "small.db")
            results["small"] = s
            print(f"(b') linfen crawl N/10: {s.pages:5} pages in {s.seconds:6.1f} s = {s.rate:6.0f} pages/s, "
                  f"peak RSS {s.maxrss_mb:5.0f} MB", flush=True)
            if "b" in results:
                print(f"    RSS growth N/(N/10) = {results['b'].maxrss_mb / s.maxrss_mb:.2f}  (target <= 1.3)",
                      flush=True)
        def jobs_pair(label: str, *extra: str) -> float:
            rates = {}
            for jobs in (1, 2):
                j = full(f"jobs{jobs}{label}", ["benchc", "benchd"], run_dir / f"jobs{jobs}{label}.db", "--jobs",
                         str(jobs), *extra)
                rates[jobs] = j.pages / j.wall if j.wall else 0.0
                pids = len({r["pid"] for r in j.records})
                print(f"(c{label}) --jobs {jobs} {' '.join(extra)}: {j.pages} pages of two sites in {j.wall:.1f} s "
                      f"wall = {rates[jobs]:.0f} pages/s ({pids} crawling process(es)); CPU {j.cpu:.1f} s = "
                      f"{j.cpu / j.wall:.2f} cores busy, {1000 * j.cpu / max(1, j.pages):.2f} ms per page",
                      flush=True)
            return rates[2] / rates[1] if rates.get(1) else float("nan")

        if "jobs" not in skip:
            results["jobs"] = jobs_pair("")
            print(f"    speed-up 2 jobs / 1 job = {results['jobs']:.2f}  (target >= 1.7)", flush=True)
        if "jobsinline" not in skip:  # one core per crawl process: the shape the 1.8-1.9x was measured in
            inline = jobs_pair("-", "-s", "LINFEN_STORE_WRITER=inline")
            print(f"    speed-up 2 jobs / 1 job, writes inline (one core per crawl process) = {inline:.2f}",
                  flush=True)

    if "extract" not in skip:
        ex = measure_extraction(root, sites["main"], sample=500)
        print(f"extraction per article page ({ex['pages']} pages): with profile {ex['profile'][0]:.2f} ms mean, "
              f"{ex['profile'][1]:.2f} ms median (target <= 2); generic only {ex['generic'][0]:.2f} ms mean",
              flush=True)
    if "store" not in skip:
        rows = article_rows(root, sites["main"], 3000)
        st = measure_storage(rows, run_dir)
        results["store"] = st["batched"]
        print(f"SQLite per article: {st['batched']:.0f} µs batched (200/transaction, new rows, FTS), "
              f"{st['batched_unchanged']:.0f} µs unchanged re-upsert, {st['per_item']:.0f} µs one commit each "
              f"(target <= 50 batched); {st['no_dedupe']:.0f} µs batched without near-duplicate linking",
              flush=True)
        pages = [(root / article_path(i).lstrip("/")).read_bytes() for i in range(1, min(1000, n) + 1)]
        ho = measure_handover(rows, pages)
        print(f"    in the writer process since LINFEN_STORE_WRITER=process; the crawl process pays the hand-over: "
              f"{ho['article']:.0f} µs per article, {ho['raw']:.0f} µs per raw page (pickling batches of 200)",
              flush=True)
        print(f"    parts (batched): {st['upsert_only']:.0f} µs upsert machinery alone (empty FTS text), "
              f"{st['fts_words']:.0f} µs with FTS of unspaced text (one token per run of Chinese), "
              f"{st['no_dedupe']:.0f} µs with the per-character FTS, {st['batched']:.0f} µs with near-duplicate "
              f"linking too", flush=True)
    print(load(), flush=True)
    ratio = results["b"].rate / results["a"].rate if "a" in results and "b" in results else float("nan")
    growth = results["b"].maxrss_mb / results["small"].maxrss_mb if "b" in results and "small" in results \
        else float("nan")
    print(f"ratio={ratio:.2f} rss_growth={growth:.2f} store_us={results.get('store', float('nan')):.0f} "
          f"archive_cpu_share={results.get('archive_share', float('nan')):.3f} "
          f"learn_cpu={results.get('learn_cost', float('nan')):+.1%}")
    shutil.rmtree(run_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        bare_crawl(json.loads(sys.argv[2]), json.loads(sys.argv[3]), project_config=sys.argv[4:] == ["project"])
    elif len(sys.argv) > 1 and sys.argv[1] == "_cli":
        cli_child(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve_files(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
