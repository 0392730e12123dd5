"""The access policy lives in one place (issue 11): no module outside `access/` and `accounts/` decides who may see
or do what by itself, and no template tests a role.

What counts as deciding by oneself, in Python (read from the syntax tree, so comments and texts do not count):

- asking a role for a capability: `has_cap(...)`, or naming a capability `Cap.X`;
- naming an organisation role `Role.X` (`Role.choices` and `Role.values`, the vocabulary, are fine);
- comparing a role: `==`, `!=`, `in`, `not in` with a `.role` attribute, a variable `role` (or `..._role`),
  a `Role.X` or a `TeamRole.X` on either side;
- a query that compares a role: `filter(role=...)`, `exclude(...)`, `get(...)`, `Q(...)` with a keyword `role`,
  `role__in` or ending in `__role` / `__role__in`.

In templates: an `{% if %}` or `{% elif %}` that reads a role (`m.role`, `role`).

Ask the policy instead (access/policy.py, access/sharing.py, access/plans.py, ...): docs/access.md lists where each
rule lives. ALLOWED below names what genuinely has to stay, each with its reason; keep it short.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "src" / "utvei"

# Packages that own roles and the policy: the only places that may read roles and capabilities.
OWNERS = ("access", "accounts")

# path (relative to src/utvei) -> why it may name or compare roles. Keep this list minimal.
ALLOWED: dict[str, str] = {
    "tools/synthetic.py": (
        "the synthetic-data builder gives its made-up users their roles and team rows; it writes data and decides "
        "nothing about access (what those users may see is asked of the policy like any other user's)"
    ),
    "tools/management/commands/demo.py": (
        "the demo walkthrough prints which pages each demo role should try; it writes no data and decides no access"
    ),
}

QUERY_CALLS = frozenset({"filter", "exclude", "get", "get_or_create", "update_or_create", "Q"})


def _is_roleish(node: ast.AST) -> bool:
    """A value that is a role: `x.role`, a variable `role` or `..._role`, `Role.X`, `TeamRole.X`, or a collection
    holding one."""
    if isinstance(node, ast.Attribute):
        if node.attr == "role":
            return True
        if isinstance(node.value, ast.Name) and node.value.id in {"Role", "TeamRole"} and node.attr.isupper():
            return True
    if isinstance(node, ast.Name):
        return node.id == "role" or node.id.endswith("_role")
    if isinstance(node, ast.Set | ast.List | ast.Tuple):
        return any(_is_roleish(e) for e in node.elts)
    return False


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _role_lookup(key: str) -> bool:
    return key in {"role", "role__in"} or key.endswith(("__role", "__role__in"))


def python_findings(source: str) -> list[tuple[int, str]]:
    """(line, what) for every place in the source that decides by a role or a capability by itself."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name == "has_cap":
                found.append((node.lineno, "has_cap(...)"))
            if name in QUERY_CALLS:
                for kw in node.keywords:
                    if kw.arg is not None and _role_lookup(kw.arg):
                        found.append((node.lineno, f"a query on {kw.arg}="))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "Cap":
                found.append((node.lineno, f"Cap.{node.attr}"))
            elif node.value.id == "Role" and node.attr.isupper():
                found.append((node.lineno, f"Role.{node.attr}"))
        elif isinstance(node, ast.Compare) and any(_is_roleish(x) for x in [node.left, *node.comparators]):
            found.append((node.lineno, "a role comparison"))
    return sorted(set(found))


# {% if ... %} / {% elif ... %} that reads a role: `m.role`, `membership.role`, or a variable `role`.
TEMPLATE_TAG = re.compile(r"{%-?\s*(?:if|elif)\b(?P<test>.*?)-?%}", re.DOTALL)
TEMPLATE_ROLE = re.compile(r"(?<![\w])(?:\w+\.)*role(?![\w])")


def template_findings(source: str) -> list[tuple[int, str]]:
    found = []
    for match in TEMPLATE_TAG.finditer(source):
        if TEMPLATE_ROLE.search(match.group("test")):
            line = source.count("\n", 0, match.start()) + 1
            found.append((line, match.group(0).strip()))
    return found


def _outside_owners(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.relative_to(ROOT).parts[0] not in OWNERS]


def test_no_module_outside_access_decides_by_role_or_capability():
    problems = []
    for path in _outside_owners(sorted(ROOT.rglob("*.py"))):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED or "/migrations/" in f"/{rel}":
            continue
        for line, what in python_findings(path.read_text(encoding="utf-8")):
            problems.append(f"src/utvei/{rel}:{line}: {what}")
    assert not problems, "Ask access/ instead of deciding here (docs/access.md):\n" + "\n".join(problems)


def test_no_template_tests_a_role():
    problems = []
    for path in sorted(ROOT.rglob("*.html")):
        for line, tag in template_findings(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(ROOT.parent)}:{line}: {tag}")
    assert not problems, "Pass the policy's answer to the template instead (docs/access.md):\n" + "\n".join(problems)


def test_the_allow_list_is_still_needed():
    """An entry that no longer has anything to excuse is removed, so the list stays minimal."""
    stale = []
    for rel, reason in ALLOWED.items():
        path = ROOT / rel
        assert reason.strip(), rel
        if not path.exists() or not python_findings(path.read_text(encoding="utf-8")):
            stale.append(rel)
    assert not stale, f"Remove from ALLOWED, nothing there needs it: {stale}"


# ---- The checks themselves -----------------------------------------------------------------------------


def test_the_python_check_sees_what_it_should_and_not_more():
    flagged = """
has_cap(m.role, Cap.CASE_READ)
if m.role == "coordinator" or role == "mentor": pass
if chosen != TeamRole.MENTOR: pass
if m.role in {Role.DPO, Role.ANALYST}: pass
Membership.objects.filter(role=Role.COORDINATOR)
TeamMember.objects.exclude(role=x)
Organisation.objects.filter(memberships__role__in=roles)
Q(team_member__role="referral")
"""
    lines = {line for line, _what in python_findings(flagged)}
    assert lines == set(range(2, 10))
    fine = '''
"""The coordinator role; has_cap(...) and Cap.CASE_READ in a docstring."""
# m.role == "coordinator" in a comment
label = dict(Role.choices)
TeamMember.objects.create(role=TeamRole.LEAD)
if policy.can(m, Act.CASE_MANAGE, case): pass
if kind == "coordination": pass
if view not in {"full", "mentor"} or classification == "mentor": pass
'''
    assert python_findings(fine) == []


def test_the_template_check_sees_what_it_should_and_not_more():
    assert template_findings('{% if m.role == "analyst" %}x{% endif %}')
    assert template_findings("{% if a %}{% elif role %}{% endif %}")
    assert template_findings("{% if membership.role %}x{% endif %}")
    assert not template_findings("{% if case_role %}{% endif %}{% if team_role_label %}{% endif %}")
    assert not template_findings("{% if can_stats %}{{ m.role }}{% endif %}")
    assert not template_findings('{% translate "Your role gives no access" %}')
