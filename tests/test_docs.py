"""Docs stay true: every LINFEN_ setting is documented, and docs/cli.md is the CLI's current --help."""

from __future__ import annotations

import re
import sys

from conftest import REPO

import linfen_crawler.settings as settings


def test_every_linfen_setting_is_documented():
    documented = set(re.findall(r"`(LINFEN_[A-Z_]+)`", (REPO / "docs/settings.md").read_text("utf-8")))
    defined = {name for name in vars(settings) if name.startswith("LINFEN_")}
    assert defined, "no LINFEN_ settings found"
    assert defined <= documented, f"undocumented: {sorted(defined - documented)}"


def test_cli_reference_is_generated_from_help():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from gen_cli_docs import render
    finally:
        sys.path.pop(0)
    assert (REPO / "docs/cli.md").read_text("utf-8") == render(), "run `make docs` to refresh docs/cli.md"
