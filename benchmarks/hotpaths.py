#!/usr/bin/env python3
"""The hot paths of docs/performance.md (issue 8), each against the code it replaced, per call.

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
from urllib.parse import urlsplit

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler import dedupe, normalize  # noqa: E402
from linfen_crawler.middlewares import antibot  # noqa: E402

sys.path.insert(0, str(REPO / "tests"))
from replaced import PLAIN_LABEL_RE, plain_next_page, plain_subtree_totals  # noqa: E402

from linfen_crawler.extract import article, byline, credits, scoring, tree  # noqa: E402
from linfen_crawler.extract import pages as article_pages  # noqa: E402
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
    return _OLD_SPACE.sub(b"", antibot._TAG.sub(b"", _OLD_SCRIPT_STYLE.sub(b"", body)))


def old_raw_cost(body: bytes) -> tuple[str, bytes]:
    return decode_html(body, "text/html")[1], zlib.compress(body, 6)


def new_raw_cost(body: bytes) -> tuple[str, bytes]:
    return detect_charset(body, "text/html"), zlib.compress(body, 1)


# extract_article's hot paths, as they were before the extraction pass
_OLD_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_OLD_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_OLD_PARSER = etree.HTMLParser()
_OLD_HREFS = etree.XPath("//*[@href]")


def old_parse_html(text: str) -> Any:
    text = _OLD_XML_DECL.sub("", text, count=1)
    text = _OLD_XML_INCOMPATIBLE.sub("", text)
    if not text.strip():
        return None
    try:
        doc = etree.fromstring(text, _OLD_PARSER)
    except (etree.ParserError, ValueError):
        return None
    if doc is not None:
        for el in _OLD_HREFS(doc):
            href = el.get("href") or ""
            if href.isascii() and "[" not in href and "]" not in href:
                continue
            try:
                urlsplit(href)
            except ValueError:
                del el.attrib["href"]
    return doc


_OLD_EDITOR_TEXT_XP = etree.XPath("//body//text()[contains(., '编') or contains(., '校对') or contains(., '审核')]/..")
_OLD_EDITOR_LABEL_RE = re.compile(r"(?:责任编辑|责编|编辑|校对|审核|编审|值班编辑|本文编辑)\s*[:：]")
_OLD_EDITOR_LINE_RE = re.compile(r"^[\s【\[(（]*(?:责任编辑|责编|编辑|校对|审核|编审|值班编辑|本文编辑)\s*[:：]")


def old_editor_lines(doc: Any) -> list[str]:
    found: list[str] = []
    if not _OLD_EDITOR_LABEL_RE.search(etree.tostring(doc, method="text", encoding=str)):
        return found
    for el in _OLD_EDITOR_TEXT_XP(doc):
        for node in (el, el.getparent()):
            if node is None or node.tag in tree.SKIP_TAGS:
                break
            text = tree.text_of(node)
            if len(text) > 40:
                break
            if _OLD_EDITOR_LINE_RE.match(text):
                found.append(text)
                break
    return found


_OLD_CANONICAL = etree.XPath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content")




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
    texts = [decode_html(b)[0] for b in pages]
    docs = [article.parse_html(t) for t in texts]
    doc_urls = [(d, f"http://www.bencha.test/news/x/{i}.html") for i, d in enumerate(docs, 1)]
    body_nodes = [n for n in (scoring.find_body_node(d, None) for d in docs) if n is not None]
    doc_stats = [(d, scoring.own_text_blocks(d)) for d in docs]
    rows: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], list[Any]]] = [
        ("dedupe: LSH keys of a body", lambda b: dedupe.band_keys(old_signature(dedupe.shingles(b))),
         dedupe.lsh_keys, bodies),
        ("clean_text: a paragraph with full-width ，：（）", old_clean_text, normalize.clean_text, raw_paragraphs),
        ("clean_text: the same, already clean", old_clean_text, normalize.clean_text, paragraphs),
        ("clean_lines: a clean body (normalize_article)", old_clean_lines, normalize.clean_lines, bodies),
        ("raw page: charset + compression", old_raw_cost, new_raw_cost, pages),
        ("antibot_reason: visible text of a page", lambda b: old_visible(b[:65536]),
         lambda b: antibot._visible(b[:65536]), pages),
        ("antibot_reason of a 200 page (full count / prefix)", lambda b: len(antibot._visible(b[:65536])) >= 600,
         lambda b: antibot.antibot_reason(200, b), pages),
        ("parse_html: a decoded page", old_parse_html, article.parse_html, texts),
        ("find_bylines: editor lines of a page", old_editor_lines, lambda d: list(credits.editor_lines(d)), docs),
        ("next_page of a page", lambda du: plain_next_page(*du), lambda du: article_pages.next_page(*du), doc_urls),
        ("body selector's check: the body has text", lambda n: bool(article.node_text(n)), article.has_text,
         body_nodes),
        ("byline labels in a body paragraph", lambda p: list(PLAIN_LABEL_RE.finditer(p)),
         lambda p: list(byline._LABEL_RE.finditer(p)), paragraphs),
        ("own_url: canonical link and og:url of a page", lambda d: [str(v) for v in _OLD_CANONICAL(d)],
         lambda d: list(article._canonical_urls(d)), docs),
        ("generic body: subtree text totals of a page", lambda ds: plain_subtree_totals(*ds),
         lambda ds: scoring.subtree_totals(*ds), doc_stats),
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
