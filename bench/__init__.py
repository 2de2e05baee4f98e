"""Benchmarks (``make bench``), and how they run ``feeds`` as its users do."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def feeds_command() -> list[str]:
    """``feeds`` as a user runs it: the virtual environment's console script (as in a crontab),
    else ``python -m feeds``."""
    script = Path(sys.executable).with_name("feeds")
    return [str(script)] if script.exists() else [sys.executable, "-m", "feeds"]


def installed_env() -> dict[str, str]:
    """This environment as an installed ``feeds`` runs in: with Python's bytecode cache on (pip
    compiles an installed package), whatever ``PYTHONDONTWRITEBYTECODE`` the caller has set."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
