"""Guards of the code's shape: each rule keeps one owner.

These read the source with ``ast`` (nothing is imported or run), so they name the file
and line of any copy that creeps back in.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from connectences.config import Defaults
from connectences.workflows import LEAD, NEED, REFERRAL

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

PACKAGE = Path(__file__).resolve().parent.parent / "connectences"
# Groups of states belong to their workflow; everything else imports them.
STATE_OWNER = PACKAGE / "workflows"
STATE_SETS = {
    "need": frozenset(NEED.states),
    "lead": frozenset(LEAD.states),
    "referral": frozenset(REFERRAL.states),
}
# The web layer, the tools that start an app and the command-line modules may use HTTP
# and the app factory; every other module is domain.
NOT_DOMAIN = ("web", "bench")
HTTP_NAMES = {"request", "render_template"}


def _modules(root: Path = PACKAGE):
    for path in sorted(root.rglob("*.py")):
        yield path, _parsed(path.read_text(encoding="utf-8"), str(path))


@functools.cache
def _parsed(source: str, filename: str) -> ast.Module:
    """The tree of ``source``, parsed once for all the checks (which only read trees):
    parsing the package again for each check was most of this module's time."""
    return ast.parse(source, filename=filename)


def _where(path: Path, root: Path, node: ast.AST) -> str:
    return f"{path.relative_to(root.parent)}:{node.lineno}"


def state_groups_outside_workflows(root: Path = PACKAGE, owner: Path = STATE_OWNER) -> list:
    """Tuples, sets and lists written outside ``owner`` whose items are all states of one
    workflow."""
    found = []
    for path, tree in _modules(root):
        if path.is_relative_to(owner):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Tuple | ast.Set | ast.List) or not node.elts:
                continue
            if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                continue
            values = {e.value for e in node.elts}
            for entity, states in STATE_SETS.items():
                if values <= states:
                    found.append(f"{_where(path, root, node)} {entity} states {sorted(values)}")
                    break
    return found


def _is_domain(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    if parts == ("__init__.py",) or parts[0] in NOT_DOMAIN:
        return False
    return not (path.stem == "cli" or path.stem.startswith("cli_"))


def http_in_domain(root: Path = PACKAGE) -> list:
    """Domain modules that import ``flask.request``, ``render_template`` or ``create_app``."""
    found = []
    for path, tree in _modules(root):
        if not _is_domain(path, root):
            continue
        for node in ast.walk(tree):
            names: set[str] = set()
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                names = {alias.name for alias in node.names} & HTTP_NAMES
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "connectences"
            ):
                names = {alias.name for alias in node.names} & {"create_app"}
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                wanted = {"flask": HTTP_NAMES, "connectences": {"create_app"}}
                names = {node.attr} & wanted.get(node.value.id, set())
            if names:
                found.append(f"{_where(path, root, node)} {sorted(names)}")
    return found


def outbox_subject_in_queries(root: Path = PACKAGE) -> list:
    """Places that filter or compare on ``OutboxMessage.subject`` (``.like``, ``==``...):
    a rule keyed on a mail's wording, which rewording silently switches off."""
    found = []
    for path, tree in _modules(root):
        for parent in ast.walk(tree):
            if isinstance(parent, ast.Compare):
                children = [parent.left, *parent.comparators]
            elif isinstance(parent, ast.Attribute):
                children = [parent.value]
            else:
                continue
            for node in children:
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "subject"
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "OutboxMessage"
                ):
                    found.append((path, node.lineno, _where(path, root, node)))
    return [where for *_, where in sorted(found)]


# Columns a view may look a record up by: finding one row by its key, or a record's own
# children, is no rule. Any other condition in a view's query (a state, a role, a text
# search, a flag) is a rule of the domain, and lives in its package.
KEY_COLUMNS = {"id", "ref", "insee"}


def _is_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and (
        node.attr in KEY_COLUMNS or node.attr.endswith("_id")
    )


