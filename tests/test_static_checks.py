"""The security lint (ruff's flake8-bandit rules) covers the whole code: no blanket ignore,
and each finding silenced in the code says why."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent
NOQA_S = re.compile(r"#\s*noqa:\s*((?:S\d{3}[,\s]*)+)(.*)$")


def test_security_rules_are_selected_without_blanket_ignores():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "S" in lint["select"]
    assert not [code for code in lint.get("ignore", []) if re.fullmatch(r"S\d+", code)]
    for pattern, codes in lint.get("per-file-ignores", {}).items():
        security = [code for code in codes if re.fullmatch(r"S\d+|S", code)]
        assert security in ([], ["S101"]), pattern
        if security:
            assert pattern.startswith("tests/"), pattern


def test_each_silenced_security_finding_gives_its_reason():
    unexplained = []
    for folder in ("connectences", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                match = NOQA_S.search(line)
                if match and len(match.group(2).strip(" —-:")) < 10:
                    unexplained.append(f"{path.relative_to(ROOT)}:{number}")
    assert not unexplained, "noqa without a reason:\n" + "\n".join(unexplained)
