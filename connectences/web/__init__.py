"""The web layer: one blueprint per area, registered here."""

from __future__ import annotations

from flask import Flask

from connectences.extensions import db, login_manager
from connectences.models import User


def register_web(app: Flask) -> None:
    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        try:
            uid, version = (int(part) for part in user_id.split(":", 1))
        except ValueError:
            return None
        user = db.session.get(User, uid)
        if user is None or user.session_version != version or not user.active:
            return None
        return user
