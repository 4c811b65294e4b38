"""The tree's structure rules: layers module by module, no import circles, sizes, docstrings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnn_explain_tf"

LAYERS = (
    ("_version",), ("startup",), ("validation",), ("_moved",), ("artifacts",), ("viz",),
    ("report",), ("cache",), ("graph",), ("batching",), ("pipeline",), ("data",), ("models",),
    ("explain",), ("metrics",), ("probes",), ("training",), ("protocols",), ("serving",),
    ("batch",), ("scale",),
    ("demo",), ("studies",), ("cli",),
)
"""The layering of the README's Layout section, lowest first: a module may import modules of its
own part of the package and of the parts below it, never one above. Every part is its own layer;
inside a part, `test_no_import_circles` keeps the modules in an order of their own."""
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
ROOT = "cnn_explain_tf"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 40
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    """The dotted name of a file: "cnn_explain_tf.explain.cam", "cnn_explain_tf.explain"."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


NAMES = {module_name(path): path for path in MODULES}


def component(name: str) -> str:
    """The top-level part of the package a module belongs to: "explain" for explain.cam."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def imported_modules(tree: ast.Module, own: str, names=NAMES) -> set[str]:
    """The package's modules that module `own` imports, at module level or inside functions.

    `from a.b import c` counts as importing module a.b.c when that is a module, else a.b. The
    package uses absolute imports only (`test_no_relative_imports`).
    """
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in names
                         else node.module for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in names and name != own}


GRAPH = {name: imported_modules(parsed(path), name) for name, path in NAMES.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            members = []
            while not members or members[-1] != node:
                members.append(stack.pop())
                on_stack.discard(members[-1])
            if len(members) > 1:
                found.append(sorted(members))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_imports(name: str, imports: set[str]) -> list[str]:
    """The imports of module `name` that run to a higher layer or to the package root."""
    own = RANK[component(name)] if name != ROOT else len(LAYERS)
    return sorted(target for target in imports
                  if target == ROOT or RANK[component(target)] > own)


def test_every_component_has_a_layer():
    assert {component(name) for name in NAMES} - {""} - set(RANK) == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_relative_imports(path):
    assert not any(isinstance(node, ast.ImportFrom) and node.level
                   for node in ast.walk(parsed(path)))


def test_no_import_circles():
    assert circles(GRAPH) == []


@pytest.mark.parametrize("name", sorted(set(NAMES) - {ROOT}))
def test_no_module_imports_a_higher_layer(name):
    assert upward_imports(name, GRAPH[name]) == [], f"{name} imports higher layers"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_size_and_docstring(path):
    tree = parsed(path)
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES
    docstring = ast.get_docstring(tree)
    assert docstring, f"{path.relative_to(PACKAGE)} has no module docstring"
    assert "\n" not in docstring.strip() or docstring.splitlines()[1] == "", \
        "a module docstring opens with one line saying what the module is for"


def function_lengths(tree: ast.Module):
    """(name, body lines without the docstring) of every function and method."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) and len(node.body) > 1 else node.body
            yield node.name, node.end_lineno - body[0].lineno + 1


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_function_body_over_the_limit(path):
    long = [(name, lines) for name, lines in function_lengths(parsed(path))
            if lines > MAX_FUNCTION_LINES]
    assert long == []


def test_rules_catch_violations():
    """The checks above can fail: hand-made modules breaking each rule are caught."""
    names = {"cnn_explain_tf.graph": None, "cnn_explain_tf.studies.x": None,
             "cnn_explain_tf.explain": None, "cnn_explain_tf": None}
    source = ('"""Doc."""\nfrom cnn_explain_tf.studies import x\nimport cnn_explain_tf\n'
              "from cnn_explain_tf.explain import GradCAM\n"
              "def long():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES + 1))
    imports = imported_modules(ast.parse(source), "cnn_explain_tf.graph", names)
    assert imports == {"cnn_explain_tf.studies.x", ROOT, "cnn_explain_tf.explain"}
    assert upward_imports("cnn_explain_tf.graph", imports) == [
        ROOT, "cnn_explain_tf.explain", "cnn_explain_tf.studies.x"]
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert dict(function_lengths(ast.parse(source)))["long"] == MAX_FUNCTION_LINES + 1
