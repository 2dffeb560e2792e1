"""Flask extensions, created unbound here and bound in create_app()."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from connectences.db_session import Session
from connectences.models.base import Base

db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()


def commit_keeping_loaded() -> None:
    """Commit the request's session without expiring what it loaded: for a commit that
    only adds rows (a count, an audit entry) before the request's page, so that the
    logged-in user and the records already read are not read again at their next use."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
