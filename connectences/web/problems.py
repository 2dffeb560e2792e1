"""RFC 9457 problem details (``application/problem+json``), the API's errors, in French."""

from __future__ import annotations

import json

from flask import Response

MEDIA_TYPE = "application/problem+json"

# Titles of the statuses the API answers with (the web's error pages have their own).
TITLES: dict[int, str] = {
    400: "Requête incorrecte",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non permise",
    406: "Format non disponible",
    409: "Conflit",
    412: "Version périmée",
    413: "Envoi trop volumineux",
    414: "Adresse trop longue",
    415: "Type de contenu non pris en charge",
    422: "Paramètres invalides",
    428: "Condition requise",
    429: "Trop de requêtes",
    500: "Erreur du serveur",
    503: "Service momentanément occupé",
}
DETAILS: dict[int, str] = {
    401: "Envoyez un jeton d'accès valide dans l'en-tête « Authorization: Bearer <jeton> ».",
    403: "Le compte de ce jeton n'a pas accès à cette ressource.",
    404: "Cette ressource n'existe pas, ou le compte de ce jeton n'y a pas accès.",
    405: "Cette adresse ne s'utilise pas avec cette méthode.",
    412: "L'enregistrement a changé depuis votre lecture : relisez-le, puis renvoyez la "
    "modification avec son nouvel ETag en If-Match.",
    414: "L'adresse de la requête (chemin et paramètres) est trop longue : envoyez moins "
    "de paramètres à la fois.",
    428: "Envoyez l'en-tête If-Match avec l'ETag de votre dernière lecture de "
    "l'enregistrement, pour ne pas écraser un changement fait entre-temps.",
    500: "Un problème est survenu de notre côté ; il a été enregistré. Réessayez plus tard.",
    503: "Une autre opération occupe la base de données ; rien n'a été enregistré. "
    "Réessayez dans quelques secondes.",
}


def problem(
    status: int,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extensions,
) -> Response:
    """A problem-details response: ``type`` is about:blank (the status says it all),
    ``title`` the status in French, ``detail`` this occurrence; extension members
    (``errors``...) as given."""
    title = TITLES.get(status) or TITLES[500 if status >= 500 else 400]
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or DETAILS.get(status, title),
        **extensions,
    }
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
