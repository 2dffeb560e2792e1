"""Testimonials: shown only where the owner agreed in writing, gone everywhere once the
agreement is withdrawn (photo included); photos checked by content and re-encoded."""

from __future__ import annotations

import html
import io
import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from PIL import Image
from sqlalchemy import select

from connectences.content import photos, testimonials
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import Need, Testimonial
from tests import factories
from tests.helpers import (
    audit_entries,
    count,
    main_of,
    make_company,
    page_text,
    read_guard_at,
    read_stamp_at,
    stamp_in,
)


@pytest.fixture(autouse=True)
def _photo_folder(app, tmp_path):
    app.extensions["photo_storage"] = photos.files.LocalCvStorage(tmp_path / "photos")
    yield tmp_path / "photos"
    app.extensions.pop("photo_storage", None)


def jpeg_with_exif(size=(800, 600), fmt="JPEG") -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "Appareil secret"  # Make
    exif[0x013B] = "Jean Dupont"  # Artist
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def need_of(company) -> Need:
    need = factories.need_row(company, ref="besoin-1", title="Comptable")
    db.session.add(need)
    db.session.commit()
    return need


def form(**overrides) -> dict:
    return {
        "title": "Une comptable deux jours par semaine",
        "need_ref": "besoin-1",
        "body": "Nous n'arrivions plus à suivre la compta.\n\nAujourd'hui, tout est à jour.",
        "consent_by": "Marie Durand, gérante",
        "consent_on": "2026-11-12",
        "consent_scope": ["site", "lettre"],
        "consent_note": "E-mail du 12/11",
        "published": "1",
        **overrides,
    }


def test_consent_scope_decides_where_it_appears(auth):
    author = auth.create("animateur")
    company = make_company(name="Boulangerie Durand")
    need_of(company)
    site_only = testimonials.create(db.session, form(consent_scope=["site"]), author=author)
    letter_only = testimonials.create(
        db.session, form(title="Lettre seulement", consent_scope=["lettre"]), author=author
    )
    draft = testimonials.create(db.session, form(title="Brouillon", published=""), author=author)
    db.session.commit()
    assert site_only.company_label == "Boulangerie Durand, Arcachon"
    assert site_only.company_id == company.id and site_only.need.ref == "besoin-1"
    assert [t.id for t in testimonials.for_home(db.session)] == [site_only.id]
    public = db.session.scalars(testimonials.public_list()).all()
    assert public == [site_only]
    assert testimonials.for_newsletter(db.session) == [letter_only]
    assert draft not in public + testimonials.for_newsletter(db.session)


def test_for_home_gives_the_latest_two(auth):
    author = auth.create("animateur")
    need_of(make_company())
    for day in (1, 3, 2):
        testimonials.create(
            db.session, form(title=f"Jour {day}", consent_on=f"2026-11-0{day}"), author=author
        )
    db.session.commit()
    assert [t.title for t in testimonials.for_home(db.session)] == ["Jour 3", "Jour 2"]
    assert len(testimonials.for_home(db.session, limit=3)) == 3


def test_withdrawal_removes_it_everywhere_and_deletes_the_photo(client, app, auth, _photo_folder):
    staff = auth.login("animateur")
    need_of(make_company())
    testimonial = testimonials.create(
        db.session, form(photo_alt="La gérante devant sa boutique"), author=staff,
        photo=jpeg_with_exif(),
    )  # fmt: skip
    db.session.commit()
    stored = _photo_folder / testimonial.photo
    assert stored.is_file()
    public = app.test_client()
    assert "Une comptable deux jours" in main_of(public.get("/temoignages"))
    photo_url = f"/temoignages/{testimonial.id}/photo.jpg"
    assert public.get(photo_url).status_code == 200

    response = client.post(f"/animateur/contenus/temoignages/{testimonial.id}/retrait")
    assert response.status_code == 302
    db.session.refresh(testimonial)
    assert testimonial.withdrawn_at is not None and testimonial.photo is None
    assert not stored.exists()
    assert "Une comptable deux jours" not in main_of(public.get("/temoignages"))
    assert public.get(photo_url).status_code == 404
    assert testimonials.for_home(db.session) == []
    assert testimonials.for_newsletter(db.session) == []
    assert [e.actor_id for e in audit_entries("testimonial_withdrawn")] == [staff.id]
    # A withdrawn testimonial cannot be put back by editing it.
    url = f"/animateur/contenus/temoignages/{testimonial.id}"
    again = client.post(url, data={**form(), "lu_le": read_stamp_at(client, url)})
    assert again.status_code == 422
    assert "modifié par quelqu'un d'autre" not in page_text(again)  # refused as withdrawn
    db.session.refresh(testimonial)
    assert testimonial.published is False and testimonial.withdrawn_at is not None


