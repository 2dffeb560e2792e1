"""The files the code reads at run time ship in the package, not only in a checkout."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent


def _package_data() -> set[Path]:
    """The files the package-data patterns of pyproject.toml select."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    selected = set()
    for package, patterns in config["tool"]["setuptools"]["package-data"].items():
        base = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            selected |= {path for path in base.glob(pattern) if path.is_file()}
    return selected


def test_every_data_folder_of_the_package_ships():
    data_files = {
        path
        for folder in (ROOT / "connectences").rglob("data")
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert any("demo" in path.parts for path in data_files)
    missing = sorted(str(path.relative_to(ROOT)) for path in data_files - _package_data())
    assert missing == []
