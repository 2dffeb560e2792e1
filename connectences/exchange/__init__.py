"""Interchange format v1: validate, import and export whole documents.

Public API, shared by the CLI (``flask exchange ...``), the JSON API and tests:
``validate``, ``FieldError``, ``import_document``, ``import_document_and_commit``,
``ImportResult``, ``ExchangeError``, ``export_document``, ``normalize_document``,
``parse_document``, ``dump_document``.
"""

from connectences.exchange.exporter import export_document, normalize_document
from connectences.exchange.importer import (
    ExchangeError,
    ImportResult,
    import_document,
    import_document_and_commit,
)
from connectences.exchange.parse import dump_document, parse_document
from connectences.exchange.validate import FORMAT, FieldError, validate

__all__ = [
    "FORMAT",
    "ExchangeError",
    "FieldError",
    "ImportResult",
    "dump_document",
    "export_document",
    "import_document",
    "import_document_and_commit",
    "normalize_document",
    "parse_document",
    "validate",
]
