"""Testimonial photos: checked by content with Pillow, re-encoded, stored by random name.

Only what Pillow decodes as a JPEG, PNG or WebP image is accepted, within a size in
bytes and in pixels; its name and announced type are never trusted. The picture is
turned upright, reduced to ``MAX_SIDE`` pixels and saved again as a new JPEG, so that
nothing of the uploaded file is kept: no EXIF (GPS position, camera, owner's name), no
comment, no trailing data. Files live in ``instance/photos/`` through the storage of
the CV files (``cvtheque.files``), follow the database transaction like them, and are
swept each night like them (``sweep``).
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences import pictures
from connectences.cvtheque import files, stored_files
from connectences.errors import DomainError
from connectences.models import Testimonial

MAX_BYTES = 8 * 1_048_576
# Bounds checked on the header, before any pixel is decoded (decompression bombs).
MAX_DIMENSION = 8000
MAX_PIXELS = 40_000_000
MIN_DIMENSION = 200
# What is kept: enough for a page and a mail, light enough for a phone.
MAX_SIDE = 1600
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})


class PhotoError(DomainError):
    """A photo refused, with the reason in French."""


def photo_storage() -> files.CvStorage:
    """``app.extensions["photo_storage"]`` when set, else ``instance/photos/``."""
    return current_app.extensions.get("photo_storage") or files.LocalCvStorage(
        Path(current_app.instance_path) / "photos"
    )


def clean_photo(data: bytes) -> bytes:
    """The photo re-encoded as a JPEG without metadata; ``PhotoError`` (French) for an
    empty, oversize or undecodable file, a format other than JPEG/PNG/WebP, or
    dimensions out of bounds."""
    if not data:
        raise PhotoError("Le fichier est vide.")
    if len(data) > MAX_BYTES:
        # Only the limit and one byte more were read: the photo's own size is not known.
        raise PhotoError(f"La photo est trop lourde : {MAX_BYTES // 1_048_576} Mo au plus.")
    not_image = PhotoError("Ce fichier n'est pas une photo : envoyez une image JPEG, PNG ou WebP.")
    try:
        picture = pictures.upright_rgb(
            data,
            formats=ACCEPTED_FORMATS,
            max_pixels=MAX_PIXELS,
            max_dimension=MAX_DIMENSION,
            min_dimension=MIN_DIMENSION,
            fit=MAX_SIDE,
        )
    except pictures.PictureRefused as refused:
        if refused.reason == pictures.TOO_LARGE and refused.size:
            width, height = refused.size
            raise PhotoError(
                f"La photo est trop grande ({width} × {height} pixels) : "
                f"{MAX_DIMENSION} pixels de côté au plus."
            ) from None
        if refused.reason == pictures.TOO_SMALL:
            width, height = refused.size
            raise PhotoError(
                f"La photo est trop petite ({width} × {height} pixels) : "
                f"{MIN_DIMENSION} pixels de côté au moins."
            ) from None
        raise not_image from None
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def store_photo(session: Session, data: bytes) -> str:
    """Check, clean and store a photo in ``session``'s transaction; its stored name."""
    cleaned = clean_photo(data)
    store = photo_storage()
    name = f"{secrets.token_hex(16)}.jpg"
    store.write_new(name, cleaned)
    files.follow_transaction(session, store, name)
    return name


def read_photo(name: str) -> bytes:
    """The bytes of a stored photo; ``FileNotFoundError`` when it is not there."""
    return photo_storage().read(name)


def delete_photo_after_commit(session: Session, name: str | None) -> bool:
    """Remove a stored photo once ``session`` commits."""
    return files.delete_after_commit(session, photo_storage(), name)


def sweep(
    session: Session, now: datetime, *, min_age: timedelta, dry_run: bool = False
) -> dict[str, int]:
    """The photo store swept against the testimonials naming its files
    (``stored_files.sweep_store``): a photo no testimonial names (a form whose
    transaction died with its process, a row deleted by hand) goes once older than
    ``min_age``. Counts ``photo_orphans_deleted``, ``photo_orphans_too_recent``,
    ``photo_files_missing``."""

    def named() -> dict[str, int]:
        return dict(
            session.execute(
                select(Testimonial.photo, Testimonial.id).where(Testimonial.photo.is_not(None))
            ).all()
        )

    return stored_files.sweep_store(
        photo_storage(), named, now, min_age=min_age, dry_run=dry_run, kind="photo"
    )