def _key_condition(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare) and [type(op) for op in node.ops] == [ast.Eq]:
        return _is_key(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "in_" and _is_key(node.func.value)
    return False


def rules_in_web_queries(root: Path = PACKAGE) -> list:
    """Conditions of queries written in ``web/`` that are not a look-up by key."""
    found = []
    for path, tree in _modules(root / "web"):
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("where", "filter", "filter_by")
            ):
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if not _key_condition(arg):
                    found.append(f"{_where(path, root, node)} {ast.unparse(arg)}")
    return found


ROOT_ERRORS = {"ValueError", "Exception", "LookupError", "KeyError", "TypeError"}


def refusals_outside_domain_error(root: Path = PACKAGE) -> list:
    """Public exception classes that derive from a built-in error rather than from
    ``errors.DomainError`` (private ones, for control flow, are left alone)."""
    found = []
    for path, tree in _modules(root):
        if path == root / "errors.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                if bases & ROOT_ERRORS and not bases - ROOT_ERRORS:
                    found.append(f"{_where(path, root, node)} {node.name}")
    return found


def naive_today(root: Path = PACKAGE) -> list:
    """Calls of ``date.today()`` or ``datetime.now()`` without a zone: the machine's day,
    not Arcachon's (``clock.local_today()``)."""
    found = []
    for path, tree in _modules(root):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else ""
            if (name, node.func.attr) == ("date", "today") or (
                (name, node.func.attr) == ("datetime", "now") and not node.args + node.keywords
            ):
                found.append(f"{_where(path, root, node)} {name}.{node.func.attr}()")
    return found


# The module that owns every setting's default, and the readers it offers.
CONFIG_OWNER = PACKAGE / "config.py"
SETTING_READERS = {"setting", "integer", "number", "duration"}


def _is_config(node: ast.AST) -> bool:
    """``config``, ``app.config`` or ``current_app.config``."""
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config"
    )


def _config_read(node: ast.AST) -> str | None:
    """The key a node reads from the configuration, when it is one: ``config["K"]``,
    ``config.get("K")`` or ``config.integer("K")`` (and the other readers of config.py)."""
    if isinstance(node, ast.Subscript) and _is_config(node.value):
        key = node.slice
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and _is_config(node.func.value)
        and node.func.attr in SETTING_READERS | {"get"}
        and node.args
    ):
        key = node.args[0]
    else:
        return None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def inline_setting_defaults(root: Path = PACKAGE) -> list:
    """Settings read with a default of their own outside config.py:
    ``config.get("K", default)`` or ``config...("K") or default`` (``or None``, which
    only turns a blank value into none, is no default)."""
    found = []
    for path, tree in _modules(root):
        if path == root / "config.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and _config_read(node)
                and node.func.attr == "get"
                and len(node.args) + len(node.keywords) > 1
            ):
                found.append(f"{_where(path, root, node)} {_config_read(node)}")
            elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
                first, rest = node.values[0], node.values[1:]
                is_none = all(isinstance(v, ast.Constant) and v.value is None for v in rest)
                if _config_read(first) and not is_none:
                    found.append(f"{_where(path, root, node)} {_config_read(first)} or ...")
    return found


def undeclared_settings(root: Path = PACKAGE, declared: frozenset | None = None) -> list:
    """Settings read in the code or the templates (``config.K``) that config.py does not
    declare: they would be read as nothing, or fail only when that line runs."""
    declared = declared if declared is not None else frozenset(vars(Defaults))
    found = []
    for path, tree in _modules(root):
        for node in ast.walk(tree):
            key = _config_read(node)
            if (
                key
                and key not in declared
                and not isinstance(
                    node.ctx if isinstance(node, ast.Subscript) else ast.Load(), ast.Store
                )
            ):
                found.append(f"{_where(path, root, node)} {key}")
    for path in sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for key in re.findall(r"\bconfig\.([A-Z][A-Z0-9_]*)", line):
                if key not in declared:
                    found.append(f"{path.relative_to(root.parent)}:{number} {key}")
    return found


