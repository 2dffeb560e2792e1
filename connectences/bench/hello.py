"""A bare Flask "hello", the yardstick of ``bench load``: served by the same gunicorn
setup as the platform, its throughput is what the machine and the client can do."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
