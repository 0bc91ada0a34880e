"""The folder tree is the architecture: imports between bot/'s packages point one way.

Each layer may import itself and the layers below it, never one above. Within a layer,
modules may import each other, but no import, at any depth, may close a circle. The reading
is static (stdlib `ast`), so imports under `if TYPE_CHECKING:` and inside functions count
too: a circle hidden in a type hint is still a circle for the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"

# Top to bottom. A module belongs to the first entry that is its name or a prefix of it.
LAYERS: list[tuple[str, ...]] = [
    ("bot.__main__", "bot.cli"),  # the command line
    ("bot.playground",),  # stand-ins, the shell, test rigs
    (  # the app's edge: settings, wiring, servers, the scheduler's ticks
        "bot.server",
        "bot.bootstrap",
        "bot.bootstrap_parts",
        "bot.scheduler",
        "bot.start_settings",
        "bot.web",
        "bot.health",
        "bot.readiness",
        "bot.logs",
        "bot.config",
        "bot.config_checks",
    ),
    ("bot.slack",),  # Bolt listeners, Block Kit, the notifier
    ("bot.watches",),  # the core, most dependent first
    ("bot.batches",),
    ("bot.runs",),
    ("bot.insight",),
    ("bot.governance",),
    ("bot.grids",),
    ("bot.previews",),  # what may be previewed where, and the records of it
    ("bot.leads",),
    ("bot.providers",),  # the services runs are made on
    ("bot.store",),  # the database
]

CORE = tuple(p for layer in LAYERS[LAYERS.index(("bot.watches",)):] for p in layer)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str) -> set[str]:
    """The bot modules this file imports (a `from pkg import sub` names the submodule)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)
    return {m for m in found if m == "bot" or m.startswith("bot.")}


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in BOT.rglob("*.py")}
    edges = {}
    for name, path in files.items():
        # an import names a module, or a name inside one: keep the modules that exist
        edges[name] = {m for m in imports_of(path, name) if m in files and m != name}
        edges[name] -= {"bot"}
    return edges


def layer_of(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {__file__}")


def test_every_module_has_a_layer():
    for module in graph():
        if module != "bot":
            layer_of(module)


def test_arrows_point_down():
    wrong = [
        f"{a} -> {b}"
        for a, targets in graph().items()
        if a != "bot"
        for b in targets
        if layer_of(b) < layer_of(a)
    ]
    assert not wrong, "imports against the layer order:\n" + "\n".join(sorted(wrong))


def test_the_core_never_imports_slack_or_the_playground():
    wrong = [
        f"{a} -> {b}"
        for a, targets in graph().items()
        if a.startswith(CORE)
        for b in targets
        if b.startswith(("bot.slack", "bot.playground"))
    ]
    assert not wrong, "\n".join(sorted(wrong))


def find_circle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_module_import_circles():
    circle = find_circle(graph())
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def package_of(module: str) -> str:
    """bot.runs.service -> bot.runs; a module at the top (bot.cli) is its own."""
    return ".".join(module.split(".")[:2])


def test_no_package_circles():
    edges: dict[str, set[str]] = {}
    for a, targets in graph().items():
        pa = package_of(a)
        edges.setdefault(pa, set()).update(package_of(b) for b in targets if package_of(b) != pa)
    circle = find_circle(edges)
    assert circle is None, "packages import each other: " + " -> ".join(circle or [])


def test_every_package_says_what_it_holds_and_may_import():
    for init in BOT.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert doc, f"{init.relative_to(BOT.parent)} has no docstring"


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_circles_are_found(edges, expected):
    assert find_circle(edges) == expected


def test_an_arrow_up_would_be_refused():
    assert layer_of("bot.runs.service") > layer_of("bot.slack.notifier")
    assert layer_of("bot.store.database") > layer_of("bot.providers.base")
    assert layer_of("bot.batches.feeder") < layer_of("bot.runs.service")
