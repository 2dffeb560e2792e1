"""The company owner corrects a need they posted, while no operator or partner has it;
once one has it, the owner writes to the animateur instead.

Who the owner is (their account's companies, their signed link's address) is decided by
``register.company_need`` and ``register.followed_need``; what a need must say, by
``form_rules.check_need`` (the public form's and the staff's rules), which the caller
applies before :func:`edit_by_owner`. Each correction and each message goes to the
need's log as said by the company, and the animateur who follows it (or the platform's
address) is told by mail.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from connectences import territory, vocab
from connectences.models import Need, Transition, utcnow
from connectences.needs.moves import OWNER_TEXT_MAX, tell_animateur
from connectences.needs.register import NEED_FIELDS, apply_values
from connectences.needs.status_words import awaiting_owner
from connectences.typography import decimal_fr, hours_plain
from connectences.workflows import (
    NEED,
    NEED_FINAL,
    NEED_UNROUTED,
    TransitionError,
    leads,
    text_too_long,
)
from connectences.workflows import log_change as log_need_change

# How each field of a need is named in its log and in the animateur's mail.
FIELD_WORDS: dict[str, str] = {
    "title": "intitulé",
    "skills": "compétences",
    "level": "profil recherché",
    "hours_per_week": "heures par semaine",
    "days": "jours",
    "contract": "contrat",
    "reason": "raison du besoin",
    "reason_text": "explication de l'entreprise",
    "start": "date de démarrage",
    "duration_months": "durée",
    "commune": "lieu de travail",
}
EDITED_BY = "Modifié par l'entreprise"
MESSAGE_FROM = "Message de l'entreprise"

OWNER_EDIT_HELD = (
    "Ce besoin a déjà été confié à une structure (groupement d'employeurs ou partenaire "
    "de l'emploi) : il ne peut plus être modifié ici. Écrivez plutôt à l'animateur ce "
    "qui change : il préviendra la structure."
)
OWNER_EDIT_CLOSED = "Ce besoin est clos : il ne peut plus être modifié."
# Messages one need may carry in a day: each one mails the animateur.
MESSAGES_PER_DAY = 5


def owner_may_edit(session, need: Need) -> bool:
    """True while the company owner may still correct ``need`` themselves: not routed
    (``workflows.NEED_UNROUTED``) and held by no live lead or referral."""
    return need.status in NEED_UNROUTED and not leads.is_held(session, need)


def owner_may_write(session, need: Need) -> bool:
    """True when the owner may no longer correct ``need`` but may still write to the
    animateur about it: an operator or a partner holds it, and it is not settled."""
    return need.status not in NEED_FINAL and not owner_may_edit(session, need)


def edit_refusal(need: Need) -> str:
    """Why the owner may not correct ``need`` (French)."""
    return OWNER_EDIT_CLOSED if need.status in NEED_FINAL else OWNER_EDIT_HELD


def _said(name: str, value) -> str:
    """A field's value as the animateur's mail shows it."""
    if value in (None, "", [], ()):
        return "—"
    if name == "hours_per_week":
        return hours_plain(value)
    if name == "days":
        return ", ".join(vocab.DAYS.get(day, day) for day in value)
    if name == "skills":
        return ", ".join(value)
    if name == "start":
        return f"{value:%d/%m/%Y}"
    if name == "duration_months":
        return f"{decimal_fr(value, 1)} mois"
    if name == "commune":
        return territory.commune_label(value)
    labels = {"level": vocab.LEVELS, "contract": vocab.CONTRACTS, "reason": vocab.REASONS}
    if name in labels:
        return vocab.label(labels[name], value)
    return str(value)


# The fields whose old and new values the mail shows (the others are told as changed).
_SHOWN = (
    "title",
    "hours_per_week",
    "days",
    "level",
    "contract",
    "start",
    "duration_months",
    "commune",
)


def changed_fields(need: Need, values: dict) -> list[str]:
    """The fields of :data:`NEED_FIELDS` whose checked ``values`` differ from ``need``'s."""
    return [name for name in NEED_FIELDS if name in values and getattr(need, name) != values[name]]


