"""The machinery of the hostile battery (tests/test_hostile_*.py): the records it works on,
the URL of every route filled from them, the forms read from the pages as each role sees
them, the submissions, the watch on what reaches the database, and the report.

Every GET route of ``app.url_map`` is requested as every role, and every form action
(every POST route) is reached as every role: through the form its page shows when the role
owns the route, by a direct post when it does not (then refused, and nothing may change).
A route or form that is not reached fails the battery, unless it is on the reasoned
allow-lists below. The destructive forms (log out, delete, merge, disable, new link) run
in tests/test_hostile_destructive.py on records made for each submission, so that the
battery does not depend on the order of its parts.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from sqlalchemy import event, select

from connectences import accounts
from connectences.accounts import api_tokens
from connectences.clock import local_today
from connectences.content import photos
from connectences.cvtheque import bulk_import, consent, files
from connectences.events import catalogue, registrations
from connectences.extensions import db
from connectences.mail.kinds import MailKind
from connectences.models import (
    CallbackRequest,
    Candidate,
    Commitment,
    Company,
    CompanyContact,
    Diagnosis,
    DirectoryEntry,
    FollowUpPoint,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Operator,
    OutboxMessage,
    Partner,
    Placement,
    PlacementNeed,
    Referral,
    Visit,
    utcnow,
)
from connectences.needs import links
from connectences.newsletter import issues, unsubscribe
from connectences.prospection import diagnosis as questionnaire
from connectences.web.access import PUBLIC, route_roles
from tests import factories
from tests import hostile_values as hostile
from tests.cv_helpers import make_pdf
from tests.helpers import api_token_of, empty_domain_tables, qualify

ROOT = Path(__file__).resolve().parent.parent
ANONYMOUS = "anonyme"
ROLES = (
    ANONYMOUS,
    "admin",
    "animateur",
    "operator",
    "partner",
    "company",
    "candidate",
    "territoire",
)
TEXT_TYPES = {"text", "search", "email", "tel", "url", "password", "hidden", "date", "number"}
ATTRIBUTE_BREAKOUT = re.compile(r"[\"']\s*[a-z-]+\s*=", re.IGNORECASE)

# Forms that end the session or destroy the record they act on: each submission gets its
# own fresh record in tests/test_hostile_destructive.py (as every role).
DESTRUCTIVE_ENDPOINTS = frozenset(
    {
        "auth.logout",
        "cv_public.delete",
        "cv_public.revoke",
        "cv_public.remove_own",
        "library.delete_commitment",
        "directory.erase_contact",
        # Renames the company, changes its SIRET: the world's company stays as it is.
        "directory.details",
        # Deletes the provisional company it attaches to the record.
        "directory.attach_provisional",
        "library.erase_on_request",
        "library_admin.merge_pair",
        "admin.disable_user",
        "admin.enable_user",
        "admin.invite_again",  # the earlier invitation link stops working
        "events_staff.cancel",
    }
)

LOGGED_IN = frozenset(ROLES) - {ANONYMOUS}
EVERYONE = frozenset(ROLES)

# Owned POST routes whose form the owner does not see on any page, with why: (endpoint or
# rule, roles, reason). The battery posts to them directly (hostile fields, as a forged form
# would) and checks that nothing answers 500 and a refusal changes nothing.
BLIND_POSTS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("auth.login", LOGGED_IN, "la page de connexion renvoie une personne connectée chez elle"),
    ("auth.forgot_password", LOGGED_IN, "page réservée aux personnes non connectées"),
    ("auth.invitation", LOGGED_IN, "une invitation s'ouvre sans être connecté"),
    (
        "auth.confirm_password",
        LOGGED_IN,
        "demandée seulement quand la connexion date de plus de 15 minutes (la batterie vient"
        " de se connecter)",
    ),
    *(
        (
            endpoint,
            EVERYONE,
            "écriture de l'API JSON, sans formulaire : corps hostiles dans"
            " tests/test_hostile_input.py (3c)",
        )
        for endpoint in (
            "api_v1.move_need",
            "api_v1.qualify_need",
            "api_v1.propose_need",
            "api_v1.answer_lead",
            "api_v1.import_exchange",
        )
    ),
    (
        "auth.keep_alive",
        LOGGED_IN,
        "appelé par le script des pages pendant la saisie d'un formulaire, sans formulaire à lui",
    ),
    (
        "offline.sync",
        EVERYONE,
        "point d'entrée JSON du script hors ligne (corps JSON hostiles dans"
        " tests/test_hostile_input.py)",
    ),
    (
        "visits.follow_up",
        frozenset({"admin"}),
        "seul l'animateur qui a fait la visite voit sa relance (l'admin est refusé : 404)",
    ),
    (
        "leads.end_at_company",
        frozenset({"operator"}),
        "« Fin chez une entreprise » se montre pour un placement commencé d'au moins deux"
        " entreprises : celui de la batterie n'en a qu'une (voir"
        " tests/test_web_placement_company_end.py)",
    ),
    (
        "library.end_at_company",
        frozenset({"animateur", "admin"}),
        "« Fin chez une entreprise » se montre pour un placement commencé d'au moins deux"
        " entreprises : celui de la batterie n'en a qu'une ; l'admin, qui n'est pas partie"
        " au placement, ne le voit jamais (403) (voir tests/test_web_placement_company_end.py)",
    ),
    (
        "cv_public.skills_found",
        EVERYONE,
        "deuxième étape du dépôt de CV : montrée après la lecture d'un PDF, dans la session",
    ),
    ("need_public.sent", EVERYONE, "page montrée dans la session qui vient d'envoyer un besoin"),
    (
        "cv_public.thanks",
        EVERYONE,
        "correction d'adresse montrée dans la session qui vient de déposer un profil (voir"
        " tests/test_cv_public.py)",
    ),
    (
        "needs.attach_owner",
        frozenset({"animateur", "admin"}),
        "bouton montré seulement pour un besoin dont l'auteur n'est pas rattaché à l'entreprise"
        " (aucun dans les données de la batterie ; voir tests/test_web_need_public.py)",
    ),
    (
        "cv_public.space_skills",
        EVERYONE,
        "les compétences trouvées dans un nouveau CV attendent une confirmation dans la session",
    ),
    (
        "/candidat/mon-espace*",
        EVERYONE - {"candidate"},
        "l'espace en session est celui d'une personne connectée (les autres : 403 ou connexion)",
    ),
    (
        "/mon-cv/<token>*",
        frozenset({"candidate"}),
        "le lien personnel d'une autre personne est refusé à une personne connectée (403)",
    ),
)

# Pages opened a second time, for a form they show only then: (endpoint, arguments taken
# from other records of the world, query string).
EXTRA_PAGES = (
    ("needs.new", {}, "entreprise=c1"),  # the need form, once the company is chosen
    ("leads.show", {"lead_id": "placed_lead_id"}, ""),  # a placement's follow-up form
    ("events_staff.attendees", {"event_id": "begun_event_id"}, ""),  # its attendance form
)

# GET routes that answer an error to their owner on the battery's records, with why (any
# other 4xx to an owner fails, unless BLIND_POSTS says the owner does not reach it).
OWNER_GET_ERRORS: dict[str, str] = {
    "offline.round_data": "sans commune ni entreprises choisies, la tournée répond 400 en JSON",
    "api_v1.list_deletions": "sans le paramètre kind, la liste des suppressions répond 422"
    " (problème JSON)",
    "directory.attach_provisional": "sans le SIRET d'une fiche provisoire (?siret=), la page"
    " de rattachement répond 404 en le disant",
}

# Field names posted where no form of the route was read (a forged request).
FORGED_FIELDS = ("q", "name", "email", "notes", "text", "comment", "reason", "status", "action")

# Tables a refused request may write to: the audit log of the refusal, the last use of the
# login session, the login throttle.
BOOKKEEPING_TABLES = frozenset({"audit_log", "login_session", "login_throttle"})
# Columns a refused request may update: a person who opens their personal link came back,
# and their retention period starts again (``consent.touch``), whatever they send then.
BOOKKEEPING_COLUMNS = {
    "candidate": frozenset({"last_contact_at", "updated_at"}),
    # A token's last use, written at most once a minute (api_tokens.LAST_USE_STEP) by any
    # request it authenticates, refused or not: a slow run crosses that minute.
    "api_token": frozenset({"last_used_at"}),
}


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    users: dict[str, object]
    params: dict[str, object]  # "endpoint:name", "blueprint:name" or "name" -> URL value
    tmp: Path

    @property
    def cv_dir(self) -> Path:
        return self.tmp / "cv"


def _photo() -> bytes:
    """A small JPEG for the testimonial's photo pages."""
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (30, 90, 140)).save(out, "JPEG")
    return out.getvalue()


