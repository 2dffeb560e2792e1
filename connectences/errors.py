"""The one base of the domain's refusals.

A domain function that refuses something raises a ``DomainError`` (or a subclass that
names the area): ``message`` is French, for people; ``errors`` maps form fields to
their French message when the refusal is about fields. Views show one or the other and
never a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(ValueError):
    # How a view that flashes the refusal labels it (``base.html``: « Erreur : »); a
    # refusal that is no error (the thing is done already) says so with another.
    flash_category = "error"

    def __init__(
        self,
        message: str | None = None,
        errors: Mapping[str, str] | Sequence | None = None,
    ):
        if errors is None:
            errors = {}
        self.errors = dict(errors) if isinstance(errors, Mapping) else list(errors)
        if message is None:
            message = "; ".join(f"{key} : {text}" for key, text in dict(self.errors).items())
        super().__init__(message)
        self.message = message
