"""WSGI entry point: `gunicorn wsgi:app`."""

from connectences import create_app

app = create_app()
