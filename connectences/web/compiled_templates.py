"""Compiled templates kept for the life of the process, for every app it creates.

Jinja compiles a template (parse, generate Python source, compile it) the first time an
environment renders it. Each app has its own environment, so an app made again in the
same process (one command after another, the test suite's apps: the browser tests make
one per module) compiled every template again: 8 % of the browser tests' Python time.

Jinja's bytecode cache hook keeps the compiled code here, by template and by the
checksum of its source (a template changed on disk is compiled again) and by what of
the environment changes the code a source compiles to (its extensions, its autoescape
and finalize functions), so that an environment configured otherwise never gets code
compiled for another.
"""

from __future__ import annotations

from types import CodeType

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket


def _qualname(value) -> str | bool:
    return getattr(value, "__qualname__", bool(value)) if callable(value) else bool(value)


def _compiled_alike(environment: Environment) -> tuple:
    """What of ``environment`` the compiled code of a template depends on, besides its
    source and syntax (Jinja's defaults everywhere in this application)."""
    return (
        tuple(sorted(environment.extensions)),
        _qualname(environment.autoescape),
        _qualname(environment.finalize),
        environment.optimized,
        environment.is_async,
    )


class ProcessTemplateCache(BytecodeCache):
    """Code objects of compiled templates, shared by the environments of the process."""

    def __init__(self) -> None:
        self._code: dict[tuple, tuple[str, CodeType]] = {}

    def _key(self, bucket: Bucket) -> tuple:
        return (_compiled_alike(bucket.environment), bucket.key)

    def load_bytecode(self, bucket: Bucket) -> None:
        kept = self._code.get(self._key(bucket))
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[self._key(bucket)] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()


TEMPLATES = ProcessTemplateCache()


def install(environment: Environment) -> None:
    """Let ``environment`` reuse (and add to) the templates compiled in this process."""
    environment.bytecode_cache = TEMPLATES
