"""The ``int`` URL converter of the app: ids in paths within the range of a stored id.

Werkzeug's converter matches any run of digits; ``/evenements/9223372036854775808``
then reached the database, which cannot compare a column with a number that large (a
500; on PostgreSQL from 2**31 already). Registered as the app's ``int`` before any route, it makes every ``<int:...>``
of the platform stop at :data:`connectences.ids.MAX_ID`: a larger number matches no
route, hence the French "Page introuvable" like any other unknown address.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from connectences.ids import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:...>``, at most :data:`MAX_ID` unless the rule says otherwise."""

    def __init__(self, map, fixed_digits: int = 0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def register_ids(app: Flask) -> None:
    # Before any rule is added: a rule takes its converter when it is created.
    app.url_map.converters["int"] = IdConverter
