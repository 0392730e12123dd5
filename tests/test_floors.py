"""The floors hold (DESIGN.md §4, docs/architecture.md, issue 11): no app imports another in a loop, none climbs
above its floor, and no import between apps hides inside a function.

Read from the syntax tree of every module under src/utvei (migrations aside), with the imports inside functions
counted as much as those at the top. `make lint` checks the same floors with import-linter (pyproject.toml,
`[tool.importlinter]`), which also follows indirect chains; this test keeps the rules readable in one page and
names the offending line.

The graph's nodes are the packages under `utvei` (the apps, `api`, `tools`, ...), with one refinement: an app's
models are its data, a node of their own below the rest of the app. The policy (`access`) reads the models of the
apps it rules over — whether a team row or a consent exists — and never their services, selectors or views
(ADR 0011); with the models as their own node that is not a loop.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "utvei"

# The floors, lowest first (docs/architecture.md). A package imports from its own floor or below. Within a floor the
# order is free, but there is no loop.
FLOORS: list[set[str]] = [
    {"core"},
    {"audit"},  # the log: every app's services write to it, so it stands on the ground floor
    {"accounts", "people"},
    {"access"},
    {"cases"},
    {"sharing", "assessments", "plans", "meetings", "network"},
    {"evaluation", "oversight", "administration", "retention"},
    {"desk"},
    {"api"},
    {"tools", "cli", "__main__", "urls", "wsgi", "settings"},
]
FLOOR = {name: i for i, names in enumerate(FLOORS) for name in names}


@dataclass(frozen=True)
class Import:
    source: str  # module name
    target: str  # module name (utvei.*)
    path: str  # relative to src/utvei
    line: int
    in_function: str | None  # the function's name when the import is inside one


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """The modules an import statement names (`from utvei.x import models` names utvei.x.models)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        stem = ".".join(base + ([node.module] if node.module else []))
    else:
        stem = node.module or ""
    return [f"{stem}.{alias.name}" if stem.count(".") <= 1 else stem for alias in node.names]


def _walk(node: ast.AST, function: str | None) -> Iterator[tuple[ast.Import | ast.ImportFrom, str | None]]:
    """Every import statement under the node, with the function it is in (none at module level)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child):
            continue  # annotations only: no import at run time
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, function
        inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else None
        yield from _walk(child, function or inner)


def _imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = _module(path)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, function in _walk(tree, None):
            for target in _targets(node, package):
                if target.startswith("utvei."):
                    found.append(Import(module, target, str(path.relative_to(ROOT)), node.lineno, function))
    return found


def _node(module: str) -> str:
    """The package under utvei, and `<app>.models` for an app's models."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else parts[0]
    if len(parts) > 2 and parts[2] == "models":
        return f"{top}.models"
    return top


def _app(node: str) -> str:
    return node.split(".")[0]


IMPORTS = _imports()


def test_the_walk_sees_the_project() -> None:
    """The walk reads real imports (it cannot pass by finding nothing)."""
    pairs = {(_node(i.source), _node(i.target)) for i in IMPORTS}
    assert ("cases", "access") in pairs
    assert ("api", "cases") in pairs
    assert len(IMPORTS) > 500


def test_every_package_has_a_floor() -> None:
    """A new package under utvei gets its floor here and in docs/architecture.md before it lands."""
    packages = {_app(_node(i.source)) for i in IMPORTS} | {_app(_node(i.target)) for i in IMPORTS}
    assert packages - set(FLOOR) == set()


def test_no_package_imports_from_a_floor_above_its_own() -> None:
    """Only the policy may read up, and only models: access asks the models of the apps it rules over."""
    climbing = []
    for i in IMPORTS:
        a, b = _node(i.source), _node(i.target)
        if _app(a) == _app(b) or FLOOR[_app(b)] <= FLOOR[_app(a)]:
            continue
        if _app(a) == "access" and b.endswith(".models"):
            continue
        climbing.append(f"{i.path}:{i.line} imports {i.target} ({_app(a)} is below {_app(b)})")
    assert climbing == []


def test_no_import_between_packages_hides_in_a_function() -> None:
    """An import inside a function hides a dependency from the reader (and from a loop check). The one place Django
    needs it is `AppConfig.ready`, where an app registers what it adds to a lower app (its phase checks, its
    hooks): that import points down, and is counted in the graph like any other."""
    hidden = [
        f"{i.path}:{i.line} imports {i.target} inside {i.in_function}()"
        for i in IMPORTS
        if i.in_function is not None
        and _app(_node(i.source)) != _app(_node(i.target))
        and not (i.path.endswith("apps.py") and i.in_function == "ready")
    ]
    assert hidden == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in the graph, as its nodes in order, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_package_imports_another_in_a_loop() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], str] = {}
    for i in IMPORTS:
        a, b = _node(i.source), _node(i.target)
        if _app(a) != _app(b):  # within an app, its models and the rest may use each other
            graph[a].add(b)
            where.setdefault((a, b), f"{i.path}:{i.line}")
    cycle = _cycle(graph)
    assert cycle is None, (
        " -> ".join(cycle)
        + "; first lines: "
        + ", ".join(where[(x, y)] for x, y in zip(cycle, cycle[1:], strict=False))
    )


def test_the_loop_check_finds_a_loop() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None