def test_photo_is_reencoded_without_metadata():
    original = jpeg_with_exif((4000, 3000))
    assert b"Jean Dupont" in original
    cleaned = photos.clean_photo(original)
    assert b"Jean Dupont" not in cleaned and b"Appareil secret" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == photos.MAX_SIDE
        assert not image.getexif()
        assert "exif" not in image.info


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vide"),
        (b"%PDF-1.7\n%%EOF", "n'est pas une photo"),
        (b"<html><script>alert(1)</script></html>", "n'est pas une photo"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "n'est pas une photo"),
        (b"GIF89a" + b"\x00" * 100, "n'est pas une photo"),
    ],
)
def test_non_images_are_refused(data, message):
    with pytest.raises(photos.PhotoError) as refused:
        photos.clean_photo(data)
    assert message in refused.value.message


def test_a_phone_s_mpo_jpeg_is_taken_as_its_first_picture():
    # Many phones write a JPEG with a second picture (depth, preview): Pillow reads it
    # as "MPO". It is a JPEG for the person who sends it.
    first = Image.new("RGB", (800, 600), (200, 120, 40))
    depth = Image.new("RGB", (800, 600), (0, 0, 0))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[depth])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    cleaned = Image.open(io.BytesIO(photos.clean_photo(out.getvalue())))
    assert cleaned.size == (800, 600)
    assert cleaned.getpixel((10, 10)) != (0, 0, 0)
    assert getattr(cleaned, "n_frames", 1) == 1


def test_gif_svg_oversize_and_out_of_bounds_images_are_refused():
    gif = io.BytesIO()
    Image.new("RGB", (300, 300)).save(gif, "GIF")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    for data in (gif.getvalue(), svg):
        with pytest.raises(photos.PhotoError, match="n'est pas une photo"):
            photos.clean_photo(data)
    with pytest.raises(photos.PhotoError, match="trop lourde"):
        photos.clean_photo(b"\xff\xd8" + b"\x00" * (photos.MAX_BYTES + 1))
    with pytest.raises(photos.PhotoError, match="trop petite"):
        photos.clean_photo(jpeg_with_exif((100, 100)))
    wide = io.BytesIO()
    Image.new("L", (photos.MAX_DIMENSION + 1, 300)).save(wide, "PNG")
    with pytest.raises(photos.PhotoError, match="trop grande"):
        photos.clean_photo(wide.getvalue())


