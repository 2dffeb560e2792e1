"""CV files: checked by content, stored outside ``static/`` under random names.

A CV is accepted only if pypdf reads it as an unencrypted PDF with at least one
page; its name and its announced type are never trusted. Files live in
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask import current_app
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from sqlalchemy import event
from sqlalchemy.orm import Session

from connectences import config
from connectences.errors import DomainError

log = logging.getLogger("connectences.cvtheque")

# Pages read for skills: enough for any CV, bounded for a 5 MB file of scans.
MAX_TEXT_PAGES = 30
_NEW = "cv_files_new"
_DISCARD = "cv_files_discard"
# Headers of what people (or attackers) rename to .pdf.
_FOREIGN_MAGIC = (b"MZ", b"\x7fELF", b"PK\x03\x04", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_HTML = re.compile(rb"^\s*(<!doctype|<html|<script|<\?xml|<svg|<head|<body)", re.IGNORECASE)
# What people most often send instead of a PDF, said by name with how to make a PDF of
# it: a photo of a paper CV taken with a phone, a Word or LibreOffice document.
_IMAGE = re.compile(
    rb"^(\xff\xd8\xff|\x89PNG\r\n\x1a\n|GIF8[79]a|RIFF....WEBP|....ftyp(heic|heix|mif1|msf1|avif))",
    re.DOTALL,
)
_OFFICE_ZIP = (b"word/", b"[Content_Types].xml", b"application/vnd.oasis.opendocument")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old Word .doc (or .xls)
UNREADABLE = (
    "Ce fichier n'a pas pu être lu comme un PDF. Enregistrez votre CV au format PDF puis réessayez."
)
NOT_PDF = "Ce fichier n'est pas un PDF. Enregistrez votre CV au format PDF puis réessayez."
IMAGE_NOT_PDF = (
    "Ce fichier est une photo ou une image : ce n'est pas un PDF. Faites-en un PDF (sur un "
    "téléphone : « Numériser un document » dans l'application Fichiers ou Google Drive, ou "
    "« Imprimer » puis « Enregistrer en PDF ») puis réessayez."
)
DOCUMENT_NOT_PDF = (
    "Ce fichier est un document Word ou LibreOffice : ce n'est pas un PDF. Ouvrez-le, "
    "choisissez « Enregistrer sous » (ou « Exporter ») au format PDF, puis réessayez."
)


def _not_pdf_message(head: bytes) -> str:
    """Why a file that does not open as a PDF is refused, naming what it seems to be."""
    if _IMAGE.match(head):
        return IMAGE_NOT_PDF
    if head.startswith(_OLE) or (
        head.startswith(b"PK\x03\x04") and any(mark in head for mark in _OFFICE_ZIP)
    ):
        return DOCUMENT_NOT_PDF
    return NOT_PDF


class CvFileError(DomainError):
    """A CV file refused, with the reason in French for the person."""


# What a PDF reader runs by itself: a script (Acrobat's JavaScript) or a program it
# launches. A CV is opened by staff and operators on their own computers.
_CODE_ACTIONS = frozenset({"/JavaScript", "/Launch"})
_CODE_KEYS = frozenset({"/JS", "/JavaScript"})
# What carries a file inside the PDF, which a reader offers to open or save: the names
# tree of attachments, a file attachment annotation, and the embedded file itself (a
# file specification's /EF, reached from either, or from PDF 2's associated files /AF).
_ATTACHMENT_KEYS = frozenset({"/EmbeddedFiles", "/EF"})
_ATTACHMENT_TYPES = frozenset({"/FileAttachment", "/EmbeddedFile"})
# Past this many dictionaries and arrays the file is no CV (a 5 MB CV holds thousands).
MAX_PDF_NODES = 200_000
ACTIVE_CONTENT = (
    "Ce PDF contient un programme ou un script qui s'exécute à son ouverture : il est "
    "refusé par sécurité. Enregistrez votre CV de nouveau au format PDF depuis votre "
    "traitement de texte (« Exporter » ou « Enregistrer sous » en PDF) puis réessayez."
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


def _active_content(reader: PdfReader) -> str | None:
    """What of the document a reader runs or opens by itself, ``CODE`` or ``ATTACHMENT``
    (None when nothing): a JavaScript or Launch action, or a script; an embedded file
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
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

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
    transaction ends without a commit.
    """
    store = storage()
    name = f"{secrets.token_hex(16)}.pdf"
    store.write_new(name, data)
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
