"""What a logged-in person typed, kept when their form could not be carried out, and the
keep-alive of a session while they type.

Two things end a logged-in person's form without carrying it out: their session ended
(30 minutes unused: a visit noted on a doorstep while talking with the owner), and the
form's security token was refused (a login in another tab renewed the session; the forms
anyone fills in without an account are shown again by their own views instead, see
``errors.CSRF_RETRY``). In both cases ``hold_sent_form`` holds what was sent
(``accounts.held_forms``) for the account the session was opened for, without the
security token, the passwords (``forms.password_field_names``) and the files; the
session keeps the key. Logging in again carries the key over for that account only
(``carry_over``: another account's login forgets the form). The page the form was on,
opened again by that account, gives the form back once (``restored_form``, called by the
layout): a notice at the top, and the fields for ``static/js/form-keep.js``, which fills
the form in. Nothing is carried out until the person sends it again.

The same script keeps the session alive while a form is being typed in: it calls
``auth.keep_alive`` at most every ``keep_alive_seconds()``, and only while a form has
edits not sent; an idle page calls nothing, and its session ends as before.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

from flask import Flask, request, session
from flask_login import current_user

from connectences import config
from connectences.accounts import held_forms
from connectences.accounts.sessions import TOUCH_SECONDS, account_binding
from connectences.models import utcnow
from connectences.urls import split_url
from connectences.web.forms import password_field_names
from connectences.web.security import ACCOUNT_KEY, is_safe_next, local_referrer

# Session key of the held form's key.
HELD_KEY = "_held"
# Why a form was held, and what the page that gives it back says.
SESSION_ENDED = "session"
FORM_EXPIRED = "formulaire"
DATABASE_BUSY = "occupee"
REAUTHENTICATION = "reconnexion"
INVISIBLE_REMOVED = "caractere"
NOTICES = {
    INVISIBLE_REMOVED: "Ce que vous aviez saisi contenait un caractère invisible non "
    "autorisé (caractère nul), retiré ici : rien n'a été enregistré. Vérifiez puis "
    "enregistrez de nouveau.",
    REAUTHENTICATION: "Mot de passe confirmé : vérifiez ce que vous aviez saisi, puis "
    "envoyez-le de nouveau.",
    DATABASE_BUSY: "La plateforme était momentanément occupée : rien n'a été enregistré. "
    "Vérifiez puis enregistrez de nouveau.",
    SESSION_ENDED: "Votre session avait expiré : vérifiez puis enregistrez de nouveau.",
    FORM_EXPIRED: "Le formulaire avait expiré (protection de sécurité) : vérifiez puis "
    "enregistrez de nouveau.",
}
# What the login page says when a form waits for the person.
LOGIN_NOTICE = (
    "Votre session a expiré. Connectez-vous de nouveau : ce que vous veniez de saisir vous "
    "sera rendu, à vérifier et enregistrer."
)
# The keep-alive is called at most this often (and at least once a third of the idle
# lifetime, so that a shorter lifetime configured is still kept).
KEEP_ALIVE_MAX_SECONDS = 300
# Fields never held besides the passwords.
NEVER_HELD = frozenset({"csrf_token"})


def keep_alive_seconds() -> int:
    """How often, at most, a page being typed in keeps its session alive."""
    idle = config.number("SESSION_IDLE_MINUTES") * 60
    return int(max(TOUCH_SECONDS, min(KEEP_ALIVE_MAX_SECONDS, idle / 3)))


def _local(path: str) -> str:
    """A local path and query as one compares them (percent-escapes decoded)."""
    return unquote(path.rstrip("?"))


def page_of_sent_form() -> str | None:
    """The page the form of this request was on: the one the browser names in its
    Referer, else this address when it shows a page (a form sent to itself); None when
    neither is known. An origin alone (the Referer of pages asking for ``strict-origin``)
    names no page."""
    referrer = local_referrer()
    if referrer and referrer != "/":
        return referrer
    rule = request.url_rule
    if rule is not None and "GET" in (rule.methods or ()):
        page = request.full_path.rstrip("?")
        return page if is_safe_next(page) else None
    return None


def _from_this_site() -> bool:
    """Whether the browser says the form was sent from a page of this site (a form
    another site makes a browser send is never held for anyone)."""
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = split_url(origin)
        if parts is None or parts.netloc != request.host:
            return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    return fetch_site is None or fetch_site in ("same-origin", "none")


def _sent_fields() -> tuple[tuple[str, str], ...]:
    left_out = NEVER_HELD | password_field_names()
    # request.form holds no file: files are in request.files, never read here.
    return tuple(
        (name, value) for name, value in request.form.items(multi=True) if name not in left_out
    )


def hold_sent_form(reason: str) -> str | None:
    """Hold the form this POST sent for the account the session was opened for; the page
    that shows it again, or None when nothing was held (no account named by the session,
    no page known, sent from another site, too large)."""
    owner = session.get(ACCOUNT_KEY)
    if request.method != "POST" or not isinstance(owner, str) or not _from_this_site():
        return None
    page = page_of_sent_form()
    if page is None:
        return None
    form = held_forms.HeldForm(
        page=page,
        action=_local(request.full_path),
        fields=_sent_fields(),
        reason=reason,
    )
    now = utcnow()
    until = now + timedelta(minutes=config.number("HELD_FORM_MINUTES"))
    folder = held_forms.held_forms_folder()
    held_forms.drop(folder, session.pop(HELD_KEY, None))
    key = held_forms.hold(folder, owner, form, until=until, now=now)
    if key is None:
        return None
    session[HELD_KEY] = key
    return page


def carry_over(key: str | None, user) -> None:
    """A login has just started a fresh session: the form held in this browser (``key``,
    read from the session before) is kept for ``user`` if it was typed under that very
    account, and forgotten otherwise."""
    if not key:
        return
    folder = held_forms.held_forms_folder()
    found = held_forms.find(folder, key, now=utcnow())
    if found is not None and found[0] == account_binding(user):
        session[HELD_KEY] = key
    else:
        held_forms.drop(folder, key)


def restored_form() -> dict | None:
    """On the page of the form held for the logged-in person: the notice and what the
    script fills in (``action``: where the form was sent, ``fields``), once (the form is
    forgotten as it is given back). None on any other page."""
    key = session.get(HELD_KEY)
    if not key or request.method != "GET" or not current_user.is_authenticated:
        return None
    folder = held_forms.held_forms_folder()
    found = held_forms.find(folder, key, now=utcnow())
    if found is None or found[0] != session.get(ACCOUNT_KEY):
        held_forms.drop(folder, key)
        session.pop(HELD_KEY, None)
        return None
    form = found[1]
    if _local(form.page) != _local(request.full_path):
        return None
    held_forms.drop(folder, key)
    session.pop(HELD_KEY, None)
    return {
        "notice": NOTICES.get(form.reason, NOTICES[SESSION_ENDED]),
        "data": {"action": form.action, "fields": [list(pair) for pair in form.fields]},
    }


def register_held(app: Flask) -> None:
    app.add_template_global(restored_form, "held_form")
    app.add_template_global(keep_alive_seconds, "keep_alive_seconds")
