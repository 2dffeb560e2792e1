"""Uploaded pictures decoded safely with Pillow: the one reading of an image file.

Used by the testimonial photos (``content.photos``) and by the photos of a paper CV
(``cvtheque.files``). The file's name and announced type are never trusted: only what
Pillow decodes counts. The header is checked before any pixel is decoded (format,
dimensions: decompression bombs), only the first frame is read (an animated WebP, the
second picture of a phone's MPO JPEG), and the picture comes back upright (the phone's
EXIF orientation applied) as a NEW RGB image made from the pixels alone: nothing of the
uploaded file (EXIF with its GPS position and device, ICC profile, comments, trailing
data) can reach what the caller saves.

Refusals are ``PictureRefused`` with a ``reason`` (and the size read), which each caller
says in its own French words.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from connectences.errors import DomainError

# Why a picture is refused (``PictureRefused.reason``).
NOT_IMAGE = "not_image"  # Pillow does not recognise it as an image at all
FORMAT = "format"  # an image, of a format the caller does not accept (``kind`` says which)
TOO_LARGE = "too_large"  # dimensions or pixel count over the caller's bounds
TOO_SMALL = "too_small"
DAMAGED = "damaged"  # recognised, but its pixels cannot be decoded (truncated, corrupt)

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


# What each reason says when a caller has no words of its own for it.
_SAID = {
    NOT_IMAGE: "Ce fichier n'est pas une image.",
    FORMAT: "Ce format d'image n'est pas accepté.",
    TOO_LARGE: "Cette image est trop grande.",
    TOO_SMALL: "Cette image est trop petite.",
    DAMAGED: "Cette image n'a pas pu être lue : le fichier est peut-être abîmé.",
}


class PictureRefused(DomainError):
    """An uploaded picture refused for ``reason``; ``kind`` is the format Pillow read
    (None when it read none), ``size`` the (width, height) of its header when read. Its
    message is a plain French default: each caller says the reason in its own words."""

    def __init__(self, reason: str, *, kind: str | None = None, size=None) -> None:
        super().__init__(_SAID[reason])
        self.reason = reason
        self.kind = kind
        self.size = size


def format_of(data: bytes) -> str | None:
    """The format Pillow recognises in ``data`` from its header ("JPEG", "PNG"...), or
    None; no pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as probe:
                return probe.format
    except Image.DecompressionBombError:
        return "?"  # an image, of dimensions no caller accepts
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        return None


def upright_rgb(
    data: bytes,
    *,
    formats: frozenset[str],
    max_pixels: int,
    max_dimension: int | None = None,
    min_dimension: int = 0,
    fit: int | None = None,
) -> Image.Image:
    """The first frame of the image in ``data``, turned upright and converted to RGB, as
    a new image holding only its pixels (no ``info``: no EXIF, ICC, comment), reduced
    to ``fit`` pixels on its longest side when given.

    Raises ``PictureRefused``: ``NOT_IMAGE``, ``FORMAT`` (not one of ``formats``),
    ``TOO_LARGE`` (over ``max_pixels`` or ``max_dimension``, read on the header before
    decoding; a header Pillow itself finds a bomb is ``TOO_LARGE`` too), ``TOO_SMALL``,
    ``DAMAGED`` (a truncated or corrupt file, which is never half-decoded).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning: ours below
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if kind not in formats:
                    raise PictureRefused(FORMAT, kind=kind, size=image.size)
                too_long = max_dimension is not None and max(width, height) > max_dimension
                if too_long or width * height > max_pixels:
                    raise PictureRefused(TOO_LARGE, kind=kind, size=image.size)
                if min(width, height) < min_dimension:
                    raise PictureRefused(TOO_SMALL, kind=kind, size=image.size)
                try:
                    image.seek(0)  # the first frame only
                    if fit is not None and kind in ("JPEG", "MPO"):
                        # Decoded straight at a half, quarter... of its size when that
                        # still covers ``fit``: less memory and time for a phone photo.
                        image.draft("RGB", (fit, fit))
                    image.load()
                    upright = ImageOps.exif_transpose(image)
                    picture = upright.convert("RGB")
                except _DECODE_ERRORS:
                    raise PictureRefused(DAMAGED, kind=kind, size=(width, height)) from None
    except PictureRefused:
        raise  # a ValueError too (DomainError): said already, not "not an image"
    except Image.DecompressionBombError:
        raise PictureRefused(TOO_LARGE) from None
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        raise PictureRefused(NOT_IMAGE) from None
    if fit is not None:
        picture.thumbnail((fit, fit), Image.Resampling.LANCZOS)
    # A fresh image made of the pixels alone: saved without exif/icc/comment arguments,
    # Pillow writes none of them.
    return Image.frombytes("RGB", picture.size, picture.tobytes())
