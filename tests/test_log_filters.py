"""Access logs never keep the credential of a personal link."""

from __future__ import annotations

import logging

import pytest

from connectences.logfilters import MASK, RedactTokens, redact
from tests import known_secrets

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

SIGNED = (
    "eyJjIjoxNTEsImUiOiJjYW1pbGxlLm5hdmFycmVAZXhlbXBsZS5mciJ9.axNDRw.h6aZpWcKqhfgM0TqeYzOM6mXvgI"
)
RANDOM_KEY = "6gdCB5gKebBH_OPgAHoXpWFuFl72kr-5x-_3jXfmwNw"


def test_token_like_segments_are_masked_and_ordinary_paths_kept():
    assert redact(f'"GET /mon-cv/confirmer/{SIGNED} HTTP/1.1" 200') == (
        f'"GET /mon-cv/confirmer/{MASK} HTTP/1.1" 200'
    )
    assert redact(f"GET /animateur/cvtheque/import/{RANDOM_KEY}") == (
        f"GET /animateur/cvtheque/import/{MASK}"
    )
    # A short payload ({"d": 1}, a questionnaire's id) still carries its long signature.
    short = "eyJkIjoxfQ.axNylg.yW2X7AIlSnOjUJowEXOdE-LRLL4"
    assert redact(f"GET /entreprise/diagnostic/{short} HTTP/1.1") == (
        f"GET /entreprise/diagnostic/{MASK} HTTP/1.1"
    )
    for path in (
        "/animateur/besoins/demo-besoin-018",
        "/animateur/entreprises/demo-entreprise-bistrot-du-port/diagnostic",
        "/static/js/vendor/chart.min.4.4.1.js",
        "/static/css/app.css",
        "/operateur/propositions/12",
        "/animateur/cvtheque/demo-cv-067/semaine",
    ):
        assert redact(path) == path


def test_the_access_loggers_mask_what_they_write(app, caplog):
    # create_app installed the filter on the development and production access loggers.
    for name in ("werkzeug", "gunicorn.access"):
        assert any(isinstance(f, RedactTokens) for f in logging.getLogger(name).filters)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "%s %s HTTP/1.1"', "GET", f"/x/{SIGNED}")
    assert SIGNED not in caplog.text and MASK in caplog.text
    assert not known_secrets.scan(caplog.text)
