"""Templates are compiled once per process, for every app it creates
(connectences/web/compiled_templates.py), and compiled again when their source or the
environment's extensions differ."""

from __future__ import annotations

from unittest import mock

from jinja2 import DictLoader, Environment

from connectences import create_app
from connectences.web.compiled_templates import ProcessTemplateCache, install


def _compiles(environment: Environment, name: str) -> int:
    """How many times loading ``name`` in ``environment`` compiled a template."""
    with mock.patch.object(Environment, "_compile", autospec=True, side_effect=Environment._compile) as spy:  # fmt: skip
        environment.get_template(name)
    return spy.call_count


def _environment(cache, sources: dict, **options) -> Environment:
    loader = DictLoader(sources)
    environment = Environment(loader=loader, **options)  # noqa: S701 — escaping off and on compared
    environment.bytecode_cache = cache
    return environment


def test_a_second_environment_reuses_what_the_first_compiled():
    cache = ProcessTemplateCache()
    sources = {"page.html": "Bonjour {{ 1 + 1 }}"}
    first, second = _environment(cache, sources), _environment(cache, sources)
    assert _compiles(first, "page.html") == 1
    assert _compiles(second, "page.html") == 0
    assert second.get_template("page.html").render() == "Bonjour 2"


def test_a_changed_source_is_compiled_again():
    cache = ProcessTemplateCache()
    assert _compiles(_environment(cache, {"page.html": "avant"}), "page.html") == 1
    changed = _environment(cache, {"page.html": "après"})
    assert _compiles(changed, "page.html") == 1
    assert changed.get_template("page.html").render() == "après"


def test_an_environment_configured_otherwise_never_gets_the_code_of_another():
    cache = ProcessTemplateCache()
    sources = {"page.html": "{{ '<b>' }}"}
    assert _compiles(_environment(cache, sources), "page.html") == 1
    escaping = _environment(cache, sources, autoescape=True)
    assert _compiles(escaping, "page.html") == 1
    assert escaping.get_template("page.html").render() == "&lt;b&gt;"
    assert _compiles(_environment(cache, sources, extensions=["jinja2.ext.do"]), "page.html") == 1
    plain = _environment(cache, sources)
    assert _compiles(plain, "page.html") == 0
    assert plain.get_template("page.html").render() == "<b>"


def test_the_apps_of_a_process_share_their_compiled_templates():
    def app():
        config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32}
        return create_app(config)

    first, second = app(), app()
    assert first.jinja_env.bytecode_cache is second.jinja_env.bytecode_cache
    _compiles(first.jinja_env, "errors/error.html")
    assert _compiles(second.jinja_env, "errors/error.html") == 0


def test_install_sets_the_process_cache():
    environment = Environment(autoescape=True)
    install(environment)
    assert isinstance(environment.bytecode_cache, ProcessTemplateCache)