def holds_now(need: Need, values: dict, more: list[str] | tuple = ()) -> str:
    """What the stored ``need`` says in each field where it differs from a form's checked
    ``values`` ("Il indique maintenant : heures par semaine : 20 h."), ``more`` (the
    form's other fields, so told) after them; empty when nothing differs. Told to the
    person whose form was read before someone else changed the need
    (``workflows.unchanged_since``)."""
    now = [
        f"{FIELD_WORDS[name]} : {_said(name, getattr(need, name))}"
        for name in changed_fields(need, values)
    ]
    now += more
    return f"Il indique maintenant : {' ; '.join(now)}." if now else ""


def edit_by_owner(session, need: Need, values: dict, *, email: str, actor=None) -> list[str]:
    """The company owner (``email``: the address their space or account answers to;
    ``actor``: their account, when logged in) corrects ``need`` with ``values``, already
    checked by ``form_rules.check_need``. Returns the fields changed (none: nothing is
    written).

    The need keeps its state; the change is logged as said by the company with the
    fields it changed, and the animateur who follows it (or the platform's address) is
    mailed what changed, unless it still waits for its owner's confirmation (no
    animateur has seen it: neither log nor mail). Raises TransitionError (French) and changes nothing when an
    operator or a partner holds it, or it is settled (also when that happened since the
    page was read)."""
    if not owner_may_edit(session, need):
        raise TransitionError(edit_refusal(need))
    changed = changed_fields(need, values)
    if not changed:
        return []
    before = {name: getattr(need, name) for name in changed}
    apply_values(need, {name: values[name] for name in changed})
    if not awaiting_owner(need):
        # A need waiting for its owner's confirmation has no log yet (it starts at the
        # confirmation, the need's entry in the queue, which the observatory dates):
        # nobody has seen what it said before.
        words = ", ".join(FIELD_WORDS[name] for name in changed)
        log_need_change(
            session, need, NEED, actor=actor, reason_text=f"{EDITED_BY} ({email}) : {words}"
        )
    details = [
        f"{FIELD_WORDS[name]} : {_said(name, before[name])} → {_said(name, values[name])}"
        if name in _SHOWN
        else f"{FIELD_WORDS[name]} (modifié)"
        for name in changed
    ]
    tell_animateur(
        session,
        need,
        email=email,
        subject=f"Besoin modifié par l'entreprise : {need.title}",
        message=f"{need.company.name} a modifié le besoin « {need.title} » depuis son espace "
        f"({email}) : {' ; '.join(details)}. Son état ne change pas.",
    )
    return changed


def _messages_today(session, need: Need) -> int:
    since = utcnow() - timedelta(hours=24)
    return session.scalar(
        select(func.count())
        .select_from(Transition)
        .where(
            Transition.entity == NEED.entity,
            Transition.entity_id == need.id,
            Transition.reason_text.startswith(MESSAGE_FROM, autoescape=True),
            Transition.at >= since,
        )
    )


def write_to_animateur(session, need: Need, text: str | None, *, email: str, actor=None) -> None:
    """The owner of ``need``, which they may no longer correct, writes to the animateur
    (a change of hours, of date...): logged as said by the company, mailed to the
    animateur who follows it (or the platform's address). Raises TransitionError
    (French, ``errors["message"]`` for the text) and changes nothing when the need may
    still be corrected (the form is the way), is settled, the text is empty or too long,
    or the day's messages for this need are spent."""
    if not owner_may_write(session, need):
        if need.status in NEED_FINAL:
            raise TransitionError(OWNER_EDIT_CLOSED)
        raise TransitionError(
            "Ce besoin peut encore être modifié : corrigez-le avec le formulaire."
        )
    typed = (text or "").strip()
    if not typed:
        why = "Écrivez votre message à l'animateur."
        raise TransitionError(why, errors={"message": why})
    if why := text_too_long(typed, OWNER_TEXT_MAX):
        raise TransitionError(why, errors={"message": why})
    if _messages_today(session, need) >= MESSAGES_PER_DAY:
        raise TransitionError(
            "Vous avez déjà écrit plusieurs fois aujourd'hui à propos de ce besoin : "
            "l'animateur vous répondra. Pour une urgence, appelez la plateforme."
        )
    log_need_change(
        session, need, NEED, actor=actor, reason_text=f"{MESSAGE_FROM} ({email}) : {typed}"
    )
    tell_animateur(
        session,
        need,
        email=email,
        subject=f"Message de l'entreprise : {need.title}",
        message=f"{need.company.name} écrit à propos du besoin « {need.title} » depuis son "
        f"espace ({email}) : « {typed} »",
    )
