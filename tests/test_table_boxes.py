"""Every table's box (``.table-wrap``) is a named region the keyboard can reach: a Tab
stop in the template (``tabindex="0"``), which static/js/nav.js takes away where the
box scrolls nothing; nav.js only reads boxes that are regions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

TEMPLATES = Path(__file__).resolve().parents[1] / "connectences" / "templates"
BOX = re.compile(r"<div\b[^>]*\bclass=\"[^\"]*\btable-wrap\b[^\"]*\"[^>]*>", re.S)


def unnamed_boxes(root: Path = TEMPLATES) -> list[str]:
    """The ``.table-wrap`` tags of the templates under ``root`` that are no named region
    with a Tab stop, as « path: tag »."""
    found = []
    for path in sorted(root.rglob("*.html")):
        for tag in BOX.findall(path.read_text(encoding="utf-8")):
            named = "aria-label=" in tag or "aria-labelledby=" in tag
            if not (named and 'role="region"' in tag and 'tabindex="0"' in tag):
                found.append(f"{path.relative_to(root)}: {tag}")
    return found


def test_every_table_box_is_a_named_region_with_a_tab_stop():
    assert unnamed_boxes() == []


def test_the_table_box_guard_sees_a_bare_box(tmp_path):
    (tmp_path / "page.html").write_text(
        '<div class="table-wrap">\n'
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Liste">\n'
        '<div class="table-wrap wide" role="region" aria-labelledby="titre">\n'
    )
    assert unnamed_boxes(tmp_path) == [
        'page.html: <div class="table-wrap">',
        'page.html: <div class="table-wrap wide" role="region" aria-labelledby="titre">',
    ]
