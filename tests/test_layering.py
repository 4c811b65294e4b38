"""The tree's structure rules: the layering of the README, module and function sizes, docstrings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnn_explain_tf"

LAYERS = (
    ("startup", "validation", "artifacts", "graph", "viz"),
    ("batching",),
    ("pipeline",),
    ("data", "models"),
    ("explain",),
    ("metrics",),
    ("probes",),
    ("training", "cgma_shards"),
    ("protocols",),
    ("report",),
    ("serving",),
    ("reproduce", "architecture_study", "fill_blanks_study"),
    ("demo", "cli"),
)
"""The layering of the README's Layout section, lowest first: a module may import its own layer
and the ones below it, never one above."""
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 40
MODULES = sorted(PACKAGE.rglob("*.py"))


def component(path: Path) -> str:
    """The top-level part of the package a file belongs to: "explain" for explain/cam.py."""
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def imported_components(tree: ast.Module) -> set[str]:
    """The top-level package parts that a module imports (at module level or inside functions)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "cnn_explain_tf":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names
                         if alias.name.startswith("cnn_explain_tf."))
    return found


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def test_every_component_has_a_layer():
    names = {component(path) for path in MODULES} - {"__init__"}
    assert names - set(RANK) == set()


@pytest.mark.parametrize("path", [p for p in MODULES if p != PACKAGE / "__init__.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    own = RANK[component(path)]
    upward = sorted(name for name in imported_components(parsed(path))
                    if name in RANK and RANK[name] > own)
    assert upward == [], f"{path.relative_to(PACKAGE)} imports higher layers {upward}"


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
    """The checks above can fail: a hand-made module breaking each rule is caught."""
    source = ("'''Doc.'''\nfrom cnn_explain_tf import reproduce\n"
              "from cnn_explain_tf.explain.cam import GradCAM\n"
              "def long():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES + 1))
    tree = ast.parse(source)
    assert imported_components(tree) == {"reproduce", "explain"}
    assert dict(function_lengths(tree))["long"] == MAX_FUNCTION_LINES + 1
