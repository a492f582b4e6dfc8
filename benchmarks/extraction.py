#!/usr/bin/env python3
"""Extraction quality and speed on the labelled corpus, ours against trafilatura, GNE and readability-lxml.

Usage::

    python benchmarks/extraction.py [--corpus DIR ...] [--out DIR] [--tools ours,trafilatura,gne,readability]
                                    [--scorer PATH]

Every page ``<stem>.html`` of each corpus folder is extracted by every tool; the predictions are written to
``<out>/<tool>.jsonl`` in the scorer's format (``id`` = ``<folder>/<stem>``) and scored with
``eval/score.py`` (the corpus's sibling ``eval/`` directory unless ``--scorer`` is given). The page URL is
the gold label's ``url`` when it has one — never any gold answer. One table is printed: each field's
accuracy, body precision/recall/F1 and the median milliseconds per page (the tools take turns page by page,
so a load change on a shared machine falls on all of them alike). A tool that is not installed is
reported as such. Extras: ``pip install -e '.[bench]'`` installs the three other extractors.

Then our scores per site: a page's site is its label's URL host, or, for a folder inside a ``sites/``
folder (many pages of one site, no URLs), that folder. For every site with at least ``--min-pages`` pages
(default 3), per-page extraction is compared with site learning (``linfen check DIR --learn``: learn
from all of the site's pages, then extract each with what was learned), with the same scorer.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler.extract.encoding import decode_html  # noqa: E402
from linfen_crawler.extract.learn import extract_site  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
FIELDS = ("title", "published", "source", "authors", "editors", "body_p", "body_r", "body_f1")
TOOLS = ("ours", "trafilatura", "gne", "readability")

Page = tuple[str, bytes, str]  # id, raw bytes, url
SCORED = ("title", "published", "source", "authors", "editors", "body_f1")
Extractor = Callable[[bytes, str], dict[str, Any]]


def corpus_dirs(args_corpus: list[str] | None) -> list[Path]:
    """The labelled folders: the given ones, or every sub-folder of the default corpus."""
    found = [Path(p) for p in args_corpus] if args_corpus else (
        sorted(p for p in DEFAULT_CORPUS.iterdir() if p.is_dir()) if DEFAULT_CORPUS.is_dir() else [])
    out = []
    for d in found:  # a folder of site folders (sites/) stands for its sub-folders
        out.extend(sorted(p for p in d.iterdir() if p.is_dir()) if d.name == "sites" else [d])
    return out


def site_of(page_id: str, url: str, dirs: list[Path]) -> str | None:
    """A page's site: its URL's host, or the folder of a ``sites/`` sub-folder; None when unknown."""
    host = urlsplit(url).hostname if url else None
    if host:
        return host
    folder = page_id.split("/", 1)[0]
    return folder if any(d.name == folder and d.parent.name == "sites" for d in dirs) else None


def load_pages(dirs: list[Path]) -> list[Page]:
    pages = []
    for d in dirs:
        for html in sorted(d.glob("*.html")):
            label = html.with_suffix(".json")
            url = ""
            if label.exists():
                url = json.loads(label.read_text("utf-8")).get("url") or ""
            pages.append((f"{d.name}/{html.stem}", html.read_bytes(), url))
    return pages


def _ours() -> Extractor:
    from linfen_crawler.extract.article import extract_page

    def run(raw: bytes, url: str) -> dict[str, Any]:
        r = extract_page(raw, url, generic_only=True)
        return {"title": r["title"], "published": r["published_at"], "source": r["source"],
                "authors": r["authors"], "editors": r["editors"], "body": r["body"]}

    return run


def _trafilatura() -> Extractor:
    import trafilatura

    def run(raw: bytes, url: str) -> dict[str, Any]:
        text, _ = decode_html(raw)
        doc = trafilatura.bare_extraction(text, url=url or None, with_metadata=True)
        if doc is None:
            return {}
        data = doc if isinstance(doc, dict) else doc.as_dict()
        author = data.get("author") or ""
        return {"title": data.get("title"), "published": data.get("date"), "source": None,
                "authors": [a.strip() for a in author.split(";") if a.strip()], "editors": [],
                "body": data.get("text")}

    return run


def _gne() -> Extractor:
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()

    def run(raw: bytes, url: str) -> dict[str, Any]:
        text, _ = decode_html(raw)
        data = extractor.extract(text)
        author = data.get("author") or ""
        return {"title": data.get("title"), "published": data.get("publish_time") or None, "source": None,
                "authors": [author] if author else [], "editors": [], "body": data.get("content")}

    return run


def _readability() -> Extractor:
    import lxml.html
    from readability import Document

    def run(raw: bytes, url: str) -> dict[str, Any]:
        text, _ = decode_html(raw)
        doc = Document(text, url=url or None)
        summary = lxml.html.fromstring(doc.summary(html_partial=True))
        lines = [" ".join(str(t).split()) for t in summary.itertext()]
        return {"title": doc.short_title(), "published": None, "source": None, "authors": [], "editors": [],
                "body": "\n".join(line for line in lines if line)}

    return run


FACTORIES: dict[str, tuple[str, Callable[[], Extractor]]] = {
    "ours": ("linfen_crawler", _ours),
    "trafilatura": ("trafilatura", _trafilatura),
    "gne": ("gne", _gne),
    "readability": ("readability", _readability),
}


def run_tools(extractors: dict[str, Extractor], pages: list[Page], out: Path) -> dict[str, float]:
    """Write each tool's predictions to ``out/<tool>.jsonl``; return each tool's median ms per page.

    The tools take turns page by page (after one untimed warm-up page each), so a load change on a shared
    machine falls on all of them alike instead of on whichever tool ran during it.
    """
    times: dict[str, list[float]] = {tool: [] for tool in extractors}
    files = {tool: (out / f"{tool}.jsonl").open("w", encoding="utf-8") for tool in extractors}
    try:
        if pages:
            for extract in extractors.values():
                with contextlib.suppress(Exception):  # a crash is reported on the timed run below
                    extract(pages[0][1], pages[0][2])
        for pid, raw, url in pages:
            for tool, extract in extractors.items():
                start = time.perf_counter()
                try:
                    pred = extract(raw, url)
                except Exception as exc:  # a crash on one page is a miss, not the end of the benchmark
                    print(f"warning: {tool} failed on {pid}: {exc!r}", file=sys.stderr)
                    pred = {}
                times[tool].append((time.perf_counter() - start) * 1000)
                files[tool].write(json.dumps({"id": pid, **pred}, ensure_ascii=False) + "\n")
    finally:
        for fh in files.values():
            fh.close()
    return {tool: statistics.median(t) if t else 0.0 for tool, t in times.items()}


def score(scorer: Path, dirs: list[Path], pred: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(scorer), *map(str, dirs), "--pred", str(pred), "--json"],
        check=True, capture_output=True, text=True, cwd=scorer.parent,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def load_scorer(scorer: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("linfen_bench_score", scorer)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot load the scorer {scorer}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_preds(path: Path) -> dict[str, dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return {obj["id"]: obj for obj in map(json.loads, fh) if obj}


def learned_predictions(pages: list[Page], sites: dict[str, list[Page]]) -> dict[str, dict[str, Any]]:
    """Ours with site learning: each site's pages learned together, then extracted with the state."""
    preds: dict[str, dict[str, Any]] = {}
    for members in sites.values():
        _, records = extract_site([(raw, url) for _, raw, url in members], generic_only=True)
        for (pid, _, _), r in zip(members, records, strict=True):
            preds[pid] = {"id": pid, "title": r["title"], "published": r["published_at"], "source": r["source"],
                          "authors": r["authors"], "editors": r["editors"], "body": r["body"]}
    return preds


