"""WSGI entry point: `gunicorn wsgi:app`.

The server refuses to start, saying why, on a database it cannot reach or one not at
this version's last migration (``connectences.schema``), rather than answer 500 to
every request.
"""

from connectences import create_app
from connectences.schema import check_schema

app = create_app()
check_schema(app)