UNITS = ("_BYTES", "_SECONDS", "_MINUTES", "_HOURS", "_DAYS", "_MONTHS")
# Quantities whose name is not ours (Flask, Flask-WTF) or that count things, not time.
NAMED_ELSEWHERE = {"MAX_CONTENT_LENGTH", "WTF_CSRF_TIME_LIMIT"}


def settings_without_unit() -> list:
    """Numeric settings whose name says neither a unit nor what they count."""
    counts = (
        "_LENGTH",
        "_MAX_FAILURES",
        "_MAX_REQUESTS",
        "_MAX_COMPANIES",
        "_MAX_REQUESTS",
        "_KEEP",
        "_TOP",
        "_SCORE",
        "_PORT",
        "_PROXIES",
    )
    counted = ("_COST", "_PARALLELISM", "_KIB", "_WORKING_DAYS")
    return sorted(
        key
        for key, value in vars(Defaults).items()
        if key.isupper()
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and key not in NAMED_ELSEWHERE
        and not key.endswith(UNITS + counts + counted)
    )


def test_settings_have_one_default_in_config():
    assert inline_setting_defaults() == []


def test_every_setting_read_is_declared_in_config():
    assert undeclared_settings() == []


def test_numeric_settings_say_their_unit():
    assert settings_without_unit() == []


def test_the_settings_guards_catch_what_they_look_for(tmp_path):
    root = tmp_path / "connectences"
    (root / "templates").mkdir(parents=True)
    (root / "config.py").write_text("def integer(key):\n    return config.get(key, 0)\n")
    (root / "mail.py").write_text(
        'name = current_app.config.get("PLATFORM_NAME", "Connect\'ences")\n'
        'size = int(app.config.get("CV_MAX_BYTES") or 5)\n'
        'reply = config.setting("CONTACT_EMAIL") or None\n'
        'days = config.integer("CV_LINK_DAYS")\n'
        'app.config["REMEMBER_COOKIE_SECURE"] = True\n'
    )
    (root / "templates" / "base.html").write_text("{{ config.PLATFORM_NAME }}\n{{ config.NAME }}\n")
    assert inline_setting_defaults(root) == [
        "connectences/mail.py:1 PLATFORM_NAME",
        "connectences/mail.py:2 CV_MAX_BYTES or ...",
    ]
    declared = frozenset({"PLATFORM_NAME", "CV_MAX_BYTES", "CONTACT_EMAIL"})
    assert undeclared_settings(root, declared) == [
        "connectences/mail.py:4 CV_LINK_DAYS",
        "connectences/templates/base.html:2 NAME",
    ]


# Imports left inside a function, each for a reason; any other belongs at the module top.
FUNCTION_IMPORTS_ALLOWED = {
    # The package's __init__ runs at the first import of any of its modules: models,
    # blueprints and commands load only when an application is built.
    ("connectences/__init__.py", "register_extensions", "connectences.models"),
    # A watch (connectences.changes) counts changes in every process that builds an app
    # (web workers, scheduler, commands), whichever blueprints it serves.
    ("connectences/__init__.py", "register_extensions", "connectences.content.showcase"),
    ("connectences/__init__.py", "register_blueprints", "connectences.web"),
    ("connectences/__init__.py", "register_cli", "connectences.cli"),
    # The gunicorn master reads its configuration file; only workers load the app.
    ("connectences/gunicorn_conf.py", "post_worker_init", "connectences.warmup"),
    ("connectences/gunicorn_worker.py", "french_error_response", "connectences.web.errors"),
    # The PDF library takes a quarter of a second to import (reportlab, svglib): only a
    # monthly report pays it, not every worker and command at start-up.
    ("connectences/observatory/report.py", "render_pdf", "xhtml2pdf"),
}