def site_table(rows: list[tuple[str, str, dict[str, Any]]]) -> str:
    head = f"{'site':<28}{'mode':<10}{'pages':>6}" + "".join(f"{f:>10}" for f in SCORED)
    lines = [head, "-" * len(head)]
    for site, mode, res in rows:
        cells = "".join(f"{res.get(f) if res.get(f) is not None else '-':>10}" for f in SCORED)
        lines.append(f"{site:<28}{mode:<10}{res['pages']:>6}{cells}")
    return "\n".join(lines)


def compare_sites(scorer: Path, dirs: list[Path], pages: list[Page], per_page: Path, out: Path,
                  min_pages: int) -> str:
    """Our scores per site, and per-page against ``--learn`` for the sites with ``min_pages`` pages."""
    module = load_scorer(scorer)
    gold: dict[str, dict[str, Any]] = module.load_gold([str(d) for d in dirs], "all")
    sites: dict[str, list[Page]] = {}
    for page in pages:
        site = site_of(page[0], page[2], dirs)
        if site is not None:
            sites.setdefault(site, []).append(page)
    preds = read_preds(per_page)
    rows = []
    for site, members in sorted(sites.items()):
        sub = {pid: gold[pid] for pid, _, _ in members if pid in gold}
        if sub:
            rows.append((site, "per-page", module.score(sub, preds)))
    text = f"ours per site ({len(rows)} sites with scored pages)\n{site_table(rows)}"
    big = {site: members for site, members in sites.items()
           if sum(pid in gold for pid, _, _ in members) >= min_pages}
    if not big:
        return text + f"\n\nno site has {min_pages} or more scored pages: nothing to compare with --learn"
    learned = learned_predictions(pages, big)
    with (out / "ours-learn.jsonl").open("w", encoding="utf-8") as fh:
        for pred in learned.values():
            fh.write(json.dumps(pred, ensure_ascii=False) + "\n")
    rows = []
    everything: dict[str, dict[str, Any]] = {}
    for site, members in sorted(big.items()):
        sub = {pid: gold[pid] for pid, _, _ in members if pid in gold}
        everything.update(sub)
        rows.append((site, "per-page", module.score(sub, preds)))
        rows.append((site, "learn", module.score(sub, learned)))
    rows.append(("all of them", "per-page", module.score(everything, preds)))
    rows.append(("all of them", "learn", module.score(everything, learned)))
    return text + f"\n\nper-page against --learn, sites with >= {min_pages} scored pages\n{site_table(rows)}"


