"""CLI command modules beyond the core ones in ``cli.py``.

Every module here defines ``register(main: click.Group) -> None`` and adds its commands to the group;
``cli.py`` imports them all at start-up. One module per area (search/analyst, jobs, distributed, …) keeps
the command line thin and lets each area grow without touching the others.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


def register_all(main: click.Group) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(main)