def function_imports(root: Path = PACKAGE) -> set:
    """``(file, function, module)`` of every import written inside a function."""
    found = set()
    for path, tree in _modules(root):
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for statement in function.body:
                for node in ast.walk(statement):
                    if isinstance(node, ast.Import):
                        modules = [alias.name for alias in node.names]
                    elif isinstance(node, ast.ImportFrom):
                        modules = [node.module or "."]
                    else:
                        continue
                    where = str(path.relative_to(root.parent))
                    found |= {(where, function.name, module) for module in modules}
    return found


def test_imports_inside_functions_are_only_the_allowed_ones():
    found = function_imports()
    assert found - FUNCTION_IMPORTS_ALLOWED == set()
    assert FUNCTION_IMPORTS_ALLOWED - found == set()  # an entry no longer needed goes


def test_the_function_import_guard_sees_nested_functions(tmp_path):
    root = tmp_path / "connectences"
    root.mkdir()
    (root / "jobs.py").write_text(
        "import os\n"
        "def outer():\n"
        "    from connectences.models import Need\n"
        "    def inner():\n"
        "        import numpy as np\n"
        "    return inner\n"
    )
    assert function_imports(root) == {
        ("connectences/jobs.py", "outer", "connectences.models"),
        ("connectences/jobs.py", "outer", "numpy"),
        ("connectences/jobs.py", "inner", "numpy"),
    }


