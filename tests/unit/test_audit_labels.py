"""Every action code the code records has a label in the interface language (services/audit_labels.py), and so
does every record type and every field an audited record type stores.

The codes are read from the source: each call of a recording function (`audit.record`, `bulk.insert_many`,
`bulk.update_many` and the helpers that pass their `action` parameter on to one of them) is found with `ast`; a
code written as a literal is taken as it is, one built at run time must be listed in DYNAMIC_ACTIONS with the codes
it can take, or the test fails and says where.
"""

import ast
from functools import cache
from pathlib import Path

import pytest

import tpl_tracker
from tpl_tracker.extensions import db
from tpl_tracker.services import audit, audit_labels, businesses, outcomes, password_links, reviews

ROOT = Path(tpl_tracker.__file__).parent
SOURCES = sorted(ROOT.rglob("*.py"))

# Codes built at run time: (file, expression as written) -> the codes it can give.
DYNAMIC_ACTIONS = {
    ("services/outcomes.py", 'f"survey_{verification}"'): {f"survey_{v}" for v in outcomes.VERDICTS},
    ("services/reviews.py", "decision"): set(reviews.REVIEW_DECISIONS),
    ("services/businesses.py", "decision"): set(businesses.REQUEST_DECISIONS),
}
# `password_links._action(purpose, "<event>")`: one code per link purpose.
LINK_PREFIXES = set(password_links.ACTION_PREFIX.values())
# The recording functions and the position of their `action` argument (helpers that pass theirs on are added).
RECORDERS = {"record": 0, "insert_many": 3, "update_many": 2}


@cache  # parsed once for the module's tests
def _trees():
    return [(path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), filename=str(path))) for path in SOURCES]


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _action_argument(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _functions(tree):
    """Each function of a module with the calls in its own body."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _recorders(trees) -> dict[str, int]:
    """RECORDERS plus every function that passes its own `action` parameter to a recorder (to a fixed point)."""
    recorders = dict(RECORDERS)
    changed = True
    while changed:
        changed = False
        for _path, tree in trees:
            for function in _functions(tree):
                params = [a.arg for a in function.args.args]
                if "action" not in params or function.name in recorders:
                    continue
                for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                    name = _callee(call)
                    if name in recorders:
                        argument = _action_argument(call, recorders[name])
                        if isinstance(argument, ast.Name) and argument.id == "action":
                            recorders[function.name] = params.index("action")
                            changed = True
                            break
    return recorders


def _codes(path: str, argument: ast.expr, problems: list[str]) -> set[str]:
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return {argument.value}
    if isinstance(argument, ast.IfExp):
        return _codes(path, argument.body, problems) | _codes(path, argument.orelse, problems)
    if (
        isinstance(argument, ast.Call)
        and _callee(argument) == "_action"
        and len(argument.args) == 2
        and isinstance(argument.args[1], ast.Constant)
    ):
        return {f"{prefix}_{argument.args[1].value}" for prefix in LINK_PREFIXES}
    key = (path, ast.unparse(argument).replace("'", '"'))
    if key in DYNAMIC_ACTIONS:
        return DYNAMIC_ACTIONS[key]
    problems.append(f"{path}:{argument.lineno}: an action code made at run time ({key[1]}): list it in DYNAMIC_ACTIONS")
    return set()


@cache
def recorded_actions() -> tuple[set[str], list[str]]:
    """The action codes the source records, and the calls whose code cannot be told."""
    trees = _trees()
    recorders = _recorders(trees)
    codes, problems = set(), []
    for path, tree in trees:
        passes_on = {
            function.lineno: function
            for function in _functions(tree)
            if function.name in recorders and "action" in [a.arg for a in function.args.args]
        }
        own_parameter = {
            id(node)
            for function in passes_on.values()
            for node in ast.walk(function)
            if isinstance(node, ast.Name) and node.id == "action"
        }
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = _callee(call)
            if name not in recorders:
                continue
            argument = _action_argument(call, recorders[name])
            if argument is None or id(argument) in own_parameter:
                continue  # a helper passing its own parameter on: its callers are checked
            codes |= _codes(path, argument, problems)
    return codes, problems


def test_the_source_scan_finds_the_recorded_actions():
    codes, problems = recorded_actions()
    assert problems == []
    # A few of every kind: literals, bulk writes, a helper's callers, codes built at run time.
    assert {"login_failed", "password_change_failed", "facilitator_created", "contract_updated"} <= codes
    assert {"survey_verified", "survey_rejected", "approve", "return", "reject", "user_activated"} <= codes
    assert {"invitation_sent", "password_reset_used", "access_denied", "audit_exported"} <= codes


def test_every_recorded_action_has_a_label():
    codes, _problems = recorded_actions()
    assert sorted(codes - set(audit_labels.ACTION_LABELS)) == []


def test_no_label_for_an_action_nobody_records():
    codes, _problems = recorded_actions()
    assert sorted(set(audit_labels.ACTION_LABELS) - codes) == []


def test_every_record_type_named_in_the_code_has_a_label():
    named = set()
    for _path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "entity_type" and isinstance(node.value, ast.Constant):
                named.add(node.value.value)
    assert named and sorted(named - set(audit_labels.RECORD_LABELS)) == []


# Record types whose entries hold no copy of the record's columns (a note, or keys of their own in
# COMMON_FIELD_LABELS: an export's format, filters and rows).
WITHOUT_SNAPSHOTS = {"audit_entries", "notifications", "password_links"}
SNAPSHOTTED = sorted(t for t in audit_labels.RECORD_LABELS if t in db.metadata.tables and t not in WITHOUT_SNAPSHOTS)


@pytest.mark.parametrize("table", SNAPSHOTTED)
def test_every_field_of_an_audited_record_type_has_a_label(table):
    own = audit_labels.FIELD_LABELS.get(table, {})
    shown = set(audit.audited_columns(db.metadata.tables[table])) - audit_labels.HIDDEN_FIELDS
    assert sorted(c for c in shown if c not in own and c not in audit_labels.COMMON_FIELD_LABELS) == []


# Tables whose rows no audit entry points at (they are written with or under a record that is audited, or are
# operational state); every other table must be a labelled record type.
NOT_AUDITED = {
    "activity_businesses",  # an activity's snapshot lists its businesses
    "supervisor_regions",  # an account's snapshot lists its regions
    "monthly_report_events",
    "review_comments",
    "regions",
    "job_locks",
    "job_runs",
    "metric_snapshots",
    "roster_flags",  # computed from audited records, like the metric snapshots
    "sign_in_throttles",
}


def test_every_table_is_a_labelled_record_type_or_declared_unaudited():
    tables = set(db.metadata.tables) - NOT_AUDITED
    assert sorted(tables - set(audit_labels.RECORD_LABELS)) == []
