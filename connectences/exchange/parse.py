"""Reading and writing interchange documents as JSON text (CLI and API share these)."""

from __future__ import annotations

import json
from typing import Any

from connectences.exchange.importer import ExchangeError
from connectences.exchange.validate import FieldError
from connectences.text import json_without_controls


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, although Python's parser accepts them.
    raise ValueError(f"valeur non autorisée en JSON : {name}")


def parse_document(data: bytes | str) -> Any:
    """Parse JSON text (UTF-8, with or without a BOM) into a document to validate.

    Raises ``ExchangeError`` with one error at pointer "" when the text is not
    UTF-8 or not JSON, with a French sentence saying where it breaks. Control
    characters but tab, newline, carriage return and NUL are removed from its strings.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ExchangeError(
                [FieldError("", f"le fichier n'est pas en UTF-8 (octet {exc.start + 1})")]
            ) from exc
    elif data.startswith("\ufeff"):
        data = data[1:]
    try:
        # Control characters are dropped as from every text coming in (NUL stays, for
        # the validation to refuse at its pointer).
        return json_without_controls(json.loads(data, parse_constant=_refuse_constant))
    except json.JSONDecodeError as exc:
        raise ExchangeError(
            [
                FieldError(
                    "",
                    f"le fichier n'est pas un JSON valide (ligne {exc.lineno}, "
                    f"colonne {exc.colno})",
                )
            ]
        ) from exc
    except ValueError as exc:
        raise ExchangeError(
            [FieldError("", f"le fichier n'est pas un JSON valide : {exc}")]
        ) from exc
    except RecursionError as exc:  # thousands of nested brackets: no document is that deep
        raise ExchangeError(
            [FieldError("", "le fichier n'est pas un document : trop de niveaux imbriqués")]
        ) from exc


def dump_document(document: dict[str, Any]) -> str:
    """JSON text of a document: UTF-8 characters kept as they are, indented by 2."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
