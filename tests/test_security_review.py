"""Security review: attacks from outside (anonymous visitor) or from a logged-in user of
the wrong organisation, each one a regression test of a hole that was found and fixed."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from datetime import UTC, date, datetime
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select

from connectences.accounts.passwords import is_closed
from connectences.clock import local_today
from connectences.cvtheque import consent
from connectences.cvtheque.erase import erase_candidate
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import Candidate, Need, User, Visit
from connectences.web.errors import NUL_MESSAGE, NUL_RETRY_MESSAGE
from connectences.web.held import INVISIBLE_REMOVED, NOTICES
from tests import factories
from tests.cv_helpers import form_data, link_in, post_multipart, private_cv_folder
from tests.helpers import (
    audit_entries,
    html_of,
    mails_to,
    make_company,
    page_text,
    read_stamp_at,
    resolve_link_requests,
    same_page,
)
from tests.known_secrets import PASSWORD


def _spaces(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture(autouse=True)
def cv_dir(app, tmp_path, monkeypatch):
    yield from private_cv_folder(app, tmp_path, monkeypatch)


def load_candidate(ref: str, email: str) -> Candidate:
    factories.load(factories.document(candidates=[factories.candidate(ref=ref, email=email)]))
    return db.session.scalars(select(Candidate).where(Candidate.ref == ref)).one()


def submitted_and_confirmed(client, email: str) -> str:
    """A person submits the public form and confirms from the mail; their space path."""
    assert post_multipart(client, "/deposer-mon-cv", form_data(email=email)).status_code == 302
    path = link_in(mails_to(email)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    response = client.post(path)
    assert response.status_code == 302
    space = response.headers["Location"]
    client.get(space)  # clears the flash
    return space


# --------------------------------------------------------------------------- signed links


def test_a_deleted_persons_space_link_never_opens_whoever_gets_their_id_next(client):
    # Finding: the space token named the record by id only; SQLite hands the highest id
    # out again after a deletion, so an old link opened a stranger's profile (and let
    # its holder export or delete it).
    first = load_candidate("premier", "premier@exemple.fr")
    old_link = f"/mon-cv/{consent.space_token(first)}"
    first_id = first.id
    erase_candidate(db.session, first, reason="demande de la personne")
    db.session.commit()
    # What SQLite does on its own (PostgreSQL's sequences do not): the next person gets
    # the freed id. Written explicitly so that the test means the same on both.
    second = Candidate(
        id=first_id,
        ref="second",
        first_name="Sam",
        last_name="Suivant",
        email="second@exemple.fr",
        commune="33529",
        mobility_km=10,
        level="employe_qualifie",
        hours_min=5,
        hours_max=20,
        available_from=date(2027, 1, 4),
        consent=True,
    )
    db.session.add(second)
    db.session.commit()
    response = client.get(old_link)
    # The link says its own profile was erased (410), and shows nothing of the next one.
    assert response.status_code == 410 and "supprimé" in response.get_data(as_text=True)
    assert "second@exemple.fr" not in response.get_data(as_text=True)
    assert client.get(f"{old_link}/export.json").status_code == 410
    # The second person's own link works.
    assert client.get(f"/mon-cv/{consent.space_token(second)}").status_code == 200


# --------------------------------------------------------------------------- sessions


def test_a_deleted_accounts_open_session_never_becomes_the_next_account_with_its_id(
    client, app, auth
):
    # Finding: a session named its user by "id:session_version" only. A person who
    # deletes their profile from one device stays logged in on another; the next
    # account created (an animateur invited by an admin, say) gets the freed id with
    # version 0, and that forgotten session became the animateur.
    phone = app.test_client()
    person = auth.login("candidate", client=phone)
    assert phone.get("/candidat").status_code == 200
    user_id = person.id
    erase_candidate(db.session, db.session.get(Candidate, person.candidate_id), reason="test")
    db.session.commit()
    assert db.session.get(User, user_id) is None
    # The next account gets the freed id (SQLite does so on its own).
    db.session.add(User(id=user_id, email="nouvel.animateur@exemple.fr", role="animateur"))
    db.session.commit()
    response = phone.get("/animateur")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    # A real login still works, and keeps working from one request to the next.
    auth.login("animateur")
    assert client.get("/animateur").status_code == 200
    assert client.get("/animateur").status_code == 200


# --------------------------------------------------------------------------- personal space


def test_no_password_account_for_an_address_that_is_not_confirmed(client):
    # Finding: a person could change their address to someone else's (unconfirmed)
    # and at once create a password account under it: an account squatting the
    # victim's address, logged in with the attacker's password.
    # One frozen instant: the account is made in the same second as the change link,
    # so that the rule refusing a link asked before the profile's account existed
    # (``consent.CHANGE_BEFORE_ACCOUNT``, tested on its own) is not met by a slow
    # machine between the two (a PostgreSQL run in CI took over a second).
    with time_machine.travel(datetime(2026, 12, 7, 9, tzinfo=UTC), tick=False):
        _no_password_account_for_an_unconfirmed_address(client)


def _no_password_account_for_an_unconfirmed_address(client):
    space = submitted_and_confirmed(client, "attaquant@exemple.fr")
    data = form_data(email="direction@victime.fr")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    assert client.post(f"{space}/modifier", data=data).status_code == 302
    password = "une phrase de passe assez longue"  # noqa: S105 — a test's own fixed value, not a credential of any deployment
    response = client.post(f"{space}/compte", data={"password": password, "confirm": password})
    assert response.status_code in (302, 403)
    assert db.session.scalar(select(User).where(User.email == "direction@victime.fr")) is None
    assert (
        client.post(
            "/connexion", data={"email": "direction@victime.fr", "password": password}
        ).status_code
        != 302
    )
    # Once the new address is confirmed (by its owner), the account may be created.
    confirm = link_in(
        mails_to("direction@victime.fr")[-1], r"http://localhost(/mon-cv/confirmer/\S+)"
    )
    confirmed = client.post(confirm)
    assert confirmed.status_code == 302
    # It leads on to the space with a fresh link: those mailed to the former address died.
    space = confirmed.headers["Location"]
    response = client.post(f"{space}/compte", data={"password": password, "confirm": password})
    assert response.status_code == 302
    assert db.session.scalar(select(User).where(User.email == "direction@victime.fr")) is not None


# --------------------------------------------------------------------------- mail flooding


def confirmations_to(address: str) -> list:
    return [m for m in mails_to(address) if m.subject.endswith(consent.CONFIRM_SUBJECT)]


def test_switching_a_profile_address_back_and_forth_cannot_flood_a_mailbox(client):
    # Finding: each change of address in the personal space queued a confirmation mail
    # to the new address, with no limit: switching between the victim's address and
    # another one sent the victim as many mails as the attacker liked.
    space = submitted_and_confirmed(client, "attaquant@exemple.fr")
    for round_ in range(8):
        for address in ("victime@exemple.fr", f"autre-{round_}@exemple.fr"):
            data = form_data(email=address)
            data.pop("consent")
            data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
            assert client.post(f"{space}/modifier", data=data).status_code == 302
    assert 1 <= len(confirmations_to("victime@exemple.fr")) <= consent.MAX_CONFIRMATIONS_PER_DAY
    # The person is told what to do if nothing came (the same words whether a mail went
    # out or not: which it was would say whether another profile holds the address).
    data = form_data(email="victime@exemple.fr")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    page = client.post(f"{space}/modifier", data=data, follow_redirects=True)
    assert "rien reçu ? redemandez le changement demain" in page_text(page)


def test_the_public_form_sent_again_and_again_cannot_flood_a_mailbox(client):
    # Finding: sending the public form with someone's address again re-sent them the
    # confirmation mail every two minutes, all day long (720 mails a day).
    for step in range(8):
        with time_machine.travel(time.time() + step * 5 * 60):
            response = post_multipart(
                client, "/deposer-mon-cv", form_data(email="cible@exemple.fr")
            )
            assert response.status_code == 302
    assert len(confirmations_to("cible@exemple.fr")) == consent.MAX_CONFIRMATIONS_PER_DAY
    # Once confirmed, link requests are bounded the same way.
    path = link_in(mails_to("cible@exemple.fr")[0], r"http://localhost(/mon-cv/confirmer/\S+)")
    assert client.post(path).status_code == 302
    for step in range(10):
        with time_machine.travel(time.time() + step * 5 * 60):
            assert (
                client.post("/mon-cv/lien", data={"email": "cible@exemple.fr"}).status_code == 200
            )
            resolve_link_requests()
    links = [m for m in mails_to("cible@exemple.fr") if m.subject.endswith(consent.LINK_SUBJECT)]
    assert len(links) == consent.MAX_LINKS_PER_DAY
    # A day later, the person can get their link again.
    with time_machine.travel(time.time() + 26 * 3600):
        client.post("/mon-cv/lien", data={"email": "cible@exemple.fr"})
        resolve_link_requests()
    links = [m for m in mails_to("cible@exemple.fr") if m.subject.endswith(consent.LINK_SUBJECT)]
    assert len(links) == consent.MAX_LINKS_PER_DAY + 1


def test_company_space_link_requests_cannot_flood_a_mailbox(client):
    # Finding: "/entreprise/lien" queued a new mail to a known owner's address on every
    # request, with no limit: anyone knowing the address could flood it.
    from tests.test_web_need_public import _form

    owner = "claire@huitres-dupont.fr"
    assert client.post("/exprimer-un-besoin", data=_form()).status_code == 302
    link = re.search(
        r"http://localhost(/exprimer-un-besoin/confirmer/\S+)", mails_to(owner)[-1].body_text
    )
    assert client.post(link.group(1)).status_code == 302

    def space_links() -> int:
        return len([m for m in mails_to(owner) if m.subject.endswith("Votre lien de suivi")])

    # From many client addresses (each address has its own hourly limit on the form).
    def ask(number: int, **kwargs):
        where = {"REMOTE_ADDR": f"198.51.100.{number}"}
        answer = client.post(
            "/entreprise/lien", data={"email": owner}, environ_base=where, **kwargs
        )
        resolve_link_requests()
        return answer

    for number in range(10):
        assert ask(number).status_code == 302
    assert space_links() == 1
    for step in range(1, 12):
        with time_machine.travel(time.time() + step * 5 * 60):
            assert ask(100 + step).status_code == 302
    assert space_links() == 5
    # The answer stays the same whatever happened (nothing learnt about the address).
    quiet = ask(200, follow_redirects=True)
    assert "Si cette adresse a déjà exprimé un besoin" in quiet.get_data(as_text=True)
    assert space_links() == 5
    with time_machine.travel(time.time() + 26 * 3600):
        client.post("/entreprise/lien", data={"email": owner})
        resolve_link_requests()
    assert space_links() == 6


# --------------------------------------------------------------------------- imports


def _xlsx(rows: list[list[str]], patch=None) -> bytes:
    """A real XLSX workbook, its sheet XML rewritten by ``patch`` (an attacker's file)."""
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    plain = io.BytesIO()
    workbook.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if patch and item.filename == "xl/worksheets/sheet1.xml":
                data = patch(data.decode()).encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_an_xlsx_claiming_sixteen_thousand_columns_is_read_within_bounds():
    # Finding: openpyxl pads every row to the width the sheet claims; a 5 KB file
    # claiming A1:XFD20000 took 30 s and 2.6 GB of memory to read (one upload could
    # bring the server down). Rows are now read on at most MAX_COLUMNS columns.
    from connectences import tabular

    def claim_every_column(xml: str) -> str:
        return re.sub(r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1:XFD40" />', xml)

    data = _xlsx(
        [["Prénom", "Nom", "E-mail"], ["Léa", "Roux", "lea@exemple.fr"]], claim_every_column
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert 'ref="A1:XFD40"' in archive.read("xl/worksheets/sheet1.xml").decode()
    rows = tabular._read_xlsx(data)
    assert rows and max(len(row) for row in rows) <= tabular.MAX_COLUMNS
    headers, body = tabular.read_table("liste.xlsx", data)
    assert headers == ["Prénom", "Nom", "E-mail"] and body[0]["E-mail"] == "lea@exemple.fr"


def test_an_xlsx_that_unpacks_to_far_more_than_its_size_is_refused(monkeypatch):
    # Finding: the workbook was unpacked whatever its size once decompressed (a zip
    # bomb: a few hundred kilobytes becoming gigabytes of shared strings in memory).
    from connectences import tabular

    monkeypatch.setattr(tabular, "MAX_XLSX_UNPACKED", 1024 * 1024, raising=False)
    data = _xlsx(
        [["Prénom", "Nom"], ["Léa", "Roux"]], lambda xml: xml.replace("Roux", "x" * 2_000_000)
    )
    assert len(data) < 100_000
    with pytest.raises(tabular.TableError, match="trop volumineux"):
        tabular.read_table("bombe.xlsx", data)
    # A normal workbook still reads.
    assert tabular.read_table("ok.xlsx", _xlsx([["Prénom"], ["Léa"]]))[1] == [{"Prénom": "Léa"}]


# --------------------------------------------------------------------------- odd input


@pytest.mark.parametrize(
    "path, data",
    [
        ("/connexion", {"email": "a\x00@exemple.fr", "password": "x"}),
        ("/mon-cv/lien", {"email": "a\x00@exemple.fr"}),
        ("/connexion", {"email\x00": "a@exemple.fr", "password": "x"}),
    ],
)
def test_a_nul_character_in_a_form_is_refused_not_a_server_error(client, path, data):
    # Finding: PostgreSQL (the production database) refuses NUL in text, so one typed
    # into the login form or a public form was a 500 (and, on SQLite, was stored). The
    # page says what it was and how to send the form again, not « Requête incorrecte ».
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert _spaces(NUL_MESSAGE) in _spaces(page_text(response))
    assert db.session.scalar(select(Candidate)) is None


@pytest.mark.parametrize(
    "path, data, kept",
    [
        ("/deposer-mon-cv", form_data(first_name="Ca\x00mille", last_name="Lesbats"), "Lesbats"),
        ("/exprimer-un-besoin", {"title": "Compta\x00", "owner_email": "a@exemple.fr"}, "a@exemple.fr"),
        ("/entreprise/lien", {"email": "a\x00@exemple.fr"}, "a@exemple.fr"),
    ],
)  # fmt: skip
def test_a_nul_character_in_a_public_form_shows_it_again_with_what_was_typed(
    client, path, data, kept
):
    # Pasted from a broken file, a NUL lost everything typed behind a generic 400.
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert _spaces(NUL_RETRY_MESSAGE) in _spaces(page_text(response))
    html = response.get_data(as_text=True)
    assert f'value="{kept}"' in html and "\x00" not in html
    assert db.session.scalar(select(Candidate)) is None
    assert db.session.scalar(select(Need)) is None


def test_a_nul_character_in_a_logged_in_form_gives_the_form_back_filled_in(client, auth):
    auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    notes = "Le gérant veut un comptable le mardi"
    data = {
        "entreprise": company.ref,
        "channel": "porte_a_porte",
        "visited_on": local_today().isoformat(),
        "topics": ["competences_partagees"],
        "outcome": "besoin_detecte",
        "notes": notes + "\x00",
    }
    sent = client.post(page, data=data, headers={"Referer": page})
    assert sent.status_code == 303 and sent.headers["Location"] == page
    form = client.get(page)
    assert _spaces(NOTICES[INVISIBLE_REMOVED]) in _spaces(page_text(form))
    found = re.search(r"data-formulaire='([^']*)'", form.get_data(as_text=True))
    fields = json.loads(unescape(found.group(1)))["fields"]
    assert ["notes", notes] in fields
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_nul_character_in_a_query_or_path_is_refused(client, auth):
    auth.login("animateur")
    for path in (
        "/animateur/cvtheque?q=a%00b",
        "/animateur/cvtheque/a%00b",
        "/animateur/entreprises/recherche?q=a%00b",
        "/connexion?next=/a%00",
    ):
        assert client.get(path).status_code == 400, path
    assert client.get("/animateur/cvtheque?q=ab").status_code == 200


def test_an_account_made_from_a_shared_link_is_told_and_closed_with_the_links(app, client):
    # Finding: anyone holding a person's space link could set a password for their
    # address, unknown to them; "Désactiver mes anciens liens" left that account working.
    space = submitted_and_confirmed(client, "lea@exemple.fr")
    intruder = app.test_client()
    password = "une phrase de passe de l'intrus"  # noqa: S105 — a test's own fixed value, not a credential of any deployment
    made = intruder.post(f"{space}/compte", data={"password": password, "confirm": password})
    assert made.status_code == 302
    assert (
        intruder.post(
            "/connexion", data={"email": "lea@exemple.fr", "password": password}
        ).status_code
        == 302
    )
    assert intruder.get("/candidat").status_code == 200
    # The person is told at their address, with what to do.
    told = [m for m in mails_to("lea@exemple.fr") if m.kind == MailKind.CV_ACCOUNT_CREATED]
    assert len(told) == 1 and told[0].subject.endswith(consent.ACCOUNT_SUBJECT)
    assert "Désactiver mes anciens liens" in told[0].body_text
    # Disabling the links closes that account's password and its session.
    assert client.post(f"{space}/nouveau-lien").status_code == 200
    assert intruder.get("/candidat").status_code == 302
    assert (
        intruder.post(
            "/connexion", data={"email": "lea@exemple.fr", "password": password}
        ).status_code
        != 302
    )
    user = db.session.scalar(select(User).where(User.email == "lea@exemple.fr"))
    assert is_closed(user.password_hash) and user.active
    assert audit_entries("password_closed")


def _log_in(client, email: str, password: str):
    return client.post("/connexion", data={"email": email, "password": password})


def _without(response, address: str) -> str:
    """The page as ``same_page`` compares it, the address typed (shown back) left out."""
    return same_page(response).replace(address, "…")


def test_a_password_closed_with_the_links_is_chosen_again_through_mot_de_passe_oublie(
    app, client, auth
):
    # Finding: after « Désactiver mes anciens liens » closed the account's password, the
    # login said « incorrect » and « Mot de passe oublié » sent nothing (it skipped every
    # account without a password): the person could never log in again, though both the
    # space and the mail told them to choose a new password there.
    space = submitted_and_confirmed(client, "ines@exemple.fr")
    password = "ma phrase de passe du bassin"  # noqa: S105 — a test's own fixed value
    assert (
        client.post(f"{space}/compte", data={"password": password, "confirm": password})
    ).status_code == 302
    assert client.post(f"{space}/nouveau-lien").status_code == 200
    # The space's « Créer un compte » says where a password that stopped working is chosen.
    fresh = link_in(mails_to("ines@exemple.fr")[-1])
    sent_on = client.get(f"{fresh}/compte")
    assert sent_on.status_code == 302
    assert "Si son mot de passe ne fonctionne plus" in page_text(client.get(sent_on.location))
    stranger = app.test_client()
    # The login answers as for an unknown address, and both point to the way forward.
    closed = _log_in(stranger, "ines@exemple.fr", password)
    unknown = _log_in(stranger, "personne@exemple.fr", password)
    assert closed.status_code == unknown.status_code == 200
    assert _without(closed, "ines@exemple.fr") == _without(unknown, "personne@exemple.fr")
    assert 'href="/mot-de-passe-oublie"' in closed.get_data(as_text=True).split("</form>")[0]
    # The administrator's list does not call it an invitation pending.
    admin = app.test_client()
    auth.login("admin", client=admin)
    (row,) = re.findall(
        r"(?s)<tr>(?:(?!</tr>).)*ines@exemple\.fr.*?</tr>", html_of(admin.get("/admin"))
    )
    assert "Mot de passe désactivé" in row and "Invitation en attente" not in row
    # The reset page answers the same too; the mail tells the owner what happened.
    before = len(mails_to("ines@exemple.fr"))
    asked = stranger.post("/mot-de-passe-oublie", data={"email": "ines@exemple.fr"})
    assert same_page(asked) == same_page(
        stranger.post("/mot-de-passe-oublie", data={"email": "personne@exemple.fr"})
    )
    resolve_link_requests()
    (mail,) = mails_to("ines@exemple.fr")[before:]
    assert mail.kind == MailKind.PASSWORD_RESET
    body = " ".join(mail.body_text.split())
    assert "Désactiver mes anciens liens" in body and "reste le même" not in body
    path = link_in(mail, r"http://localhost(/invitation/\S+)")
    new = "une autre phrase pour ines"  # noqa: S105 — a test's own fixed value
    assert stranger.post(path, data={"password": new, "confirm": new}).status_code == 302
    assert _log_in(app.test_client(), "ines@exemple.fr", new).status_code == 302
    assert _log_in(app.test_client(), "ines@exemple.fr", password).status_code == 200


def test_a_disabled_accounts_login_is_not_sent_to_mot_de_passe_oublie(app, client, auth):
    # The reset sends nothing to a disabled account: pointing its owner there would lose them.
    user = auth.create("operator", email="parti@ge.fr")
    user.active = False
    db.session.commit()
    refused = _log_in(client, "parti@ge.fr", PASSWORD)
    assert "Ce compte est désactivé" in refused.get_data(as_text=True)
    assert 'id="mot-de-passe-perdu"' not in refused.get_data(as_text=True)


# --------------------------------------------------------------------------- staff revoking links


def test_an_animateur_ends_a_persons_links_on_their_call_and_mails_a_fresh_one(app, client, auth):
    # Finding: a person calling « j'ai perdu mon téléphone » could not be helped: only
    # their own space (the lost phone) could disable their links.
    space = submitted_and_confirmed(client, "perdu@exemple.fr")
    holder = app.test_client()  # whoever has the phone: its space and an account made there
    password = "la phrase de celui qui a le téléphone"  # noqa: S105 — a test's own fixed value
    assert (
        holder.post(f"{space}/compte", data={"password": password, "confirm": password})
    ).status_code == 302
    assert (
        holder.post(
            "/connexion", data={"email": "perdu@exemple.fr", "password": password}
        ).status_code
        == 302
    )
    person = db.session.scalar(select(Candidate).where(Candidate.email == "perdu@exemple.fr"))
    page_of = f"/animateur/cvtheque/{person.ref}"
    staff = app.test_client()
    animateur = auth.login("animateur", client=staff, full_name="Anne Animatrice")
    shown = page_text(staff.get(page_of))
    assert (
        "Désactiver ses liens et envoyer un nouveau lien" in shown and "perdu@exemple.fr" in shown
    )
    before = len(mails_to("perdu@exemple.fr"))
    # Not confirmed: refused in French, nothing changed, nothing sent.
    refused = staff.post(f"{page_of}/liens/desactiver")
    assert refused.status_code == 422
    assert "Cochez la case pour confirmer la désactivation de ses liens." in page_text(refused)
    assert holder.get(space).status_code == 200
    assert len(mails_to("perdu@exemple.fr")) == before
    done = staff.post(f"{page_of}/liens/desactiver", data={"confirmer": "1"})
    assert done.status_code == 302 and done.location == page_of + "#liens"
    said = page_text(staff.get(done.location))
    assert "Tous les liens personnels envoyés à la personne jusqu'ici sont désactivés." in said
    assert "Un nouveau lien vers son espace a été envoyé à perdu@exemple.fr" in said
    assert "Mot de passe oublié" in said
    # The old link, the account made with it and its session: all closed.
    assert holder.get(space).status_code != 200
    assert holder.get("/candidat").status_code == 302
    user = db.session.scalar(select(User).where(User.email == "perdu@exemple.fr"))
    assert is_closed(user.password_hash)
    # The fresh link went to the profile's address and opens the space.
    (fresh,) = mails_to("perdu@exemple.fr")[before:]
    assert fresh.kind == MailKind.CV_SPACE_LINK
    assert app.test_client().get(link_in(fresh)).status_code == 200
    # Who did it, in the audit log and the person's history.
    (entry,) = audit_entries("candidate.links_revoked")
    assert entry.actor_id == animateur.id and entry.entity_id == person.id
    assert entry.details == {"link_mailed": True, "password_closed": True}
    closed = audit_entries("password_closed")[-1]
    assert closed.actor_id == animateur.id
    assert "Anne Animatrice" in page_text(staff.get(page_of)).split("Tous les liens personnels")[-1]


@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
def test_only_the_platforms_team_ends_a_persons_links(app, client, auth, role):
    space = submitted_and_confirmed(client, "garde@exemple.fr")
    person = db.session.scalar(select(Candidate).where(Candidate.email == "garde@exemple.fr"))
    version, before = person.token_version, len(mails_to("garde@exemple.fr"))
    other = app.test_client()
    auth.login(role, client=other)
    answer = other.post(
        f"/animateur/cvtheque/{person.ref}/liens/desactiver", data={"confirmer": "1"}
    )
    assert answer.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Candidate, person.id).token_version == version
    assert len(mails_to("garde@exemple.fr")) == before
    assert client.get(space).status_code == 200
    assert not audit_entries("candidate.links_revoked")
    anonymous = app.test_client().post(
        f"/animateur/cvtheque/{person.ref}/liens/desactiver", data={"confirmer": "1"}
    )
    assert anonymous.status_code == 302 and "/connexion" in anonymous.location


def test_ending_a_persons_links_needs_the_forms_csrf_token(app, client, auth, monkeypatch):
    submitted_and_confirmed(client, "jeton@exemple.fr")
    person = db.session.scalar(select(Candidate).where(Candidate.email == "jeton@exemple.fr"))
    staff = app.test_client()
    auth.login("admin", client=staff)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    answer = staff.post(
        f"/animateur/cvtheque/{person.ref}/liens/desactiver", data={"confirmer": "1"}
    )
    assert answer.status_code == 400
    db.session.expire_all()
    assert not audit_entries("candidate.links_revoked")


def test_an_unconfirmed_persons_links_are_ended_with_a_new_confirmation(app, client, auth):
    assert (
        post_multipart(client, "/deposer-mon-cv", form_data(email="neuve@exemple.fr")).status_code
        == 302
    )
    old = link_in(mails_to("neuve@exemple.fr")[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    person = db.session.scalar(select(Candidate).where(Candidate.email == "neuve@exemple.fr"))
    staff = app.test_client()
    auth.login("animateur", client=staff)
    page_of = f"/animateur/cvtheque/{person.ref}"
    done = staff.post(f"{page_of}/liens/desactiver", data={"confirmer": "1"})
    assert "Un nouveau lien de confirmation a été envoyé à neuve@exemple.fr." in page_text(
        staff.get(done.location)
    )
    fresh = mails_to("neuve@exemple.fr")[-1]
    assert fresh.kind == MailKind.CV_CONFIRM
    # The old confirmation link opens the space no more; the new one does.
    stranger = app.test_client()
    assert stranger.post(old).location == "/mon-cv/lien"  # ask for a link, not the space
    new = link_in(fresh, r"http://localhost(/mon-cv/confirmer/\S+)")
    assert app.test_client().post(new).location.startswith("/mon-cv/")
