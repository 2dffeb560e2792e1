"""The commune a person means by what they type: a name, a postcode, an INSEE code or
the ``Nom (code postal)`` label that the forms suggest. One rule for every form and
import of the platform."""

from __future__ import annotations

import re

from connectences.errors import DomainError
from connectences.territory import reference as territory
from connectences.territory.text import fold


class UnknownCommune(DomainError):
    """Nothing (or several communes) fit what was typed; the message says what to do."""


_LABEL = re.compile(r"(.+?)\s*\((\d{5})\)")


def _pays_only(communes: list, pays_epcis) -> list:
    return [c for c in communes if c.epci in pays_epcis]


def resolve_commune(raw) -> object:
    """The ``CommuneRef`` meant by ``raw``; raises :class:`UnknownCommune` (French).

    - ``Arcachon``, ``lege cap ferret``: the commune of that name; when several share it,
      the one of the Pays Bassin d'Arcachon–Val de l'Eyre, else the person must add the
      postcode;
    - ``Arcachon (33120)``: the name with its postcode;
    - five digits: a postcode first, since that is what people know ("33120" is
      Arcachon, not the commune whose INSEE code is 33120); an INSEE code when no
      commune has that postcode (``33009``). A postcode shared by several communes of
      the Pays asks for the name.
    """
    text = str(raw or "").strip()
    if not text:
        raise UnknownCommune("Indiquez la commune.")
    compact = text.replace(" ", "").upper()
    if re.fullmatch(r"[0-9][0-9AB][0-9]{3}", compact):
        by_postcode = [
            c for c in territory.search_communes(compact, limit=60) if compact in c.postcodes
        ]
        if len(by_postcode) > 1:
            by_postcode = _pays_only(by_postcode, territory.PAYS_EPCIS) or by_postcode
        if len(by_postcode) == 1:
            return by_postcode[0]
        if by_postcode:
            names = ", ".join(c.name for c in by_postcode[:6])
            raise UnknownCommune(
                f"Plusieurs communes ont le code postal {compact} ({names}) : indiquez le nom."
            )
        found = territory.get_commune(compact)
        if found is not None:
            return found
        raise UnknownCommune(
            f"Commune inconnue : aucune commune n'a le code postal ou le code INSEE « {compact} »."
        )
    label = _LABEL.fullmatch(text)
    name, postcode = (label.group(1), label.group(2)) if label else (text, None)
    wanted = fold(name)
    found = territory.search_communes(name, limit=60)
    exact = [c for c in found if fold(c.name) == wanted]
    if postcode:
        exact = [c for c in exact if postcode in c.postcodes] or exact
    candidates = exact or (found if len(found) == 1 else [])
    if len(candidates) > 1:
        candidates = _pays_only(candidates, territory.PAYS_EPCIS) or candidates
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        labels = ", ".join(c.label for c in candidates[:6])
        raise UnknownCommune(
            f"Plusieurs communes s'appellent « {name[:80]} » ({labels}) : ajoutez le code postal."
        )
    raise UnknownCommune(
        f"Commune inconnue : « {text[:80]} ». Tapez son nom suivi du code postal, "
        "par exemple « Arcachon (33120) »."
    )