def make_world(app, auth, tmp_path) -> World:
    """The records the battery works on: one of each kind, each role's user, every token."""
    factories.load(
        factories.document(
            operators=[factories.operator(ref="ge")],
            partners=[factories.partner(ref="ft")],
            companies=[
                factories.company(ref="c1"),
                factories.company(ref="c2", commune=factories.GUJAN),
            ],
            candidates=[
                factories.candidate(ref="p1", days=["tue", "thu"], hours_min=7),
                factories.candidate(ref="p2"),
                # p3 is p1 again under another address: the duplicate pair.
                factories.candidate(ref="p3", last_name="Exemple-doublon"),
                # p4 has no account: its personal link shows the account form.
                factories.candidate(ref="p4"),
            ],
            needs=[
                factories.need(ref="n1", company="c1"),
                factories.need(ref="n2", company="c1"),
                # b1 and b2 make one shared-time post (two companies, two days).
                factories.need(ref="b1", company="c1", days=["tue"]),
                factories.need(ref="b2", company="c2", days=["thu"], hours_per_week=14),
            ],
        )
    )
    qualify("b1", "b2")

    def one(model, ref):
        return db.session.scalar(select(model).where(model.ref == ref))

    p1, p2, p3, p4 = (one(Candidate, r) for r in ("p1", "p2", "p3", "p4"))
    ge, ft, c1 = one(Operator, "ge"), one(Partner, "ft"), one(Company, "c1")
    n1, n2 = one(Need, "n1"), one(Need, "n2")
    p3.confirmed_at = None
    for person in (p1, p2, p4):  # their CV pages download a file
        person.cv_filename = files.store_pdf(make_pdf(f"CV de {person.first_name}"))
    c1.newsletter_consent = True  # the newsletter form shows
    n1.owner_email = "patron@exemple.fr"
    lead = Lead(operator_id=ge.id, status="accepte")
    lead.needs.append(LeadNeed(need=n1))
    lead.candidates.append(LeadCandidate(candidate_id=p1.id))
    placed = Lead(operator_id=ge.id, status="place")
    placed.needs.append(LeadNeed(need=n2))
    placed.candidates.append(LeadCandidate(candidate_id=p1.id))
    referral = Referral(partner_id=ft.id, need_id=n1.id)
    contact = CompanyContact(company=c1, name="Jeanne Martin", email="jeanne@c1.fr")
    commitment = Commitment(candidate=p1, label="Boulangerie", hours_per_week=7, days=["mon"])
    # Work in their week: their personal space offers "plus d'heures" / "complet".
    # Each changed by its owner (cv_public.edit_own): p4 through its link, p2 under the
    # job seeker's session.
    own = {
        person.ref: Commitment(
            candidate=person, label="Ostréiculture", hours_per_week=6, days=["fri"]
        )
        for person in (p2, p4)
    }
    db.session.add_all(own.values())
    failed_mail = OutboxMessage(
        kind=MailKind.ACCOUNT_INVITATION,
        to="echec@exemple.fr",
        subject="Non remis",
        body_text="x",
        status="failed",
    )
    # p1's address was changed from its space (p1: the staff's record pages open it):
    # the former one was told, and its record offers the staff to put it back.
    left_address = OutboxMessage(
        kind=MailKind.CV_ADDRESS_CHANGED,
        to="ancienne.adresse@exemple.fr",
        subject="Adresse changée",
        body_text="x",
        candidate_id=p1.id,
        status="sent",
    )
    # A partner switched off: the administrator's organisations page offers to reactivate it.
    closed = Partner(
        ref="ancien", name="Ancien partenaire", kind="mission_locale",
        email="ancien@exemple.fr", active=False,
    )  # fmt: skip
    db.session.add_all(
        [lead, placed, referral, contact, commitment, failed_mail, left_address, closed]
    )
    db.session.flush()
    placement = Placement(
        lead_id=placed.id,
        candidate_id=p1.id,
        hours_per_week=7,
        contract="cdi_temps_partage",
        start_date=date(2026, 9, 1),
    )
    placement.needs.append(PlacementNeed(need_id=n2.id))
    point = FollowUpPoint(months=1, due_on=date(2026, 10, 1))
    placement.follow_ups.append(point)
    db.session.add(placement)
    p1.status = "en_mission"  # as recording the placement makes them (its operator's week page)
    db.session.commit()

    users = {
        "admin": auth.create("admin"),
        "animateur": auth.create("animateur"),
        "operator": auth.create("operator", org_ref="ge"),
        "partner": auth.create("partner", org_ref="ft"),
        "company": auth.create("company", org_ref="c1"),
        "candidate": auth.create("candidate", org_ref="p2"),
        "territoire": auth.create("territoire"),
    }
    spare = auth.create("animateur")  # the account the admin pages act on
    # A live API token of the spare account, for the admin's revoke form.
    api_token, _ = api_tokens.issue_token(
        db.session, owner_email=spare.email, name="Outil", days=30, actor=users["admin"]
    )
    visit = Visit(
        company_id=c1.id,
        animateur_id=users["animateur"].id,
        channel="porte_a_porte",
        visited_on=date(2026, 11, 2),
        follow_up_on=date(2026, 12, 1),
    )
    db.session.add(visit)
    # A GPECT questionnaire mailed to c1's owner, for the owner's page.
    diagnosis = Diagnosis(company_id=c1.id, source="lien", sent_to="patron@c1.fr", sent_at=utcnow())
    db.session.add(diagnosis)
    csv_text = (
        ";".join(bulk_import.HEADERS)
        + "\nCamille;Import;camille.import@exemple.fr\n"
        + "Sans;Adresse;pas-une-adresse\n"  # an invalid row: the error file has a line
    )
    batch, done = (
        bulk_import.preview(
            db.session,
            f"import{n}.csv",
            csv_text.encode(),
            source="forum",
            actor=users["animateur"],
        ).batch
        for n in (1, 2)
    )
    bulk_import.confirm(db.session, done, actor=users["animateur"])  # its error file
    invitation = accounts.invite(db.session, "invitee@exemple.fr", "animateur", None, None)
    # What the platform tells companies (#15): a public resource, a testimonial shown on
    # the site, an operator's proposed entry and a call-back request for the animateur.
    resource = factories.resource_row()
    testimonial = factories.testimonial_row(
        n1, photo=photos.store_photo(db.session, _photo()), photo_alt="La gérante"
    )
    entry = DirectoryEntry(operator_id=ge.id, proposed={"offer": "Offre", "audience": "TPE"})
    callback = CallbackRequest(
        name="Marie", phone="0612345678", best_time="matin", topic="recrutement",
        animateur_id=users["animateur"].id,
    )  # fmt: skip
    db.session.add_all([resource, testimonial, entry, callback])
    # An event with one registration (its links), and a newsletter issue.
    gathering = catalogue.create_event(
        db.session,
        {
            "kind": "webinaire", "title": "Webinaire", "audience": "tous",
            "day": date.fromordinal(local_today().toordinal() + 30).isoformat(),
            "start": "10:00", "end": "11:00", "link": "https://visio.exemple.fr/a",
            "capacity": "10",
        },
        by=users["animateur"],
    )  # fmt: skip
    db.session.flush()
    registrant = registrations.register(
        db.session, gathering, {"name": "Ana", "email": "ana@exemple.fr"}
    )
    # An event that has begun: its attendance form.
    begun = catalogue.create_event(
        db.session,
        {
            "kind": "job_dating", "title": "Job dating", "audience": "tous",
            "day": date.fromordinal(local_today().toordinal() + 30).isoformat(),
            "start": "10:00", "end": "11:00", "place": "Salle des fêtes", "capacity": "10",
        },
        by=users["animateur"],
    )  # fmt: skip
    begun.starts_at = utcnow() - timedelta(hours=1)
    begun.ends_at = utcnow() + timedelta(hours=1)
    issue = issues.create_issue(
        db.session,
        {"subject": "Lettre", "introduction": "Bonjour.", "blocks": ["evenements"]},
        by=users["animateur"],
    )
    archived = issues.create_issue(
        db.session,
        {"subject": "Lettre envoyée", "introduction": "Bonjour.", "blocks": ["evenements"]},
        by=users["animateur"],
    )
    issues.queue_issue(db.session, archived, by=users["animateur"])
    db.session.commit()
    issues.send_queued(db.session, today=local_today())

    secret = app.secret_key
    with app.test_request_context():
        static_file = next(p for p in sorted(Path(app.static_folder).rglob("*.css")))
        params = {
            "fmt": "csv",
            "static:filename": static_file.relative_to(app.static_folder).as_posix(),
            "needs:ref": "n1",
            "library:ref": "p1",
            "library:commitment_id": commitment.id,
            "library_admin:a_id": p1.id,
            "library_admin:b_id": p3.id,
            "library_admin:token": batch.token,
            "library_admin.import_errors:token": done.token,
            "directory:ref": "c1",
            "content:slug": resource.slug,
            "content:testimonial_id": testimonial.id,
            "content_staff:resource_id": resource.id,
            "content_staff:testimonial_id": testimonial.id,
            "content_staff:entry_id": entry.id,
            "content_staff:request_id": callback.id,
            "directory:contact_id": contact.id,
            "diagnosis:ref": "c1",
            "diagnosis:key": "difficulte",
            "diagnosis_public:token": questionnaire.link_token(secret, diagnosis),
            "visits:visit_id": visit.id,
            "operators:ref": "p1",
            "leads:lead_id": lead.id,
            "leads.follow_up:lead_id": placed.id,
            "placed_lead_id": placed.id,
            "begun_event_id": begun.id,
            "leads:candidate_id": p1.id,
            "leads:point_id": point.id,
            "placement_id": placement.id,
            "referrals:referral_id": referral.id,
            "admin:user_id": spare.id,
            "admin:token_id": api_token.id,
            "admin:side_word": "partenaire",
            "admin:org_id": users["partner"].partner_id,
            "api_v1:ref": "n1",
            "api_v1.get_companies:ref": "c1",
            "api_v1.get_candidates:ref": "p1",
            "api_v1.get_operators:ref": "ge",
            "api_v1.get_partners:ref": "ft",
            "api_v1.get_leads:ref": str(lead.id),
            "api_v1.answer_lead:ref": str(lead.id),
            "api_v1.get_referrals:ref": str(referral.id),
            "api_v1.get_events:ref": str(gathering.id),
            "api_v1.get_resources:ref": resource.slug,
            "cv_public:token": consent.space_token(p4),
            "cv_public:commitment_id": own["p4"].id,
            "/candidat/mon-espace/engagements/<int:commitment_id>:commitment_id": own["p2"].id,
            "cv_public.confirm:token": consent.confirmation_token(p3),
            "need_public.space:token": links.space_token(secret, n1.owner_email),
            "need_public.stop:token": links.space_token(secret, n1.owner_email),
            "need_public.stop:ref": n1.ref,
            "companies.stop:ref": n1.ref,
            "need_public.edit:token": links.space_token(secret, n1.owner_email),
            "need_public.edit:ref": n1.ref,
            "companies.edit:ref": n1.ref,
            "need_public.preferences:token": links.space_token(secret, n1.owner_email),
            "need_public.preferences:ref": n1.company.ref,
            "companies.preferences:ref": n1.company.ref,
            "need_public.details:token": links.space_token(secret, n1.owner_email),
            "need_public.details:ref": n1.company.ref,
            "companies.details:ref": n1.company.ref,
            "need_public.confirm:token": links.confirmation_token(secret, n1.id, n1.owner_email),
            "auth:token": invitation,
            "observatory:siren": factories.COBAS,
            "observatory:key": "communes",
            "observatory:month": "2026-05",
            "observatory.report_file:fmt": "html",
            "events:event_id": gathering.id,
            "events_staff:event_id": gathering.id,
            "events.confirm:token": registrations.confirm_token(registrant),
            "events.cancel:token": registrations.cancel_token(registrant),
            "newsletter:issue_id": issue.id,
            "newsletter.mail_preview:fmt": "html",
            "newsletter_public:issue_id": archived.id,
            "newsletter_public:token": unsubscribe.unsubscribe_token(c1, c1.contact_email),
        }
    return World(users=users, params=params, tmp=tmp_path)


