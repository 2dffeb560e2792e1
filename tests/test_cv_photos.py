"""A paper CV sent as photos from a phone: made into one PDF, stored as an uploaded PDF.

Real images made here with Pillow, sent through the real web forms (the public form and
the person's space); each refusal with its French message and nothing stored.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from connectences.cvtheque import files
from connectences.extensions import db
from connectences.models import Candidate, CandidateEvent, OutboxMessage
from tests.cv_helpers import form_data, link_in, make_pdf, post_multipart, private_cv_folder
from tests.helpers import count, error_of, html_of, mails_to, read_stamp_at

EMAIL = "anouk.dupuy@exemple.fr"
# What a phone writes in a photo's EXIF: its position (GPS IFD), device and time.
GPS_LATITUDE = (44.0, 39.0, 21.5)  # Andernos-les-Bains
DEVICE = "PhoneMaker Model-X-9231"


@pytest.fixture(autouse=True)
def cv_dir(app, tmp_path, monkeypatch):
    yield from private_cv_folder(app, tmp_path, monkeypatch)


def stored(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def phone_photo(size=(1200, 900), orientation=6, color=(250, 250, 245)) -> bytes:
    """A JPEG as a phone takes it: held upright, stored sideways with EXIF orientation
    6, and carrying its GPS position, device and time. A dark band marks the top of the
    page as the person saw it (the stored pixels' left side)."""
    image = Image.new("RGB", size, color)
    image.paste((20, 20, 20), (0, 0, size[0] // 6, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = DEVICE  # Model
    exif[0x0132] = "2026:12:01 09:41:07"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "W"
    gps[4] = (1.0, 8.0, 12.25)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    data = out.getvalue()
    # The photo really carries them (else the test would prove nothing).
    assert DEVICE.encode() in data and Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data


def png(size=(800, 1100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A PNG header claiming ``width`` × ``height`` pixels, with next to no data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def animated_gif() -> bytes:
    frames = [Image.new("P", (400, 400), i) for i in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def post_files(client, parts: list[tuple[bytes, str]], path="/deposer-mon-cv", data=None):
    data = dict(data or form_data(email=EMAIL, first_name="Anouk"))
    data["cv"] = [FileStorage(io.BytesIO(b), name) for b, name in parts]
    return post_multipart(client, path, data)


def the_candidate() -> Candidate:
    db.session.expire_all()
    return db.session.scalars(select(Candidate)).one()


def test_a_phone_photo_becomes_an_upright_pdf_with_nothing_of_its_exif(client, cv_dir):
    photo = phone_photo()
    response = post_files(client, [(photo, "IMG_2041.jpg")])
    assert response.status_code == 302 and response.headers["Location"].endswith("/merci")
    candidate = the_candidate()
    assert stored(cv_dir) == [candidate.cv_filename] and candidate.cv_filename.endswith(".pdf")
    pdf = (cv_dir / candidate.cv_filename).read_bytes()
    # A PDF as an uploaded one: it passes the very check a PDF upload passes.
    assert files.check_pdf(pdf) == ""
    # PRIVACY: none of the photo's EXIF reaches the stored file, not even as bytes.
    assert photo not in pdf and photo[:2000] not in pdf
    for trace in (DEVICE, "PhoneMaker", "2026:12:01", "Exif", "GPS"):
        assert trace.encode() not in pdf, trace
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    (picture,) = page.images
    decoded = Image.open(io.BytesIO(picture.data))
    assert not decoded.getexif() and "exif" not in decoded.info
    # Upright: the 1200 × 900 photo stored sideways (orientation 6) is a portrait page,
    # the dark band (the top of the paper) now along the top edge.
    assert decoded.width < decoded.height and float(page.mediabox.height) > float(
        page.mediabox.width
    )
    grey = decoded.convert("L")
    top = grey.getpixel((decoded.width // 2, 5))
    bottom = grey.getpixel((decoded.width // 2, decoded.height - 5))
    assert top < 80 < 200 < bottom
    # The page fits an A4 sheet (not a 1.2 m wide page of 72 dpi pixels).
    assert float(page.mediabox.height) <= 842.5 and float(page.mediabox.width) <= 596
    # Stored without skills read (no OCR), and the person is told it plainly.
    assert candidate.skill_labels == ["saisie comptable", "facturation"]  # as written
    event = db.session.scalars(select(CandidateEvent)).first()
    assert "1 photo du CV papier" in event.summary
    thanks = client.get("/deposer-mon-cv/merci")
    text = html_of(thanks)
    assert "la plateforme en a fait un PDF" in text
    assert "lit pas le texte d&#39;une photo" in text or "lit pas le texte d'une photo" in text
    assert "compétences que nous y" not in text and "lues dans votre CV" not in text


def test_up_to_four_photos_make_one_pdf_of_as_many_pages(client, cv_dir):
    parts = [(phone_photo(), "p1.jpg"), (png(), "p2.png"), (phone_photo(orientation=1), "p3")]
    webp = io.BytesIO()
    Image.new("RGB", (900, 1200), (240, 240, 240)).save(webp, "WEBP")
    parts.append((webp.getvalue(), "p4.webp"))
    response = post_files(client, parts)
    assert response.status_code == 302
    candidate = the_candidate()
    pdf = (cv_dir / candidate.cv_filename).read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 4 and len(pdf) <= files.max_bytes()


def test_a_large_photo_is_reduced_to_a_sensible_page(app):
    big = io.BytesIO()
    Image.new("RGB", (6000, 4500), (250, 250, 250)).save(big, "JPEG", quality=70)
    with app.test_request_context():
        cv = files.read_cv([big.getvalue()])
    (page,) = PdfReader(io.BytesIO(cv.pdf)).pages
    (picture,) = page.images
    assert max(Image.open(io.BytesIO(picture.data)).size) <= 2500 and cv.photos == 1


@pytest.mark.parametrize(
    ("parts", "words"),
    [
        # A decompression bomb: a tiny file claiming 10 billion pixels.
        ([(png_bomb(), "bombe.png")], "Cette photo est trop grande"),
        # Over our own limit of 40 million pixels, though Pillow would open it.
        ([(png_bomb(8000, 6000), "grande.png")], "40 millions de pixels au plus"),
        # A photo cut during its transfer.
        ([(phone_photo()[:3000], "coupee.jpg")], "Cette photo n&#39;a pas pu être lue"),
        # Named and headed as a JPEG, but nothing decodable behind.
        (
            [(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000, "IMG_2041.jpg")],
            "Cette photo n&#39;a pas pu être lue",
        ),
        ([(animated_gif(), "cv.gif")], "image GIF"),
        (
            [(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 500, "c.heic")],
            "format HEIC",
        ),
        ([(phone_photo(), f"p{i}.jpg") for i in range(5)], "4 photos au plus"),
        ([(make_pdf(), "cv.pdf"), (phone_photo(), "p.jpg")], "Un CV en PDF s&#39;envoie seul"),
        ([(png((120, 90)), "minuscule.png")], "trop petite"),
        ([(b"<!doctype html><script>x</script>", "p.jpg")], "n&#39;est pas un PDF"),
    ],
    ids=[
        "bomb",
        "over-40-mpx",
        "truncated",
        "fake-jpeg",
        "gif",
        "heic",
        "five",
        "pdf+photo",
        "tiny",
        "html",
    ],
)
def test_refused_photos_say_why_in_french_and_store_nothing(client, cv_dir, parts, words):
    response = post_files(client, parts)
    assert response.status_code == 400
    said = error_of(response, "cv")
    assert words in said or words.replace("&#39;", "'") in said
    assert "Le CV est facultatif" in said
    assert 'value="Anouk"' in html_of(response)  # what was typed is kept
    assert stored(cv_dir) == [] and count(Candidate) == 0 and count(OutboxMessage) == 0


def test_photos_too_heavy_together_are_refused_before_decoding(app, monkeypatch):
    monkeypatch.setitem(app.config, "CV_MAX_BYTES", 100_000)
    heavy = phone_photo(size=(1500, 1100)) + b"\x00" * 60_000  # each under the limit
    with app.test_request_context(), pytest.raises(files.CvFileError, match="ensemble"):
        files.read_cv([heavy] * 4)


def test_the_form_says_photos_are_fine_and_accepts_them(client):
    page = html_of(client.get("/deposer-mon-cv"))
    assert "Un PDF, ou une photo de votre CV papier (une par page" in page
    field = page[page.index('id="cv"') - 200 : page.index('id="cv"') + 600]
    assert "multiple" in field and "image/jpeg" in field and "application/pdf" in field
    assert 'data-max-files="4"' in field


def test_a_photo_replaces_the_cv_from_the_space_and_staff_download_the_pdf(
    client, cv_dir, auth, runner
):
    assert post_files(client, [(make_pdf("comptabilité"), "cv.pdf")]).status_code in (302,)
    path = link_in(mails_to(EMAIL)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    space = client.post(path).headers["Location"]
    old = the_candidate().cv_filename
    data = form_data(email=EMAIL, first_name="Anouk")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    response = post_files(client, [(phone_photo(), "IMG_1.jpg")], f"{space}/modifier", data)
    assert response.status_code == 302 and response.headers["Location"] == space
    candidate = the_candidate()
    assert candidate.cv_filename != old and stored(cv_dir) == [candidate.cv_filename]
    summaries = [e.summary for e in db.session.scalars(select(CandidateEvent))]
    assert any("CV (PDF) remplacé (fait de 1 photo" in s for s in summaries)
    # The person downloads it from the space, staff from the record: the same PDF.
    mine = client.get(f"{space}/cv.pdf")
    assert mine.mimetype == "application/pdf" and mine.data.startswith(b"%PDF-")
    auth.login("animateur")
    theirs = client.get(f"/animateur/cvtheque/{candidate.ref}/cv")
    assert theirs.status_code == 200 and theirs.data == mine.data
    assert DEVICE.encode() not in theirs.data
    # `cv recheck` reads it as any stored PDF: nothing to withhold.
    done = runner.invoke(args=["cv", "recheck", "--wet-run"])
    assert '"checked": 1' in done.output and '"withheld": 0' in done.output
    assert '"unreadable": 0' in done.output


def test_a_refused_photo_in_the_space_changes_nothing(client, cv_dir):
    assert post_files(client, []).status_code == 302
    path = link_in(mails_to(EMAIL)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    space = client.post(path).headers["Location"]
    data = form_data(email=EMAIL, first_name="Anouk", hours_max="30")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    response = post_files(client, [(png_bomb(), "bombe.png")], f"{space}/modifier", data)
    assert response.status_code == 400
    assert "Cette photo est trop grande" in error_of(response, "cv")
    candidate = the_candidate()
    assert candidate.cv_filename is None and candidate.hours_max != 30 and stored(cv_dir) == []
