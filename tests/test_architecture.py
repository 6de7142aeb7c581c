"""The package's layers point down (docs/architecture.md), read from the source with ``ast``.

Every import counts, at module level or inside a function, relative or absolute: an
import hidden in a function to dodge a circle is still an arrow of the graph.
"""

import ast
from pathlib import Path

PACKAGE = "wagtail_securelink"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# The package's folders, floor by floor (docs/architecture.md): an import between two of
# them points to a lower floor. Two folders on one floor do not import each other.
FLOORS = [
    {"conf", "choices", "signals"},
    {"core"},
    {"models"},
    {"policy", "ratelimit", "viewer", "permissions", "tasks"},
    {"audit", "checks"},
    {"serving", "mail"},
    {"verification", "sharing"},
    {"operations", "signal_handlers"},
    {"services"},
    {"admin", "visitor", "api", "management", "templatetags"},
    {"urls", "wagtail_hooks", "apps"},
]
FLOOR = {unit: number for number, units in enumerate(FLOORS) for unit in units}
# What Django and integrators expect at the package root; everything else has a folder.
ROOT_MODULES = {
    "__init__",
    "apps",
    "conf",
    "choices",
    "signals",
    "services",
    "urls",
    "wagtail_hooks",
    "permissions",
    "signal_handlers",
}
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.parts
    }


def resolve(importer: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path, modules) -> list[tuple[str, list[str]]]:
    """``(imported module, names taken from it)`` for every import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(name, node, path.name == "__init__.py")
            for alias in node.names:
                # ``from . import tasks`` imports a module, not a name.
                if f"{source}.{alias.name}" in modules:
                    found.append((f"{source}.{alias.name}", []))
                else:
                    found.append((source, [alias.name]))
    # ``module._name`` on a module imported whole is a private name taken too.
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = resolve(name, node, path.name == "__init__.py")
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{source}.{alias.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
        ):
            found.append((bound[node.value.id], [node.attr]))
    return [(target, names) for target, names in found if target in modules]


def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    modules = package_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    private = []
    for name, path in modules.items():
        for target, names in imports_of(name, path, modules):
            if target == name:
                continue
            graph[name].add(target)
            private += [
                (name, target, n)
                for n in names
                if n.startswith("_") and not (n.startswith("__") and n.endswith("__"))
            ]
    return graph, private


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle as a list of modules (first == last), or ``[]``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def tangles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that reach each other (strongly connected, more than one)."""
    reach = {name: set() for name in graph}
    for start in graph:
        todo = list(graph[start])
        while todo:
            node = todo.pop()
            if node not in reach[start]:
                reach[start].add(node)
                todo += graph[node]
    groups = []
    for name in sorted(graph):
        group = sorted(n for n in reach[name] if name in reach[n]) or [name]
        if len(group) > 1 and group not in groups:
            groups.append(group)
    return groups


def unit(name: str) -> str:
    """The folder (or root module) a module belongs to: ``sharing`` for ``sharing.links``."""
    parts = name.split(".")[1:]
    return parts[0] if parts else "__init__"


def upward_imports(graph) -> list[str]:
    found = []
    for importer, targets in graph.items():
        for target in targets:
            a, b = unit(importer), unit(target)
            if a != b and FLOOR.get(b, 99) >= FLOOR.get(a, -1):
                found.append(f"{importer} -> {target}")
    return sorted(found)


def test_the_graph_is_read():
    graph, _ = import_graph()
    assert f"{PACKAGE}.services" in graph[f"{PACKAGE}.visitor.landing"]
    assert f"{PACKAGE}.models" in graph[f"{PACKAGE}.verification.access"]


def test_every_folder_has_a_floor():
    units = {unit(name) for name in package_modules()} - {"__init__", "migrations"}
    assert units - set(FLOOR) == set()


def test_imports_between_folders_point_down():
    graph, _ = import_graph()
    assert upward_imports(graph) == []


def test_the_check_sees_an_import_that_points_up():
    graph, _ = import_graph()
    before = upward_imports(graph)
    graph[f"{PACKAGE}.core.tokens"].add(f"{PACKAGE}.sharing.links")
    graph[f"{PACKAGE}.mail.notices"].add(f"{PACKAGE}.serving.files")
    assert sorted(set(upward_imports(graph)) - set(before)) == [
        f"{PACKAGE}.core.tokens -> {PACKAGE}.sharing.links",
        f"{PACKAGE}.mail.notices -> {PACKAGE}.serving.files",
    ]


def test_the_root_holds_only_what_django_and_integrators_expect():
    root = {path.stem for path in ROOT.glob("*.py")}
    assert root - ROOT_MODULES == set()


def test_no_import_circle():
    graph, _ = import_graph()
    cycle = find_cycle(graph)
    assert not cycle, (
        "import circle: "
        + " -> ".join(cycle)
        + "; modules caught in circles: "
        + "; ".join(", ".join(group) for group in tangles(graph))
    )


def test_no_private_name_is_imported_from_another_module():
    _, private = import_graph()
    assert private == [], "private names taken across modules: " + ", ".join(
        f"{importer} takes {source}.{name}" for importer, source, name in private
    )


def test_every_module_holds_one_concern_in_at_most_500_lines():
    long = {
        name: lines
        for name, path in package_modules().items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"
