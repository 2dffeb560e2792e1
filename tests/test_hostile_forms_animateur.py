"""The hostile battery as an animateur: every page, every form, every other route by a forged
post (see tests/hostile_battery.py). Report: test-artifacts/hostile-input-animateur-<base>.csv."""

from __future__ import annotations

import pytest

from tests import hostile_battery as battery


@pytest.mark.slow
def test_hostile_values_through_every_form_and_route(app, auth, tmp_path, monkeypatch):
    battery.run_slice(app, auth, tmp_path, monkeypatch, "animateur")