def format_table(rows: dict[str, dict[str, Any] | None], medians: dict[str, float]) -> str:
    head = f"{'tool':<12}" + "".join(f"{f:>10}" for f in FIELDS) + f"{'ms/page':>10}"
    lines = [head, "-" * len(head)]
    for tool, res in rows.items():
        if res is None:
            lines.append(f"{tool:<12}  not installed")
            continue
        cells = "".join(f"{res.get(f) if res.get(f) is not None else '-':>10}" for f in FIELDS)
        lines.append(f"{tool:<12}{cells}{medians[tool]:>10.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="append", help="a labelled folder (repeatable); default: all of "
                    f"{DEFAULT_CORPUS}")
    ap.add_argument("--out", help="where predictions go (default: a temporary directory)")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    ap.add_argument("--scorer", help="path to score.py (default: the corpus's sibling eval/score.py)")
    ap.add_argument("--min-pages", type=int, default=3, help="compare --learn on sites with this many pages")
    args = ap.parse_args(argv)
    dirs = corpus_dirs(args.corpus)
    if not dirs:
        print(f"error: no corpus folders found (looked in {DEFAULT_CORPUS}); pass --corpus DIR", file=sys.stderr)
        return 2
    scorer = Path(args.scorer) if args.scorer else DEFAULT_CORPUS.parent / "eval" / "score.py"
    if not scorer.exists():
        print(f"error: scorer not found at {scorer}; pass --scorer PATH", file=sys.stderr)
        return 2
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in FACTORIES]
    if unknown:
        print(f"error: unknown tool(s) {', '.join(unknown)}; choose from {', '.join(TOOLS)}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="linfen-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    pages = load_pages(dirs)
    rows: dict[str, dict[str, Any] | None] = {}
    extractors: dict[str, Extractor] = {}
    for tool in tools:
        module, factory = FACTORIES[tool]
        if importlib.util.find_spec(module) is None:
            rows[tool] = None
            continue
        extractors[tool] = factory()
    medians = run_tools(extractors, pages, out)
    for tool in extractors:
        rows[tool] = score(scorer, dirs, out / f"{tool}.jsonl")
    print(f"{len(pages)} pages from {', '.join(d.name for d in dirs)}; predictions in {out}")
    print(format_table(rows, medians))
    if "ours" in extractors:
        print()
        print(compare_sites(scorer, dirs, pages, out / "ours.jsonl", out, args.min_pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
