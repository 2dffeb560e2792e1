"""The URL converters of record refs (``<need_ref:ref>``, ``<candidate_ref:ref>``...).

A ref comes from an interchange document and may be any string; Werkzeug's default
converter stops at "/", so ``FT/2027/0012`` had a record but no page and no API route.
These converters are Werkzeug's ``path`` (a "/" is part of the value; every other
character ``url_for`` escapes: ``?`` ``#`` ``%`` spaces), across line breaks too. One
name per collection (``connectences.urls.REF_CONVERTERS``) tells which routes name
which records, for ``urls.ref_address_problem`` to check a ref against all of them.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import PathConverter

from connectences.urls import REF_CONVERTERS


class RecordRefConverter(PathConverter):
    """A record's ref in a path: anything not starting with "/", "/" and newlines
    included (``path`` stops at a newline, which a ref may hold)."""

    regex = r"[^/][\s\S]*?"


def register_refs(app: Flask) -> None:
    # Before any rule is added: a rule takes its converter when it is created.
    for name in REF_CONVERTERS.values():
        app.url_map.converters[name] = RecordRefConverter
