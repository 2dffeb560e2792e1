"""Reading and writing interchange documents as JSON text (CLI and API share these)."""

from __future__ import annotations

import json
from typing import Any

from connectences.errors import DomainError
from connectences.exchange.importer import ExchangeError
from connectences.exchange.validate import FieldError
from connectences.text import json_without_controls


class Unreadable(DomainError):
    """A JSON text Python reads but a document may not hold (its message is French)."""


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, although Python's parser accepts them.
    raise Unreadable(f"valeur non autorisée en JSON : {name}")


def _refuse_long_integer(text: str) -> int:
    # Python refuses integers of more than 4,300 digits with an English message; no
    # field of a document is anywhere near 20.
    if len(text.lstrip("-")) > 20:
        raise Unreadable(f"nombre trop long ({len(text)} chiffres)")
    return int(text)


def refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``' object hook for every JSON text coming in (documents, the API's
    bodies): {"hours_max": 60, "hours_max": 10} would silently keep the last; it raises
    ``Unreadable`` instead."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise Unreadable(f"clé « {key[:40]} » en double dans le même objet")
        found[key] = value
    return found


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
        parsed = json.loads(
            data,
            parse_constant=_refuse_constant,
            parse_int=_refuse_long_integer,
            object_pairs_hook=refuse_repeated_keys,
        )
        return json_without_controls(parsed)
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
    except Unreadable as exc:
        raise ExchangeError(
            [FieldError("", f"le fichier n'est pas un JSON valide : {exc}")]
        ) from exc
    except ValueError as exc:  # anything else Python's parser refuses, told in French
        raise ExchangeError([FieldError("", "le fichier n'est pas un JSON valide")]) from exc
    except RecursionError as exc:  # thousands of nested brackets: no document is that deep
        raise ExchangeError(
            [FieldError("", "le fichier n'est pas un document : trop de niveaux imbriqués")]
        ) from exc


def dump_document(document: dict[str, Any]) -> str:
    """JSON text of a document: UTF-8 characters kept as they are, indented by 2."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
