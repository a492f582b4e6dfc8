"""Quality gate: the generic extractor must not fall below the pinned scores on the labelled corpus.

Like trafilatura's eval_gate: ``tests/extraction_baseline.json`` pins a minimum per field (set slightly
below the measured score); any field below its minimum fails. The corpus is ``corpus/`` in the shared folder
(``$LINFEN_SHARED`` or ``<repo>/../shared``) with its scorer in the sibling ``eval/score.py``; without it the
test skips.
Re-pin after a real improvement with the figures from ``benchmarks/extraction.py``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import SHARED

from linfen_crawler.extract.article import extract_page

CORPUS = SHARED / "corpus"
SCORER = CORPUS.parent / "eval" / "score.py"
BASELINE = json.loads((Path(__file__).parent / "extraction_baseline.json").read_text("utf-8"))


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("linfen_corpus_score", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    dirs = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
    if not dirs or not SCORER.exists():
        pytest.skip(f"labelled corpus not found at {CORPUS} (with eval/score.py beside it); "
                    "set LINFEN_SHARED to run the extraction gate")
    scorer = _scorer()
    gold = scorer.load_gold([str(d) for d in dirs], "all")
    preds = {}
    for d in dirs:
        for html in sorted(d.glob("*.html")):
            pid = f"{d.name}/{html.stem}"
            if pid not in gold:
                continue
            rec = extract_page(html.read_bytes(), gold[pid].get("url") or "", generic_only=True)
            preds[pid] = {"title": rec["title"], "published": rec["published_at"], "source": rec["source"],
                          "authors": rec["authors"], "editors": rec["editors"], "body": rec["body"]}
    result: dict[str, Any] = scorer.score(gold, preds)
    return result


@pytest.mark.parametrize("field", sorted(BASELINE["minimum"]))
def test_field_not_below_baseline(results: dict[str, Any], field: str) -> None:
    minimum = BASELINE["minimum"][field]
    assert results[field] >= minimum, f"{field} fell to {results[field]} (pinned minimum {minimum})"
