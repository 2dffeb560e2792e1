"""News of a need for its owner: one short mail when it moves on in a way that changes
what they wait for. Confided to an operator (who will call them), re-oriented to a
partner (who will call them), filled (a person starts on a date): the same sentence
their space shows (``status_words.status_for_company`` with ``owner_holders``), what
comes next, and the link to that space. No call is promised when nobody at the
structure holding it could make one (``UNANSWERED``).

The back-and-forth behind it is not theirs to follow: an operator refusing or handing
a need back puts it back in the search without a word to them; the structure that takes
it on next is named in a mail of its own (the one that will call them now).

Whom it goes to: the address the owner posted the need with, else the company's
registered contact address (the one its space link answers to), never anyone else's;
a need whose space that address would not open (the staff entered it for a company
with no address) is told to nobody. A company that asked not to be solicited
(``do_not_solicit``) still hears of a need its owner posted themselves, as the answer
to their own request, like the mail confirming it; not of one the staff entered for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app

from connectences.contacts import email_key
from connectences.mail import MailKind, queue_template
from connectences.models import Need
from connectences.needs import links
from connectences.needs.register import followed_need, reply_to_for, space_token
from connectences.needs.status_words import HELD_BY_CHOICE, held_by, status_for_company
from connectences.urls import external_url
from connectences.workflows import NeedState

# The moments an owner hears of: the subject (the need's title in it), what comes next.
_CALL_COMING = "Attendez son appel dans les prochains jours : vous n'avez rien à faire d'ici là."
MOMENTS: dict[str, tuple[str, str]] = {
    NeedState.PROPOSE: ("« {title} » : une structure va vous appeler", _CALL_COMING),
    NeedState.REORIENTE: ("« {title} » : un partenaire de l'emploi va vous appeler", _CALL_COMING),
    NeedState.POURVU: (
        "« {title} » est pourvu",
        "La structure qui a recruté cette personne reste votre interlocutrice pour la suite.",
    ),
}
# The same moments when none of the structures holding the need has a member who can
# answer on the platform (``status_words.Held.unanswered``): no call is promised; the
# animateur, warned when sending it, follows it up and reads the owner's answers.
# (The mail ends « Une question ? Répondez simplement à ce message. »: the answer
# reaches the animateur, ``register.reply_to_for``.)
_FOLLOWED = (
    "L'animateur de la plateforme fait le lien avec elle : vous n'avez rien à faire d'ici là."
)
UNANSWERED: dict[str, tuple[str, str]] = {
    NeedState.PROPOSE: ("« {title} » : confié à une structure de temps partagé", _FOLLOWED),
    NeedState.REORIENTE: ("« {title} » : transmis à un partenaire de l'emploi", _FOLLOWED),
}


def news_address(session, need: Need) -> str | None:
    """Where news of ``need`` goes (see the module's doc), or None: nobody to tell."""
    company = need.company
    for address, posted_it in ((need.owner_email, True), (company.contact_email, False)):
        if not email_key(address):
            continue
        if company.do_not_solicit and not posted_it:
            return None
        # The link must open a space that shows this need.
        if followed_need(session, address, need.ref) is not None:
            return address
    return None


# The person placed left the company and works on elsewhere (a shared-time placement
# that keeps its other companies, ``workflows.leads.end_at_company``): the need, filled,
# is being searched again. Unlike a refusal behind the scenes, this changes what the
# owner lives with (nobody comes any more), so they hear it.
LEFT: tuple[str, str] = (
    "« {title} » : la personne recrutée ne travaille plus chez vous",
    "Nous recherchons de nouveau quelqu'un pour ce besoin : vous serez prévenu dès qu'une "
    "structure le prend en charge.",
)


# The person placed left another company of the same shared-time placement and works on
# for this one: its need stays filled, but the week it shares changed. The sentence of
# their space (``owner_holders``) says with how many companies it is shared now; the
# company left is not named, nor why it ended: that is not theirs to know.
STILL_PLACED: tuple[str, str] = (
    "« {title} » : la personne recrutée continue chez vous",
    "Une entreprise avec laquelle elle partageait sa semaine ne l'emploie plus ; elle "
    "continue de travailler chez vous comme prévu, vous n'avez rien à faire.",
)


# What comes next for a need back in the search (:data:`LEFT`) while its company asks not
# to be solicited (``status_words.HELD_BY_CHOICE`` is then its sentence).
HELD_NEXT_STEP = (
    "Tant que ce choix tient, nous ne le confions à aucune structure : si vous souhaitez "
    "qu'une structure le prenne en charge, modifiez vos préférences de contact."
)


def tell_owners(session, needs: Sequence[Need]) -> int:
    """Queue, for each of ``needs`` that has just moved to one of :data:`MOMENTS`, the
    mail telling its owner (``news_address``); how many were queued. Called once the
    move and what holds the need now (its lead, referral or placement) are in the
    session."""
    return sum(_tell(session, need, MOMENTS.get(need.status)) for need in dict.fromkeys(needs))


def tell_owner_left(session, need: Need) -> int:
    """Queue the mail telling the owner of ``need`` that the person placed no longer
    works for them (:data:`LEFT`), with where it stands now; 1 when queued, else 0."""
    return _tell(session, need, LEFT)


def tell_owner_still_placed(session, need: Need) -> int:
    """Queue the mail telling the owner of ``need`` that the person placed works on for
    them after leaving another company of the placement (:data:`STILL_PLACED`); 1 when
    queued, else 0."""
    return _tell(session, need, STILL_PLACED)


def _tell(session, need: Need, moment: tuple[str, str] | None) -> int:
    to = news_address(session, need) if moment else None
    if to is None:
        return 0
    held = held_by(session, [need])
    if need.id in held.unanswered:
        moment = UNANSWERED.get(need.status, moment)
    subject, next_step = moment
    said = status_for_company(need, holders=held.said)
    posted_it = email_key(to) == email_key(need.owner_email)
    token = space_token(session, current_app.secret_key, to)
    preferences = None
    if said == HELD_BY_CHOICE:
        # Back in the search while the company asks not to be solicited: no structure
        # takes it on unless the owner changes that choice; where to change it.
        next_step = HELD_NEXT_STEP
        preferences = external_url("need_public.preferences", token=token, ref=need.company.ref)
    queue_template(
        session,
        kind=MailKind.NEED_NEWS,
        to=to,
        subject=subject.format(title=need.title),
        template="need_news",
        reply_to=reply_to_for(session, need),
        name=need.owner_name if posted_it else None,
        need=need,
        said=said,
        next_step=next_step,
        preferences=preferences,
        link=external_url("need_public.space", token=token),
        days=links.space_days(),
    )
    return 1