def fill(app, world: World, rule, params: dict | None = None) -> str:
    """The URL of ``rule`` (this rule, not another of its endpoint) with its arguments taken
    from the world's records (or from ``params``, which wins), by the rule's own key
    first; fails when one has no value."""
    params = {**world.params, **(params or {})}
    blueprint = rule.endpoint.split(".")[0]
    values = dict(rule.defaults or {})
    for name in rule.arguments - set(values):
        for key in (f"{rule.rule}:{name}", f"{rule.endpoint}:{name}", f"{blueprint}:{name}", name):
            if key in params:
                values[name] = params[key]
                break
        else:
            raise AssertionError(f"no record fills <{name}> of {rule.rule}")
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"cannot build {rule.rule} from {values}"
    return built[1]


def routes(app, method: str) -> list:
    """The rules of ``app`` answering ``method``, in a stable order."""
    return sorted(
        (r for r in app.url_map.iter_rules() if method in r.methods),
        key=lambda r: r.rule,
    )


def owns(app, role: str, rule) -> bool:
    roles = route_roles(app, rule.endpoint)
    return roles == PUBLIC or (role != ANONYMOUS and role in roles)


def rule_of(app, path: str, method: str):
    """The rule a form's action lands on (None for a path outside the application)."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, _ = adapter.match(path, method=method.upper(), return_rule=True)
    except Exception:  # noqa: BLE001 (NotFound, MethodNotAllowed, RequestRedirect)
        return None
    return rule


def client_for(app, auth, world: World, role: str):
    client = app.test_client()
    if role != ANONYMOUS:
        user = world.users[role]
        response = auth.post_login(user.email, client=client)
        assert response.status_code == 302, f"login as {role} failed"
        # The JSON API authenticates by token only: every request carries the role's own
        # (the web's pages ignore the header).
        secret = api_token_of(user, days=1)
        db.session.commit()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


# --------------------------------------------------------------------------- forms


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> sample values
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type
    rule: object = None

    @property
    def free(self) -> list[str]:
        return [n for n, kind in self.kinds.items() if kind in TEXT_TYPES | {"textarea"}]


class FormReader(HTMLParser):
    """The forms of a page: action, method, and each named field with a usable value."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(
                page=self.page,
                action=urlsplit(a.get("action") or self.page).path or urlsplit(self.page).path,
                method=(a.get("method") or "get").lower(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            name = a["name"]
            self._form.kinds.setdefault(name, kind)
            value = a.get("value", "")
            if kind in ("checkbox", "radio"):
                self._form.fields.setdefault(name, [])
                if not self._form.fields[name]:
                    self._form.fields[name].append(value or "y")
            else:
                self._form.fields.setdefault(name, [value])
        elif tag == "textarea":
            self._form.kinds.setdefault(a["name"], "textarea")
            self._form.fields.setdefault(a["name"], [""])
        elif tag == "select":
            self._select = a["name"]
            self._form.kinds.setdefault(a["name"], "select")
            self._form.fields.setdefault(a["name"], [])
        if tag == "option" and self._select and self._form is not None:
            options = self._form.fields[self._select]
            if a.get("value") and not options:
                options.append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(app, url: str, response) -> list[Form]:
    reader = FormReader(url)
    reader.feed(response.get_data(as_text=True))
    for form in reader.forms:
        form.rule = rule_of(app, form.action, form.method)
    return [form for form in reader.forms if form.rule is not None]


def baseline(form: Form) -> dict:
    return {name: values[0] if values else "" for name, values in form.fields.items()}


def submit(client, form: Form, data: dict, files: dict | None = None):
    if form.method == "get":
        return client.get(form.action, query_string=data)
    payload = dict(data)
    if form.multipart:
        payload.update(files or {})
        return client.post(form.action, data=payload, content_type="multipart/form-data")
    return client.post(form.action, data=payload)


def hostile_payloads(form: Form, values: Iterator, serial: int) -> Iterator[tuple[str, dict, dict, dict | None]]:  # fmt: skip
    """One submission per category: every field hostile at once (free-text fields always,
    choices and ids with SQL and script values too); the values turn from field to field
    and from form to form, so that each one is used. Yields (category, data, sent, files)."""
    for category in hostile.CATEGORIES:
        data = baseline(form)
        sent = {}
        for name in form.fields:
            if name == "csrf_token":
                continue
            chosen, value = next(values)
            while chosen != category:
                chosen, value = next(values)
            if name in form.free or category in ("sql", "xss"):
                data[name] = value
                sent[name] = value
        files = None
        if form.multipart:
            name = next((n for n, kind in form.kinds.items() if kind == "file"), "cv")
            traversal = hostile.TRAVERSAL[(serial + len(sent)) % len(hostile.TRAVERSAL)]
            files = {name: (io.BytesIO(make_pdf("CV de test")), traversal)}
            data.pop(name, None)
        yield category, data, sent, files


def cycle_values() -> Iterator[tuple[str, str]]:
    return itertools.cycle(hostile.all_text_values())


# --------------------------------------------------------------------------- the watch


WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
SET_COLUMNS = re.compile(r"\bSET\s+(.*?)\s+WHERE\b", re.IGNORECASE | re.DOTALL)


class WriteWatch:
    """The tables that committed transactions wrote to, read from the statements sent to
    the database: a write rolled back does not count, one committed does."""

    def __init__(self, engine):
        self.engine = engine
        self._pending: set[str] = set()
        self._committed: set[str] = set()

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        match = WRITE.match(statement)
        if not match:
            return
        verb, table = match.group(1).upper(), match.group(2).lower()
        if verb == "UPDATE" and table in BOOKKEEPING_COLUMNS:
            assignments = SET_COLUMNS.search(statement)
            columns = {
                part.split("=")[0].strip().strip('"').lower()
                for part in (assignments.group(1).split(",") if assignments else ["?"])
            }
            if columns <= BOOKKEEPING_COLUMNS[table]:
                return
        self._pending.add(table)

    def _commit(self, conn):
        self._committed |= self._pending
        self._pending = set()

    def _rollback(self, conn):
        self._pending = set()

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def take(self) -> set[str]:
        """The tables written and committed since the last call, bookkeeping left out."""
        written, self._committed = self._committed - BOOKKEEPING_TABLES, set()
        return written


def refused(response) -> bool:
    """Whether a POST was turned away: an error status, the form sent back (200), or a
    redirection to the login or password confirmation page."""
    if response.status_code >= 400 or response.status_code == 200:
        return True
    location = response.headers.get("Location", "")
    return response.status_code in (301, 302, 303) and (
        "/connexion" in location or "/confirmer-mot-de-passe" in location
    )


# --------------------------------------------------------------------------- outcome


@dataclass
class Outcome:
    rows: list[list[str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    reached: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    forms: set[tuple[str, str, str]] = field(default_factory=set)  # role, method, rule
    requests: int = 0

    def reach(self, role: str, rule, method: str) -> None:
        self.reached.setdefault(role, set()).add((rule.rule, method))

    def record(self, category, value, where, response, *, check_reflection=True):
        text = value if isinstance(value, str) else value.decode("latin-1")
        self.used.add(repr(value))
        status = response.status_code
        outcome = f"HTTP {status}"
        if status >= 500:
            self.failures.append(f"{where}: {status} for {value!r}")
            outcome += " — ERREUR SERVEUR"
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if check_reflection and body and dangerous(text) and text in body:
            at = body.find(text)
            context = body[max(0, at - 120) : at + len(text) + 40]
            self.failures.append(f"{where}: {value!r} shown unescaped in …{context!r}")
            outcome += " — AFFICHÉ SANS ÉCHAPPEMENT"
        elif body and dangerous(text):
            outcome += ", échappé ou absent"
        self.rows.append([category, repr(value)[:300], where, outcome])

    def check_refusal(self, where: str, response, watch: WriteWatch) -> None:
        """A refused post changed nothing (bookkeeping aside); a 500 is a failure."""
        self.requests += 1
        written = watch.take()
        if response.status_code >= 500:
            self.failures.append(f"{where}: {response.status_code}")
        if refused(response) and written:
            self.failures.append(
                f"{where}: refused ({response.status_code}) but wrote {sorted(written)}"
            )


def dangerous(text: str) -> bool:
    """Whether ``text``, shown raw, would open a tag or add an attribute to one."""
    return "<" in text or ">" in text or bool(ATTRIBUTE_BREAKOUT.search(text))


# --------------------------------------------------------------------------- the battery


def run_forms(app, auth, tmp_path, roles: tuple[str, ...], out: Outcome) -> None:
    """As each role, on a world of its own (what one role's hostile posts changed never
    decides what the next one sees): every GET route, every form its pages show (hostile
    values, one submission per category), every other POST route by a forged post
    (refused, nothing changed). Then every page again: nothing stored is shown unescaped;
    no mail header holds a line break, no file lands outside the CV folder."""
    values = cycle_values()
    all_values = hostile.all_text_values()
    for role in roles:
        empty_domain_tables()
        folder = tmp_path / role
        app.instance_path = str(folder)
        world = make_world(app, auth, folder)
        client = client_for(app, auth, world, role)
        with WriteWatch(db.engine) as watch:
            pages = pages_of(app, world)
            forms: dict[tuple, Form] = {}
            for rule, url in pages:
                response = client.get(url)
                db.session.rollback()
                out.requests += 1
                out.reach(role, rule, "GET")
                if response.status_code >= 500:
                    out.failures.append(f"{role} GET {url}: {response.status_code}")
                elif (
                    response.status_code >= 400
                    and owns(app, role, rule)
                    and not blind_reason(rule, role)
                    and rule.endpoint not in OWNER_GET_ERRORS
                ):
                    out.failures.append(f"{role} GET {url}: {response.status_code} to its owner")
                if response.status_code != 200 or response.mimetype != "text/html":
                    response.close()
                    continue
                found = forms_of(app, url, response)
                response.close()
                for form in found:
                    if form.rule.endpoint in DESTRUCTIVE_ENDPOINTS:
                        continue
                    key = (form.method, form.action, tuple(sorted(form.fields)))
                    forms.setdefault(key, form)
            watch.take()

            # The forms the pages show.
            for serial, form in enumerate(forms.values()):
                for category, data, sent, files in hostile_payloads(form, values, serial):
                    response = submit(client, form, data, files)
                    db.session.rollback()
                    where = f"{role} {form.method.upper()} {form.action}"
                    out.forms.add((role, form.method, form.rule.rule))
                    if form.method == "post":
                        out.check_refusal(where, response, watch)
                        out.reach(role, form.rule, "POST")
                    else:
                        out.requests += 1
                        watch.take()
                    for name, value in sent.items():
                        out.record(category, value, f"{where} [{name}]", response)
                    if not sent:
                        out.rows.append([category, "(aucun champ libre)", where, f"HTTP {response.status_code}"])  # fmt: skip

            # Every other POST route: forged when not owned, blind when its form is hidden.
            seen = {form.rule.rule for form in forms.values() if form.method == "post"}
            for rule in routes(app, "POST"):
                if rule.endpoint in DESTRUCTIVE_ENDPOINTS or rule.rule in seen:
                    continue
                mine = owns(app, role, rule)
                reason = blind_reason(rule, role)
                if mine and reason is None:
                    continue  # not reached: check_reached says so
                url = fill(app, world, rule)
                category, value = next(values)
                data = {name: value for name in FORGED_FIELDS}
                response = client.post(url, data=data)
                db.session.rollback()
                where = f"{role} POST {url} ({'forgé' if not mine else 'direct: ' + reason})"
                out.check_refusal(where, response, watch)
                if not mine and response.status_code not in (302, 401, 403):
                    out.failures.append(f"{where}: not refused ({response.status_code})")
                out.record(category, value, where, response)
                out.reach(role, rule, "POST")

            # Stored values are never shown unescaped: every page again.
            for rule, url in pages:
                response = client.get(url)
                db.session.rollback()
                out.requests += 1
                if response.status_code >= 500:
                    out.failures.append(f"after the battery, {role} GET {url}: 500")
                body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                response.close()
                for category, value in all_values:
                    if category == "xss" and value in body:
                        out.failures.append(f"stored and shown unescaped on {url}: {value!r}")
        check_mail_and_files(world, out)


def pages_of(app, world: World) -> list[tuple[object, str]]:
    """Every GET route's URL, and the extra pages reached with a query string."""
    pages = []
    for rule in routes(app, "GET"):
        pages.append((rule, fill(app, world, rule)))
        for endpoint, others, query in EXTRA_PAGES:
            if endpoint == rule.endpoint:
                params = {f"{endpoint}:{k}": world.params[v] for k, v in others.items()}
                url = fill(app, world, rule, params)
                pages.append((rule, f"{url}?{query}" if query else url))
    return pages


def blind_reason(rule, role: str) -> str | None:
    """Why ``role`` owns ``rule`` yet does not see it (BLIND_POSTS), or None; a target
    ending in ``*`` stands for every rule it begins."""
    for target, roles, reason in BLIND_POSTS:
        matches = target in (rule.endpoint, rule.rule) or (
            target.endswith("*") and rule.rule.startswith(target[:-1])
        )
        if matches and role in roles:
            return reason
    return None


def check_mail_and_files(world: World, out: Outcome) -> None:
    """No line break in a queued mail's headers, no file outside the CV and photo folders."""
    for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        for part in (message.to, message.subject, message.reply_to or ""):
            if any(ch in part for ch in "\r\n\u2028\u0085"):
                out.failures.append(f"mail header with a line break: {part!r}")
    for path in world.tmp.rglob("*"):
        in_cv_folder = path.parent == world.cv_dir and path.name.endswith(".pdf")
        # The world's testimonial photo, re-encoded into each instance's photos folder.
        in_photo_folder = path.parent.name == "photos" and path.suffix == ".jpg"
        expected = (
            in_cv_folder
            or in_photo_folder
            or path.suffix in (".sqlite3", ".log")
            or "secret_key" in path.name
        )
        if path.is_file() and not expected:
            out.failures.append(f"unexpected file written: {path}")


def check_reached(app, out: Outcome, roles: tuple[str, ...], *, destructive: bool) -> None:
    """Every GET and POST route of the url_map reached as each role (the destructive
    forms in their own module, the others here)."""
    for role in roles:
        expected = set()
        for method in ("GET", "POST"):
            for rule in routes(app, method):
                if method == "POST" and (rule.endpoint in DESTRUCTIVE_ENDPOINTS) != destructive:
                    continue
                if method == "GET" and destructive:
                    continue
                expected.add((rule.rule, method))
        missing = expected - out.reached.get(role, set())
        for rule, method in sorted(missing):
            out.failures.append(
                f"{role}: {method} {rule} never reached (no form on the pages it opens, and"
                " not on the allow-list BLIND_POSTS)"
            )


def write_report(out: Outcome, part: str) -> Path:
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    path = folder / f"hostile-input-{part}-{db.engine.dialect.name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["catégorie", "entrée", "où", "résultat"])
        writer.writerows(out.rows)
        writer.writerow([])
        routes_reached = {item for reached in out.reached.values() for item in reached}
        writer.writerow(["rôles", str(len(out.reached))])
        writer.writerow(["formulaires (rôle × formulaire)", str(len(out.forms))])
        writer.writerow(["routes atteintes (méthode × route)", str(len(routes_reached))])
        writer.writerow(["valeurs hostiles", str(len(out.used))])
        writer.writerow(["requêtes", str(out.requests)])
        writer.writerow(["échecs", str(len(out.failures))])
        for failure in out.failures:
            writer.writerow(["échec", "", "", failure])
    return path


# The roles of each module of the battery (pytest-xdist shares whole modules between its
# workers): together, every role once (tests/test_hostile_input.py checks it).
SLICES = {
    "admin": ("admin",),
    "animateur": ("animateur",),
    "public": (ANONYMOUS, "candidate"),
    "operators": ("operator", "partner"),
    "companies": ("company", "territoire"),
}


def run_slice(app, auth, tmp_path, monkeypatch, part: str) -> Outcome:
    """Run the form battery as the roles of ``part``, check every route was reached, write
    the report; fails the test on the first fifty failures."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # put back after the test
    out = Outcome()
    roles = SLICES[part]
    run_forms(app, auth, tmp_path, roles, out)
    check_reached(app, out, roles, destructive=False)
    write_report(out, part)
    assert not out.failures, "\n".join(out.failures[:50])
    return out