# The protection of small numbers (its threshold, its marks) has one owner.
PROTECTION_OWNER = PACKAGE / "observatory" / "tables.py"
SMALL_NUMBER_NAME = re.compile(r"THRESHOLD|SMALL_NUMBER|MASKED|HIDDEN")
# Thresholds of something else than a count of people or companies: (module, name).
OTHER_THRESHOLDS = {
    ("connectences/cvtheque/duplicates.py", "NAME_THRESHOLD"),  # a name-likeness score /100
}
# "< 5" as a reader sees it, in Python text or escaped in a template.
HIDDEN_MARK = re.compile(r"(?:<|&lt;)[ \u00a0\u202f]\d")
TEMPLATE_MARK = re.compile(r"&lt;[ \u00a0\u202f]?\d|&lt;&nbsp;\d")


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def small_number_rules(root: Path = PACKAGE, owner: Path = PROTECTION_OWNER) -> list:
    """Module-level names of a small-number threshold or mark, and "< 5" marks written
    outside ``owner`` (docstrings aside: they may say what the owner does)."""
    found = []
    for path, tree in _modules(root):
        if path == owner:
            continue
        module = str(path.relative_to(root.parent))
        for node in tree.body:
            targets = (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            )
            for target in targets:
                if (
                    isinstance(target, ast.Name)
                    and SMALL_NUMBER_NAME.search(target.id)
                    and (module, target.id) not in OTHER_THRESHOLDS
                ):
                    found.append(f"{_where(path, root, node)} {target.id}")
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and HIDDEN_MARK.search(node.value)
            ):
                found.append(f"{_where(path, root, node)} {node.value[:40]!r}")
    for path in sorted((root / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TEMPLATE_MARK.search(line):
                found.append(f"{path.relative_to(root.parent)}:{number} {line.strip()[:40]!r}")
    return found


def test_small_numbers_have_one_rule():
    """Only ``observatory/tables.py`` says what a small number is and how it reads."""
    assert small_number_rules() == []


def test_the_small_number_guard_sees_a_copy(tmp_path):
    root = tmp_path / "connectences"
    (root / "observatory").mkdir(parents=True)
    (root / "templates" / "diagnosis").mkdir(parents=True)
    (root / "observatory" / "tables.py").write_text('THRESHOLD = 5\nHIDDEN_COUNT = "< 5"\n')
    copy = [
        '"""Counts under 5 read "< 5"."""',
        "THRESHOLD = 5",
        'MASKED: str = "masqué"',
        "def shown(count):",
        '    return "< 5" if count < THRESHOLD else count',
    ]
    (root / "observatory" / "diagnosis.py").write_text("\n".join(copy) + "\n")
    (root / "templates" / "diagnosis" / "page.html").write_text(
        "{% if value is none %}&lt; 5{% endif %}\n{% if loop.index < 5 %}{% endif %}\n"
    )
    assert small_number_rules(root, root / "observatory" / "tables.py") == [
        "connectences/observatory/diagnosis.py:2 THRESHOLD",
        "connectences/observatory/diagnosis.py:3 MASKED",
        "connectences/observatory/diagnosis.py:5 '< 5'",
        "connectences/templates/diagnosis/page.html:1 '{% if value is none %}&lt; 5{% endif %}'",
    ]


def test_accents_are_folded_in_one_place():
    users = [
        str(path.relative_to(PACKAGE.parent))
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Import) and any(a.name == "unicodedata" for a in node.names)
    ]
    assert users == ["connectences/text.py"]


def test_the_day_is_always_the_local_day():
    assert naive_today() == []


def test_the_tests_read_the_local_day_too():
    # A test giving the machine's day where the platform reads Arcachon's failed every
    # night between midnight in Arcachon and midnight UTC.
    tests = Path(__file__).resolve().parent
    found = [
        where for where in naive_today(tests) if not where.startswith("tests/test_structure.py")
    ]
    assert found == []


def test_domain_refusals_share_one_base():
    assert refusals_outside_domain_error() == []


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _packages_run_by(target: str, importer: str) -> set[str]:
    """The packages whose ``__init__`` importing ``target`` runs first (``a.b`` of
    ``a.b.c``), but not the importer's own packages, already under way."""
    parts = target.split(".")
    own = {".".join(importer.split(".")[:n]) for n in range(1, importer.count(".") + 2)}
    return {".".join(parts[:n]) for n in range(1, len(parts))} - own


def module_imports(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module's imports of the package's own modules, at the top or inside a
    function (an import moved into a function still ties the two modules together),
    with the packages such an import runs first (``connectences.exchange.exporter``
    runs ``connectences.exchange``'s ``__init__``, which may import more)."""
    modules = {_module_name(path, root): tree for path, tree in _modules(root)}
    graph: dict[str, set[str]] = {}
    for name, tree in modules.items():
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
        found |= {p for m in list(found) for p in _packages_run_by(m, name)}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of an import graph, each once (as the path that closes it)."""
    cycles, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = path[path.index(name) :]
            if set(cycle) not in [set(c) for c in cycles]:
                cycles.append(cycle + [name])
            return
        if name in done:
            return
        for target in sorted(graph.get(name, ())):
            visit(target, path + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return cycles


def test_no_module_imports_itself_back():
    assert import_cycles(module_imports()) == []


def test_the_models_import_no_domain_package():
    # Leaf modules (they import nothing of the package): the models keep their columns'
    # comparison forms (contacts, text) and the days' order (vocab) in step.
    allowed = {
        "connectences.contacts",
        "connectences.text",
        "connectences.errors",
        "connectences.vocab",
    }
    graph = module_imports()
    assert not graph["connectences.vocab"]
    outside = {
        f"{name} -> {target}"
        for name, targets in graph.items()
        if name.startswith("connectences.models")
        for target in targets
        if not target.startswith("connectences.models") and target not in allowed
    }
    assert outside == set()


def test_state_groups_are_defined_only_in_workflows():
    assert state_groups_outside_workflows() == []


def test_domain_packages_do_not_import_http_or_the_app():
    assert http_in_domain() == []


def test_views_query_by_key_only():
    assert rules_in_web_queries() == []


def test_no_rule_keys_on_a_mail_subject():
    assert outbox_subject_in_queries() == []


def test_the_guards_catch_what_they_look_for(tmp_path):
    """Each guard reports a planted copy (so an empty report above means something)."""
    root = tmp_path / "connectences"
    (root / "workflows").mkdir(parents=True)
    (root / "jobs").mkdir()
    (root / "web").mkdir()
    (root / "workflows" / "__init__.py").write_text('OPEN = ("envoye", "vu")\n')
    (root / "jobs" / "tasks.py").write_text(
        "from flask import current_app, request\n"
        "import flask\n"
        "from connectences import create_app\n"
        'OPEN = ("envoye", "vu")\n'
        'DONE = {"close", "refusee"}\n'
        'if status in ["qualifie"]:\n    pass\n'
        'CANDIDATES = ("disponible", "place")\n'
        "page = flask.render_template('x.html')\n"
        'recent = select(OutboxMessage.id).where(OutboxMessage.subject.like("%lien"))\n'
        'same = OutboxMessage.subject == "Votre lien"\n'
        "columns = select(OutboxMessage.subject, OutboxMessage.to)\n"
    )
    (root / "jobs" / "cli.py").write_text("from connectences import create_app\n")
    (root / "web" / "leads.py").write_text(
        "from flask import request, render_template\n"
        "class LeadError(ValueError):\n    pass\n"
        "class _Stop(Exception):\n    pass\n"
        "day = date.today()\n"
        "moment = datetime.now(UTC)\n"
        "lead = select(Lead).where(Lead.id == lead_id, Lead.operator_id == operator.id)\n"
        "some = select(Need).where(Need.ref.in_(refs))\n"
        'staff = select(User).where(User.role.in_(("animateur", "admin")))\n'
        "found = select(Company).filter(Company.name.icontains(text))\n"
    )

    groups = state_groups_outside_workflows(root, root / "workflows")
    assert [g.split(" ", 1)[1] for g in groups] == [
        "lead states ['envoye', 'vu']",
        "referral states ['close', 'refusee']",
        "need states ['qualifie']",
    ]
    assert all(g.startswith("connectences/jobs/tasks.py:") for g in groups)
    http = http_in_domain(root)
    assert [h.split(" ", 1)[1] for h in http] == [
        "['request']",
        "['create_app']",
        "['render_template']",
    ]
    assert all(h.startswith("connectences/jobs/tasks.py:") for h in http)
    assert [r.split(" ", 1)[1] for r in refusals_outside_domain_error(root)] == ["LeadError"]
    assert [d.split(" ", 1)[1] for d in naive_today(root)] == ["date.today()"]
    assert rules_in_web_queries(root) == [
        "connectences/web/leads.py:10 User.role.in_(('animateur', 'admin'))",
        "connectences/web/leads.py:11 Company.name.icontains(text)",
    ]
    # Reading the column to send the mail is no rule; filtering on it is.
    assert outbox_subject_in_queries(root) == [
        "connectences/jobs/tasks.py:10",
        "connectences/jobs/tasks.py:11",
    ]
    (root / "workflows" / "leads.py").write_text("from connectences.jobs import tasks\n")
    (root / "jobs" / "__init__.py").write_text("")
    assert import_cycles(module_imports(root)) == []
    (root / "jobs" / "tasks.py").write_text("from connectences.workflows.leads import x\n")
    assert import_cycles(module_imports(root)) == [
        ["connectences.jobs.tasks", "connectences.workflows.leads", "connectences.jobs.tasks"]
    ]


def test_the_repository_tracks_no_link_and_no_environment():
    """A link committed by mistake (a worktree's ``.venv`` pointing at another checkout)
    replaces, in every clone, the directory the set-up builds by a link it cannot use.
    Read from git's index; skipped where the tree is not a git checkout."""
    import shutil
    import subprocess

    root = PACKAGE.parent
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    command = ["git", "ls-files", "-s"]  # noqa: S607 — git found on PATH, as the CI runs it
    listed = subprocess.run(  # noqa: S603 — a fixed command line, no user input
        command, cwd=root, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    links = [line.split("\t", 1)[1] for line in listed if line.startswith("120000 ")]
    environments = [
        line.split("\t", 1)[1]
        for line in listed
        if line.split("\t", 1)[1].split("/", 1)[0] in {".venv", "node_modules"}
    ]
    assert links == [] and environments == []
