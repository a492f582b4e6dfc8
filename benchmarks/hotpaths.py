#!/usr/bin/env python3
"""The four hot paths of docs/performance.md (issue 8), each against the code it replaced, per call.

Usage::

    python benchmarks/hotpaths.py [--portal DIR] [--pages 200]

``--portal`` is a synthetic portal built by ``benchmarks/crawl.py`` (default: the newest one under
``$TMPDIR/linfen-crawl-bench``); its article pages are the inputs. The replaced code is copied here as it
was at the issue-8 benchmark commit, so the comparison stays runnable.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler import dedupe, middlewares, normalize  # noqa: E402
from linfen_crawler.extract.encoding import decode_html, detect_charset  # noqa: E402


# -- the replaced code ------------------------------------------------------------------------------
def old_h64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def old_signature(shingle_set: Iterable[str]) -> list[int]:
    sig = [dedupe._EMPTY] * dedupe.BINS
    for sh in shingle_set:
        h = old_h64(sh.encode())
        b, v = h & (dedupe.BINS - 1), h >> 6
        if v < sig[b]:
            sig[b] = v
    return dedupe._densify(sig)


_OLD_WS = re.compile(r"\s+")


def old_clean_text(text: str) -> str:
    folded = text if text.isascii() else text.translate(normalize._CLEAN_TABLE)
    return _OLD_WS.sub(" ", folded).strip()


def old_clean_lines(text: str) -> list[str]:
    return [x for x in (old_clean_text(p) for p in normalize._LINE_BREAK_RE.split(text)) if x]


_OLD_SCRIPT_STYLE = re.compile(rb"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_OLD_SPACE = re.compile(rb"\s+")


def old_visible(body: bytes) -> bytes:
    return _OLD_SPACE.sub(b"", middlewares._TAG.sub(b"", _OLD_SCRIPT_STYLE.sub(b"", body)))


def old_raw_cost(body: bytes) -> tuple[str, bytes]:
    return decode_html(body, "text/html")[1], zlib.compress(body, 6)


def new_raw_cost(body: bytes) -> tuple[str, bytes]:
    return detect_charset(body, "text/html"), zlib.compress(body, 1)


# -- timing ---------------------------------------------------------------------------------------
def per_call(fn: Callable[[Any], Any], inputs: list[Any], repeat: int = 3) -> float:
    """Best of ``repeat`` passes over the inputs, µs per call."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for x in inputs:
            fn(x)
        best = min(best, time.perf_counter() - t0)
    return best / len(inputs) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--portal", type=Path)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args(argv)
    portal = args.portal
    if portal is None:
        found = sorted((Path(tempfile.gettempdir()) / "linfen-crawl-bench").glob("portal-*"),
                       key=lambda p: p.stat().st_mtime)
        if not found:
            print("no portal: run benchmarks/crawl.py --pages 2000 first, or pass --portal", file=sys.stderr)
            return 2
        portal = found[-1]
    pages = [p.read_bytes() for p in sorted((portal / "news").rglob("*.html"))[:args.pages]]
    from linfen_crawler.extract.article import extract_article

    records = [extract_article(b, "http://www.bencha.test/news/x/1.html") for b in pages]
    bodies = [r["body"] for r in records if r.get("body")]
    paragraphs = [line for b in bodies for line in b.split("\n")][:2000]
    print(f"{len(pages)} pages of {portal}; {len(bodies)} bodies (mean {sum(map(len, bodies)) // len(bodies)} "
          f"characters)")
    raw_paragraphs = [p.replace(",", "，").replace(":", "：").replace("(", "（").replace(")", "）") for p in paragraphs]
    rows: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], list[Any]]] = [
        ("dedupe: LSH keys of a body", lambda b: dedupe.band_keys(old_signature(dedupe.shingles(b))),
         dedupe.lsh_keys, bodies),
        ("clean_text: a paragraph with full-width ，：（）", old_clean_text, normalize.clean_text, raw_paragraphs),
        ("clean_text: the same, already clean", old_clean_text, normalize.clean_text, paragraphs),
        ("clean_lines: a clean body (normalize_article)", old_clean_lines, normalize.clean_lines, bodies),
        ("raw page: charset + compression", old_raw_cost, new_raw_cost, pages),
        ("antibot_reason: visible text of a page", lambda b: old_visible(b[:65536]),
         lambda b: middlewares._visible(b[:65536]), pages),
    ]
    print(f"{'hot path':48} {'before µs':>10} {'after µs':>10} {'speed-up':>9}")
    for label, old, new, inputs in rows:
        before, after = per_call(old, inputs), per_call(new, inputs)
        print(f"{label:48} {before:10.1f} {after:10.1f} {before / after:8.1f}x")
    sizes = [(len(zlib.compress(b, 6)), len(zlib.compress(b, 1))) for b in pages]
    print(f"raw page size: level 6 {sum(s[0] for s in sizes) / len(sizes) / 1024:.1f} KB, level 1 "
          f"{sum(s[1] for s in sizes) / len(sizes) / 1024:.1f} KB per page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
