"""Forms never rely on the browser's own (English) pop-ups: every form of the
platform is checked by the server, which answers in French next to the fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

TEMPLATES = Path(__file__).resolve().parents[1] / "connectences" / "templates"
FORM = re.compile(r"(<form\b[^>]*>)(.*?)</form>", re.S)
# What makes a browser check a field itself, in English.
CONSTRAINT = re.compile(r"\brequired\b|type=\"(email|number|url)\"|\b(min|max|pattern)=")


def test_every_form_turns_off_the_browser_popups():
    missing = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for tag, body in FORM.findall(path.read_text(encoding="utf-8")):
            if CONSTRAINT.search(body) and "novalidate" not in tag:
                missing.append(f"{path.relative_to(TEMPLATES)}: {tag[:80]}")
    assert not missing, "\n".join(missing)