def test_upload_through_the_form_refuses_a_renamed_file_and_writes_nothing(
    client, auth, _photo_folder
):
    auth.login("animateur")
    need_of(make_company())
    response = client.post(
        "/animateur/contenus/temoignages/nouveau",
        data={
            **form(photo_alt="x"),
            "photo": (io.BytesIO(b"MZ\x90\x00 not an image"), "photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "n'est pas une photo" in page_text(response)
    assert count(Testimonial) == 0
    assert not _photo_folder.exists() or not any(_photo_folder.iterdir())


def test_form_errors_are_french_by_field(client, auth):
    auth.login("animateur")
    response = client.post(
        "/animateur/contenus/temoignages/nouveau",
        data=form(title="", need_ref="inconnu", consent_on="2999-01-01", consent_scope=[]),
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "Indiquez le titre." in page
    assert "Aucun besoin n'a la référence « inconnu »." in page
    assert "ne peut pas être dans le futur" in page
    assert "Cochez où l'entreprise a accepté" in page
    assert count(Testimonial) == 0


def test_a_photo_needs_its_description(auth):
    author = auth.create("animateur")
    need_of(make_company())
    with pytest.raises(testimonials.TestimonialError) as refused:
        testimonials.create(db.session, form(), author=author, photo=jpeg_with_exif())
    assert "photo_alt" in refused.value.errors


def test_only_the_staff_manages_testimonials(client, auth):
    need_of(make_company())
    for role in ("operator", "partner", "company", "candidate", "territoire"):
        auth.login(role)
        assert client.get("/animateur/contenus/temoignages").status_code == 403
        assert (
            client.post("/animateur/contenus/temoignages/nouveau", data=form()).status_code == 403
        )
        auth.logout()
    assert count(Testimonial) == 0
    assert db.session.scalar(select(Need.ref)) == "besoin-1"


def test_a_testimonial_saved_from_a_page_read_before_another_save_is_refused(app, client, auth):
    # Two animateurs open the same testimonial; each changes another field. The second
    # save must not put back the title the first one changed.
    author = auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    need_of(make_company())
    testimonial = testimonials.create(db.session, form(), author=author)
    db.session.commit()
    url = f"/animateur/contenus/temoignages/{testimonial.id}"
    first, second = read_stamp_at(client, url), read_stamp_at(other, url)
    saved = client.post(url, data={**form(title="Deux jours de compta"), "lu_le": first})
    assert saved.status_code == 302
    typed = "Accord redonné par téléphone"
    response = other.post(url, data={**form(consent_note=typed), "lu_le": second})
    assert response.status_code == 422
    assert "modifié par quelqu'un d'autre" in page_text(response)
    assert f'value="{typed}"' in html.unescape(response.get_data(as_text=True))  # kept
    db.session.expire_all()
    testimonial = db.session.get(Testimonial, testimonial.id)
    assert testimonial.title == "Deux jours de compta"  # the first change kept
    assert testimonial.consent_note == "E-mail du 12/11"  # nothing of the second
    # Sent again from the page given back (read now), it is saved.
    again = other.post(
        url,
        data={
            **form(title="Deux jours de compta", consent_note=typed),
            "lu_le": stamp_in(response),
        },
    )
    assert again.status_code == 302
    db.session.expire_all()
    testimonial = db.session.get(Testimonial, testimonial.id)
    assert (testimonial.title, testimonial.consent_note) == ("Deux jours de compta", typed)


def test_a_testimonial_sent_without_its_read_stamp_is_refused(client, auth):
    author = auth.login("animateur")
    need_of(make_company())
    testimonial = testimonials.create(db.session, form(), author=author)
    db.session.commit()
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = form(title="Autre titre")
        if stamp is not None:
            data["lu_le"] = stamp
        response = client.post(f"/animateur/contenus/temoignages/{testimonial.id}", data=data)
        assert response.status_code == 422
        db.session.expire_all()
        assert db.session.get(Testimonial, testimonial.id).title == form()["title"]


def _photo_written(folder, name: str, at: datetime) -> str:
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(photos.clean_photo(jpeg_with_exif()))
    os.utime(folder / name, (at.timestamp(), at.timestamp()))
    return name


def test_the_retention_job_sweeps_photos_no_testimonial_names(
    app, auth, monkeypatch, tmp_path, _photo_folder
):
    """A photo whose testimonial never got committed (a worker killed mid-request) or was
    deleted by hand goes at night like an orphan CV: same delay, counts, dry run."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # the CV store too
    now = datetime(2027, 3, 10, 3, 0, tzinfo=UTC)
    old = now - timedelta(days=3)
    staff = auth.create("animateur")
    need_of(make_company())
    shown = testimonials.create(
        db.session, form(photo_alt="La gérante"), author=staff, photo=jpeg_with_exif()
    )
    db.session.commit()
    kept = shown.photo
    os.utime(_photo_folder / kept, (old.timestamp(), old.timestamp()))
    orphan = _photo_written(_photo_folder, "b" * 32 + ".jpg", old)
    uploading = _photo_written(_photo_folder, "c" * 32 + ".jpg", now - timedelta(hours=2))
    lost = testimonials.create(
        db.session, form(title="Un jardinier", photo_alt="Le jardin"), author=staff,
        photo=jpeg_with_exif(),
    )  # fmt: skip
    db.session.commit()
    (_photo_folder / lost.photo).unlink()  # gone from the store

    with time_machine.travel(now, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=now, dry_run=True)
    assert counts["photo_orphans_deleted"] == 1 and counts["photo_files_missing"] == 1
    assert sorted(p.name for p in _photo_folder.iterdir()) == sorted([kept, orphan, uploading])

    with time_machine.travel(now, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=now)
    assert counts["photo_orphans_deleted"] == 1
    assert counts["photo_orphans_too_recent"] == 1
    assert counts["photo_files_missing"] == 1
    assert sorted(p.name for p in _photo_folder.iterdir()) == sorted([kept, uploading])
    (entry,) = audit_entries("data_retention")
    assert entry.details["photo_orphans_deleted"] == 1
    assert "photo_files_missing" not in entry.details
    assert "photo_orphans_too_recent" not in entry.details

    later = now + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=later)
    assert counts["photo_orphans_deleted"] == 1
    assert [p.name for p in _photo_folder.iterdir()] == [kept]
    assert app.test_client().get(f"/temoignages/{shown.id}/photo.jpg").status_code == 200


def test_a_testimonial_stamped_since_outside_its_form_is_saved_a_real_change_refused(
    app, client, auth
):
    # The form read, the testimonial is stamped for a reason outside its fields (its
    # author): nothing the form edits changed, so the save loses nothing.
    author = auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    need_of(make_company())
    testimonial = testimonials.create(db.session, form(), author=author)
    db.session.commit()
    url = f"/animateur/contenus/temoignages/{testimonial.id}"
    first, second = read_guard_at(client, url), read_guard_at(other, url)
    assert first.get("lu_valeurs")
    testimonial.author_id = None
    db.session.commit()
    assert testimonial.updated_at.isoformat() != first["lu_le"]
    saved = client.post(url, data={**form(title="Deux jours de compta"), **first})
    assert saved.status_code == 302
    # Read before that save, the other page's fields changed meanwhile: refused.
    typed = "Accord redonné par téléphone"
    response = other.post(url, data={**form(consent_note=typed), **second})
    assert response.status_code == 422
    assert "modifié par quelqu'un d'autre" in page_text(response)
    assert f'value="{typed}"' in html.unescape(response.get_data(as_text=True))  # kept
    db.session.expire_all()
    testimonial = db.session.get(Testimonial, testimonial.id)
    assert (testimonial.title, testimonial.consent_note) == (
        "Deux jours de compta",
        "E-mail du 12/11",
    )


def test_a_testimonial_sent_again_with_what_it_holds_now_is_saved_another_change_refused(
    app, client, auth
):
    # Two tabs read the testimonial; the first saves a new title and scope. The second,
    # read before, sends exactly those values: nothing would be lost, it is saved.
    author = auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    need_of(make_company())
    testimonial = testimonials.create(db.session, form(), author=author)
    db.session.commit()
    url = f"/animateur/contenus/temoignages/{testimonial.id}"
    first, second = read_guard_at(client, url), read_guard_at(other, url)
    same = form(title="Deux jours de compta", consent_scope=["site"])
    assert client.post(url, data={**same, **first}).status_code == 302
    again = other.post(url, data={**same, **second})
    assert again.status_code == 302, page_text(again)
    db.session.expire_all()
    testimonial = db.session.get(Testimonial, testimonial.id)
    assert (testimonial.title, testimonial.consent_scope, testimonial.need.ref) == (
        "Deux jours de compta",
        ["site"],
        "besoin-1",
    )
    # From that same stale page, anything else is still refused, nothing written.
    typed = "Accord redonné par téléphone"
    response = other.post(url, data={**same, "consent_note": typed, **second})
    assert response.status_code == 422
    assert "modifié par quelqu'un d'autre" in page_text(response)
    assert f'value="{typed}"' in html.unescape(response.get_data(as_text=True))  # kept
    db.session.expire_all()
    assert db.session.get(Testimonial, testimonial.id).consent_note == "E-mail du 12/11"
