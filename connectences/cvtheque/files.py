"""CV files: checked by content, stored outside ``static/`` under random names.

A CV is accepted only if pypdf reads it as an unencrypted PDF with at least one
page; its name and its announced type are never trusted. A paper CV may come as photos
from a phone (``read_cv``, the one way in of every CV file): their pixels alone are made
into one PDF (no EXIF, GPS position or device kept), then checked and stored as an
uploaded PDF is. Files live in
``instance/cv/`` (mode 0600), are served only as attachments by the views that
check the reader's rights, and are never executed or rendered inline.

Files follow the database transaction they belong to: a file stored for a row that
is rolled back is removed (no orphan), and a file whose row is deleted goes only
once that deletion is committed (a failed deletion keeps the file its row names).
"""

from __future__ import annotations

import io
import logging
import os
import re
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask import current_app
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from sqlalchemy import event
from sqlalchemy.orm import Session

from connectences import config, pictures
from connectences.errors import DomainError

log = logging.getLogger("connectences.cvtheque")

# Pages read for skills: enough for any CV, bounded for a 5 MB file of scans.
MAX_TEXT_PAGES = 30
_NEW = "cv_files_new"
_DISCARD = "cv_files_discard"
# Headers of what people (or attackers) rename to .pdf.
_FOREIGN_MAGIC = (b"MZ", b"\x7fELF", b"PK\x03\x04", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_HTML = re.compile(rb"^\s*(<!doctype|<html|<script|<\?xml|<svg|<head|<body)", re.IGNORECASE)
# An image by its header (a photo Pillow could not read is said to be damaged, not "no
# image"); a Word or LibreOffice document, said by name with how to make a PDF of it.
_IMAGE = re.compile(
    rb"^(\xff\xd8\xff|\x89PNG\r\n\x1a\n|GIF8[79]a|RIFF....WEBP|....ftyp(heic|heix|mif1|msf1|avif))",
    re.DOTALL,
)
_OFFICE_ZIP = (b"word/", b"[Content_Types].xml", b"application/vnd.oasis.opendocument")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old Word .doc (or .xls)
UNREADABLE = (
    "Ce fichier n'a pas pu être lu comme un PDF. Enregistrez votre CV au format PDF puis réessayez."
)
NOT_PDF = (
    "Ce fichier n'est pas un PDF, ni une photo que la plateforme sait lire. Enregistrez "
    "votre CV au format PDF, ou envoyez une photo (JPEG, PNG ou WebP) de chaque page."
)
DOCUMENT_NOT_PDF = (
    "Ce fichier est un document Word ou LibreOffice : ce n'est pas un PDF. Ouvrez-le, "
    "choisissez « Enregistrer sous » (ou « Exporter ») au format PDF, puis réessayez."
)


def _not_pdf_message(head: bytes) -> str:
    """Why a file that does not open as a PDF is refused, naming what it seems to be."""
    if head.startswith(_OLE) or (
        head.startswith(b"PK\x03\x04") and any(mark in head for mark in _OFFICE_ZIP)
    ):
        return DOCUMENT_NOT_PDF
    return NOT_PDF


class CvFileError(DomainError):
    """A CV file refused, with the reason in French for the person."""


class CvStorageError(CvFileError):
    """The file was fine but could not be written (folder not writable, disk full...):
    nothing is stored, the person may send it again later; the log says why."""


STORAGE_UNAVAILABLE = (
    "Votre CV n'a pas pu être enregistré : un problème technique de notre côté "
    "empêche de conserver le fichier pour le moment. Rien n'a été enregistré ; "
    "réessayez dans quelques minutes."
)


# What a PDF reader runs by itself: a script (Acrobat's JavaScript) or a program it
# launches. A CV is opened by staff and operators on their own computers.
_CODE_ACTIONS = frozenset({"/JavaScript", "/Launch"})
# A script's key, and an XFA form's (/AcroForm /XFA): its scripts sit in the XML of its
# streams, which this check does not read; Acrobat runs them. No word processor writes one.
_CODE_KEYS = frozenset({"/JS", "/JavaScript", "/XFA"})
# What a reader does by itself beyond showing the document, when an action of these kinds
# is run at opening (/OpenAction) or on a page or field event (/AA): open a web address,
# send the form's data, import some, open another file, play media. A link the reader
# clicks (a page's /Annots) is no such action: a CV's e-mail or LinkedIn link stays.
_OUTSIDE_ACTIONS = frozenset(
    {
        "/URI", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/Launch",
        "/Rendition", "/Movie", "/Sound", "/RichMediaExecute",
    }
)  # fmt: skip
# What carries a file inside the PDF, which a reader offers to open or save: the names
# tree of attachments, a file attachment annotation, and the embedded file itself (a
# file specification's /EF, reached from either, or from PDF 2's associated files /AF).
_ATTACHMENT_KEYS = frozenset({"/EmbeddedFiles", "/EF"})
_ATTACHMENT_TYPES = frozenset({"/FileAttachment", "/EmbeddedFile"})
# Past this many dictionaries and arrays the file is no CV (a 5 MB CV holds thousands).
MAX_PDF_NODES = 200_000
ACTIVE_CONTENT = (
    "Ce PDF contient un programme, un script ou une action qui s'exécute à son ouverture "
    "(ouvrir une adresse internet, envoyer des données) : il est refusé par sécurité. "
    "Enregistrez votre CV de nouveau au format PDF depuis votre traitement de texte "
    "(« Exporter » ou « Enregistrer sous » en PDF) puis réessayez."
)
EMBEDDED_FILE = (
    "Ce PDF contient une pièce jointe (un autre fichier caché à l'intérieur) : il est "
    "refusé par sécurité. Enregistrez le CV sans pièce jointe, au format PDF depuis votre "
    "traitement de texte (« Exporter » ou « Enregistrer sous » en PDF), puis réessayez."
)
# What ``active_content`` finds, with the sentence telling the person what to do.
CODE = "code"
ATTACHMENT = "attachment"
ACTIVE_CONTENT_MESSAGES = {CODE: ACTIVE_CONTENT, ATTACHMENT: EMBEDDED_FILE}


def _name(node) -> object:
    return node.get_object() if isinstance(node, IndirectObject) else node


def _automatic_actions(node: DictionaryObject) -> Iterator[DictionaryObject]:
    """The actions ``node`` runs by itself: its /OpenAction (an action, not a page to
    show), the events of its /AA, each with the actions chained after it (/Next), a
    chain read once whatever its loops (``MAX_PDF_NODES`` at most)."""
    pending = [node.get("/OpenAction")]
    events = _name(node.get("/AA"))
    if isinstance(events, DictionaryObject):
        pending.extend(events.values())
    seen: set[tuple[int, int]] = set()
    while pending and len(seen) < MAX_PDF_NODES:
        action = pending.pop()
        if isinstance(action, IndirectObject):
            if (action.idnum, action.generation) in seen:
                continue
            seen.add((action.idnum, action.generation))
        action = _name(action)
        if not isinstance(action, DictionaryObject):
            continue
        yield action
        chained = action.get("/Next")
        if isinstance(_name(chained), ArrayObject):
            pending.extend(_name(chained))
        else:
            pending.append(chained)


def _active_content(reader: PdfReader) -> str | None:
    """What of the document a reader runs or opens by itself, ``CODE`` or ``ATTACHMENT``
    (None when nothing): a JavaScript or Launch action, a script or an XFA form, an action
    reaching outside the document run by itself (``_OUTSIDE_ACTIONS``); an embedded file
    (attachments, file attachment annotations). Looked for anywhere from the trailer
    (catalog, names tree, pages, their annotations and additional actions). pypdf reads
    the names (``/J#61vaScript`` is ``/JavaScript``) and the objects packed in compressed
    object streams, which no scan of the bytes would see; stream contents are not read."""
    seen: set[tuple[int, int]] = set()
    pending: list = [reader.trailer]
    visited = 0
    while pending:
        node = pending.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        visited += 1
        if visited > MAX_PDF_NODES:
            raise CvFileError(UNREADABLE)
        if isinstance(node, DictionaryObject):
            action = _name(node.get("/S"))
            if _CODE_KEYS.intersection(node.keys()) or (
                isinstance(action, str) and action in _CODE_ACTIONS
            ):
                return CODE
            for automatic in _automatic_actions(node):
                kind = _name(automatic.get("/S"))
                if isinstance(kind, str) and kind in _OUTSIDE_ACTIONS:
                    return CODE
            kinds = {_name(node.get(key)) for key in ("/Subtype", "/Type")}
            if _ATTACHMENT_KEYS.intersection(node.keys()) or any(
                isinstance(kind, str) and kind in _ATTACHMENT_TYPES for kind in kinds
            ):
                return ATTACHMENT
            pending.extend(node.values())
        elif isinstance(node, ArrayObject):
            pending.extend(node)
    return None


def active_content(data: bytes) -> str | None:
    """The check of a PDF upload against what runs or opens by itself (``CODE``,
    ``ATTACHMENT``, or None), for a file stored already (``stored_files.recheck``): the
    same check ``check_pdf`` makes. ``CvFileError`` when pypdf cannot read the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _active_content(PdfReader(io.BytesIO(data), strict=False))
    except CvFileError:
        raise
    except Exception as exc:  # any parser failure means "not a readable PDF"
        log.info("stored CV unreadable by pypdf: %s", type(exc).__name__)
        raise CvFileError(UNREADABLE) from None


def max_bytes() -> int:
    """The largest CV accepted (``CV_MAX_BYTES``)."""
    return config.integer("CV_MAX_BYTES")


def cv_folder() -> Path:
    """Where CV files are kept: ``instance/cv/``, outside anything the web serves."""
    return Path(current_app.instance_path) / "cv"


def check_pdf(data: bytes) -> str:
    """Check that ``data`` is a readable PDF within the size limit; return its text.

    Raises ``CvFileError`` (French message) for an empty or oversize file, anything
    that is not a PDF by content (HTML, executable, archive renamed ``.pdf``), a PDF
    without its end-of-file marker (truncated), an encrypted PDF, or one pypdf cannot read.
    """
    limit = max_bytes()
    if not data:
        raise CvFileError("Le fichier est vide.")
    if len(data) > limit:
        # Only the limit and one byte more were read: the file's own size is not known.
        raise CvFileError(
            f"Le fichier est trop lourd : la taille maximale est de {limit // 1_048_576} Mo. "
            "Enregistrez-le de nouveau en PDF « taille réduite » (ou sans les images) "
            "et réessayez."
        )
    head = data[:1024]
    # The PDF header comes first: a file opening as another format (an image, a page)
    # with a PDF behind it is a polyglot, read differently by each program.
    if (
        head.startswith(_FOREIGN_MAGIC)
        or _HTML.match(head)
        or not head.lstrip().startswith(b"%PDF-")
    ):
        raise CvFileError(_not_pdf_message(head))
    try:
        with warnings.catch_warnings():
            # pypdf warns on the small defects most real CVs have; they are not errors.
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise CvFileError(
                    "Ce PDF est protégé par un mot de passe : enregistrez-le sans protection "
                    "puis réessayez."
                )
            found = _active_content(reader)
            if found:
                raise CvFileError(ACTIVE_CONTENT_MESSAGES[found])
            pages = reader.pages
            if len(pages) == 0:
                raise CvFileError("Ce PDF ne contient aucune page.")
            parts = []
            for page in list(pages)[:MAX_TEXT_PAGES]:
                parts.append(page.extract_text() or "")
    except CvFileError:
        raise
    except Exception as exc:  # any parser failure means "not a readable PDF"
        log.info("CV refused, pypdf could not read it: %s", type(exc).__name__)
        raise CvFileError(UNREADABLE) from None
    # Every complete PDF has an end-of-file marker: a file cut during the upload lacks it,
    # and pypdf's lenient reading would otherwise repair it.
    if b"%%EOF" not in data:
        raise CvFileError(
            "Ce PDF est incomplet (le fichier a peut-être été coupé) : enregistrez-le à "
            "nouveau puis réessayez."
        )
    return "\n".join(parts)


# A paper CV photographed with a phone: up to this many photos (one a page), made into
# one PDF by the platform (``read_cv``), stored and handled as an uploaded PDF is.
MAX_CV_PHOTOS = 4
# What Pillow decodes for a CV photo: a phone's JPEG (MPO: a JPEG with a second, depth
# or preview picture), PNG (a screenshot), WebP. HEIC is read only if Pillow can (a
# plugin installed): an iPhone sends a JPEG from Safari anyway.
Image.init()
CV_PHOTO_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"}) | frozenset(
    {"HEIF"} if "HEIF" in Image.OPEN else set()
)
_HEIC = re.compile(rb"^....ftyp(heic|heix|heim|heis|hevc|hevx|mif1|msf1)", re.DOTALL)
# Read on the header, before anything is decoded: a 40 Mpx phone photo passes, a
# decompression bomb (a few kB claiming billions of pixels) does not.
MAX_PHOTO_PIXELS = 40_000_000
MIN_PHOTO_SIDE = 300
# A page of the PDF made of photos: its longest side (about 215 dpi on an A4 page), and
# the JPEG quality of its picture; tried again smaller while the PDF is over the limit.
PHOTO_PAGE_STEPS = ((2500, 80), (2000, 70), (1600, 60), (1200, 50))
A4_INCHES = (8.27, 11.69)
PHOTO_UNREADABLE = (
    "Cette photo n'a pas pu être lue : le fichier est peut-être abîmé ou incomplet. "
    "Reprenez la photo (ou choisissez-la à nouveau) puis réessayez."
)
PHOTO_HEIC = (
    "Cette photo est au format HEIC (iPhone), que la plateforme ne sait pas lire. "
    "Choisissez-la depuis l'application Photos (elle est alors envoyée en JPEG) ou faites-en "
    "une capture d'écran, puis réessayez."
)
PHOTO_GIF = (
    "Ce fichier est une image GIF : envoyez plutôt une photo (JPEG, PNG ou WebP) ou un PDF "
    "de votre CV."
)
TOO_MANY_PHOTOS = (
    f"Vous avez choisi trop de fichiers : {MAX_CV_PHOTOS} photos au plus (une par page "
    "du CV), ou un seul PDF."
)
PDF_WITH_OTHERS = (
    "Un CV en PDF s'envoie seul : choisissez soit un seul PDF, soit une ou plusieurs photos "
    f"({MAX_CV_PHOTOS} au plus)."
)


def _photo_too_large(size) -> str:
    said = f" ({size[0]} × {size[1]} pixels)" if size else ""
    return (
        f"Cette photo est trop grande{said} : {MAX_PHOTO_PIXELS // 1_000_000} millions de "
        "pixels au plus. Reprenez-la avec le réglage normal de l'appareil photo, ou "
        "envoyez une capture d'écran de la photo, puis réessayez."
    )


def _photo_too_small(size) -> str:
    return (
        f"Cette photo est trop petite pour être lue ({size[0]} × {size[1]} pixels) : "
        f"{MIN_PHOTO_SIDE} pixels de côté au moins. Reprenez la photo de plus près."
    )


def _photos_too_heavy(limit: int, what: str, them: str = "les") -> str:
    return (
        f"{what} : {limit // 1_048_576} Mo au plus. Envoyez-{them} en taille réduite (sur "
        "un téléphone, « Taille réelle » décoché, ou une capture d'écran de la photo), ou "
        "moins de pages, puis réessayez."
    )


def max_photos_bytes() -> int:
    """The most the photos of one CV may weigh together: three times a PDF's limit,
    within the request's own limit (``MAX_CONTENT_LENGTH``, with room for the form)."""
    request_limit = current_app.config["MAX_CONTENT_LENGTH"]
    return min(3 * max_bytes(), request_limit - 512 * 1024)


@dataclass(frozen=True)
class ReadCv:
    """A CV file accepted (``read_cv``): the PDF to store, its text (empty for photos:
    no OCR here), and how many photos it was made of (0 for an uploaded PDF)."""

    pdf: bytes
    text: str
    photos: int = 0


def _page(data: bytes, fit: int) -> Image.Image:
    """One photo of the CV as a page: upright, RGB, pixels only (``pictures``)."""
    try:
        return pictures.upright_rgb(
            data,
            formats=CV_PHOTO_FORMATS,
            max_pixels=MAX_PHOTO_PIXELS,
            min_dimension=MIN_PHOTO_SIDE,
            fit=fit,
        )
    except pictures.PictureRefused as refused:
        if refused.reason == pictures.TOO_LARGE:
            raise CvFileError(_photo_too_large(refused.size)) from None
        if refused.reason == pictures.TOO_SMALL:
            raise CvFileError(_photo_too_small(refused.size)) from None
        if refused.reason == pictures.DAMAGED:
            raise CvFileError(PHOTO_UNREADABLE) from None
        if refused.kind == "GIF":
            raise CvFileError(PHOTO_GIF) from None
        if refused.reason == pictures.FORMAT:
            raise CvFileError(NOT_PDF) from None
        head = data[:1024]
        if _HEIC.match(head):
            raise CvFileError(PHOTO_HEIC) from None
        if _IMAGE.match(head):  # its header says an image, Pillow could not read it
            raise CvFileError(PHOTO_UNREADABLE) from None
        raise CvFileError(_not_pdf_message(head)) from None


def _photos_pdf(photos: list[bytes]) -> bytes:
    """The photos as one PDF, a page each, each page's picture fitted to an A4 page;
    made smaller while over the size limit."""
    limit = max_bytes()
    for fit, quality in PHOTO_PAGE_STEPS:
        pages = [_page(data, fit) for data in photos]
        # One resolution for the file: the page most in need of it fits A4.
        dpi = max(max(w / A4_INCHES[0], h / A4_INCHES[1]) for w, h in (p.size for p in pages))
        out = io.BytesIO()
        pages[0].save(
            out,
            "PDF",
            save_all=True,
            append_images=pages[1:],
            resolution=dpi,
            quality=quality,
            title="CV",
        )
        if out.tell() <= limit:
            return out.getvalue()
    raise CvFileError(
        "Ces photos font un PDF trop lourd, même réduites : envoyez moins de pages (les "
        "plus utiles) ou un PDF, puis réessayez."
    )


def read_cv(upload: bytes | list[bytes] | ReadCv) -> ReadCv:
    """The one entry of a CV file into the platform, whatever form sent it: one PDF
    (checked by ``check_pdf``), or one to ``MAX_CV_PHOTOS`` photos of a paper CV (a
    page each), made here into one PDF of their pixels alone (nothing of the photos'
    EXIF: GPS position, device, time) that is then checked as an uploaded PDF is. A
    ``ReadCv`` comes back as it is (read already).

    Raises ``CvFileError`` (French message) for what ``check_pdf`` refuses, too many
    files, a PDF sent with others, photos too heavy together, a photo Pillow cannot
    decode (truncated, corrupt, a format other than JPEG/PNG/WebP), a decompression
    bomb or a photo over ``MAX_PHOTO_PIXELS``.
    """
    if isinstance(upload, ReadCv):
        return upload
    parts = [upload] if isinstance(upload, bytes) else list(upload)
    if not parts or not any(parts):
        raise CvFileError("Le fichier est vide.")
    if len(parts) > MAX_CV_PHOTOS:
        raise CvFileError(TOO_MANY_PHOTOS)
    pdfs = [data for data in parts if data.lstrip()[:5] == b"%PDF-"]
    if pdfs:
        if len(parts) > 1:
            raise CvFileError(PDF_WITH_OTHERS)
        return ReadCv(parts[0], check_pdf(parts[0]))
    if any(not data for data in parts):
        raise CvFileError("Un des fichiers est vide.")
    limit = max_bytes()
    if any(len(data) > limit for data in parts):
        raise CvFileError(_photos_too_heavy(limit, "Une photo est trop lourde", "la"))
    if sum(len(data) for data in parts) > max_photos_bytes():
        raise CvFileError(
            _photos_too_heavy(max_photos_bytes(), "Ces photos sont trop lourdes ensemble")
        )
    for data in parts:
        # A file that is no image at all is refused as the PDF check refuses it (an
        # executable, a page, a Word document...), before any decoding.
        head = data[:1024]
        if head.startswith(_FOREIGN_MAGIC) or _HTML.match(head):
            raise CvFileError(_not_pdf_message(head))
    pdf = _photos_pdf(parts)
    return ReadCv(pdf, check_pdf(pdf), photos=len(parts))


class CvStorage(Protocol):
    """Where CV files live, by stored name. The platform only ever uses these five
    operations, so the files can move from the instance folder to a shared volume or
    an S3-compatible store (several web hosts) by giving the app another implementation
    (``app.extensions["cv_storage"]``) without touching the callers."""

    def write_new(self, name: str, data: bytes) -> None:
        """Store ``data`` under a new ``name``; never overwrites (FileExistsError)."""

    def read(self, name: str) -> bytes:
        """The bytes stored under ``name``; FileNotFoundError when there are none."""

    def exists(self, name: str) -> bool:
        """Whether something is stored under ``name``."""

    def delete(self, name: str) -> bool:
        """Remove what is stored under ``name``; True if something was there."""

    def names(self) -> Iterator[tuple[str, datetime]]:
        """Every stored name with when it was written (UTC), in no order (the nightly
        sweep of files no row names, ``stored_files.sweep``)."""


class LocalCvStorage:
    """Files in one folder of the local disk (``instance/cv/`` for CVs, ``instance/photos/``
    for testimonial photos), mode 0600."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        # Only a base name: a stored name never reaches outside the folder.
        base = Path(name or "").name
        if not base or base.startswith(".") or base != name:
            raise FileNotFoundError(name)
        return self.folder / base

    def write_new(self, name: str, data: bytes) -> None:
        path = self._path(name)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except BaseException:
            # A disk full mid-write: no truncated file left behind under a name.
            path.unlink(missing_ok=True)
            raise

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def exists(self, name: str) -> bool:
        try:
            return self._path(name).is_file()
        except FileNotFoundError:
            return False

    def delete(self, name: str) -> bool:
        try:
            path = self._path(name)
        except FileNotFoundError:
            return False
        if not path.is_file():
            return False
        path.unlink(missing_ok=True)
        return True

    def names(self) -> Iterator[tuple[str, datetime]]:
        if not self.folder.is_dir():
            return
        for entry in os.scandir(self.folder):
            # What _path would refuse (a temporary dot file of a copy tool) is not ours.
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            written = datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime, UTC)
            yield entry.name, written


def storage() -> CvStorage:
    """The CV storage of the current app: ``app.extensions["cv_storage"]`` when set,
    else the local folder ``instance/cv/``."""
    return current_app.extensions.get("cv_storage") or LocalCvStorage(cv_folder())


def store_pdf(data: bytes, *, session: Session | None = None) -> str:
    """Write a checked PDF under a random name (mode 0600 on disk); return that name.

    With ``session``, the file belongs to its transaction: it is removed again if the
    transaction ends without a commit. ``CvStorageError`` when the storage refuses the
    write (nothing left of the file).
    """
    store = storage()
    name = f"{secrets.token_hex(16)}.pdf"
    try:
        store.write_new(name, data)
    except OSError as error:
        log.error("CV file could not be stored (%s): %s", type(error).__name__, error)
        raise CvStorageError(STORAGE_UNAVAILABLE) from error
    if session is not None:
        follow_transaction(session, store, name)
    return name


def follow_transaction(session: Session, store: CvStorage, name: str) -> None:
    """The file ``name`` just written to ``store`` belongs to ``session``'s transaction:
    it is removed again if that transaction ends without a commit (any stored file, not
    only CVs: testimonial photos use the same rule)."""
    session.info.setdefault(_NEW, []).append((store, name))


def delete_after_commit(session: Session, store: CvStorage, name: str | None) -> bool:
    """Remove ``name`` from ``store`` once ``session`` commits; True if the file is there now."""
    if not name or not store.exists(name):
        return False
    session.info.setdefault(_DISCARD, []).append((store, name))
    return True


# A stored CV found with active content after it was accepted (``stored_files.recheck``)
# stays stored (the record names it; an erasure removes it) under a name of this ending,
# which no download serves: the state travels with the name, in the row. A stored CV
# pypdf can no longer read cannot be checked at all: it is withheld the same way, under
# a name saying so (``UNREADABLE_SUFFIX``, also ending in ``WITHHELD_SUFFIX``).
WITHHELD_SUFFIX = ".withheld"
UNREADABLE_SUFFIX = ".unreadable" + WITHHELD_SUFFIX
# Why a stored CV is withheld (``withheld_reason``): what ``active_content`` found
# (``CODE`` or ``ATTACHMENT``, one name for both: ``ACTIVE``), or ``UNREADABLE_FILE``.
ACTIVE = "active"
UNREADABLE_FILE = "unreadable"
# The reason in a few French words, as staff read it after « CV retenu : ».
WITHHELD_WORDS = {ACTIVE: "contenu actif", UNREADABLE_FILE: "fichier illisible"}


class CvWithheld(FileNotFoundError):
    """The stored CV is withheld from download, ``reason`` saying why (``ACTIVE`` or
    ``UNREADABLE_FILE``). A ``FileNotFoundError``: a reader of files that knows nothing of
    withholding still never serves it."""

    def __init__(self, stored_name: str) -> None:
        super().__init__(stored_name)
        self.reason = withheld_reason(stored_name)


def is_withheld(stored_name: str | None) -> bool:
    """Whether the stored CV named ``stored_name`` is withheld from download."""
    return bool(stored_name) and stored_name.endswith(WITHHELD_SUFFIX)


def withheld_reason(stored_name: str | None) -> str | None:
    """Why the stored CV named ``stored_name`` is withheld: ``UNREADABLE_FILE``,
    ``ACTIVE``, or None when it is not."""
    if not is_withheld(stored_name):
        return None
    return UNREADABLE_FILE if stored_name.endswith(UNREADABLE_SUFFIX) else ACTIVE


def withheld_name(reason: str = ACTIVE) -> str:
    """A new random stored name for a CV withheld for ``reason``."""
    suffix = UNREADABLE_SUFFIX if reason == UNREADABLE_FILE else WITHHELD_SUFFIX
    return f"{secrets.token_hex(16)}{suffix}"


# What a page says of a person's CV file (``file_state``).
FILE_NONE = "none"
FILE_PRESENT = "present"
FILE_WITHHELD = "withheld"
FILE_UNREADABLE = "unreadable"
FILE_MISSING = "missing"


def file_state(stored_name: str | None) -> str:
    """Whether a record's CV file can be downloaded: ``FILE_PRESENT``; else why not:
    ``FILE_NONE`` (no CV), ``FILE_WITHHELD`` (active content), ``FILE_UNREADABLE``
    (withheld, pypdf can no longer read it), ``FILE_MISSING`` (the row names a file the
    store lacks)."""
    if not stored_name:
        return FILE_NONE
    reason = withheld_reason(stored_name)
    if reason is not None:
        return FILE_UNREADABLE if reason == UNREADABLE_FILE else FILE_WITHHELD
    return FILE_PRESENT if storage().exists(stored_name) else FILE_MISSING


def read_pdf(stored_name: str) -> bytes:
    """The bytes of a stored CV to download; ``FileNotFoundError`` when it is not there,
    ``CvWithheld`` (one) when it is withheld."""
    if is_withheld(stored_name):
        raise CvWithheld(stored_name)
    return storage().read(stored_name)


def pdf_exists(stored_name: str | None) -> bool:
    """Whether the stored CV named ``stored_name`` is there."""
    if not stored_name:
        return False
    return storage().exists(stored_name)


def delete_pdf(stored_name: str) -> bool:
    """Remove a stored CV now; True if a file was there."""
    return storage().delete(stored_name)


def delete_pdf_after_commit(session: Session, stored_name: str) -> bool:
    """Remove a stored CV once ``session`` commits; True if the file is there now."""
    return delete_after_commit(session, storage(), stored_name)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_NEW, None)  # committed: the files are the rows' now
    for store, name in session.info.pop(_DISCARD, []):
        try:
            store.delete(name)
        except OSError:
            log.exception("could not delete CV file %s", name)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    # Fires after ``after_commit`` on a commit (nothing left to do then), and on a
    # rollback or a close without commit: the files written for it are orphans.
    if transaction.parent is not None:  # only the outermost transaction decides
        return
    session.info.pop(_DISCARD, None)
    for store, name in session.info.pop(_NEW, []):
        try:
            store.delete(name)
        except OSError:
            log.exception("could not delete orphan CV file %s", name)
