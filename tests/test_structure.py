"""Guards of the code's shape: each rule keeps one owner.

These read the source with ``ast`` (nothing is imported or run), so they name the file
and line of any copy that creeps back in.
"""

from __future__ import annotations

import ast
from pathlib import Path

from connectences.workflows import LEAD, NEED, REFERRAL

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
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


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


def test_domain_refusals_share_one_base():
    assert refusals_outside_domain_error() == []


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module's imports of the package's own modules, at the top or inside a
    function (an import moved into a function still ties the two modules together)."""
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
    allowed = {"connectences.contacts", "connectences.text", "connectences.errors"}
    graph = module_imports()
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
