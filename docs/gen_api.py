"""Writes one API reference page per public module of cnn_explain_tf (run by mkdocs-gen-files).

The modules are found on disk at build time, so a module added to the package gets its page
without editing the docs. A module's `__all__` (read statically) lists the names its page shows;
a module without `__all__` shows its public names. `reference/SUMMARY.md` is the navigation
(mkdocs-literate-nav).
"""

from __future__ import annotations

import ast
import posixpath
from pathlib import Path
from typing import NamedTuple

PACKAGE = "cnn_explain_tf"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


class ModulePage(NamedTuple):
    """One public module: its dotted name, its `__all__` (None without one), its submodules."""

    name: str
    path: Path
    exported: tuple[str, ...] | None
    submodules: tuple[str, ...]

    @property
    def page(self) -> str:
        """The page's path inside the docs: reference/cnn_explain_tf/explain/cam.md."""
        return "reference/" + self.name.replace(".", "/") + ".md"

    def members(self) -> list[str] | None:
        """The names rendered on the page: `__all__` minus those that are modules."""
        if self.exported is None:
            return None
        bound = bound_names(self.path)
        return [name for name in self.exported if name in bound or (
            f"{self.name}.{name}" not in MODULE_NAMES and name not in lazy_modules(self.path))]

    def module_links(self) -> dict[str, str]:
        """Exported or child modules the page links to: short name -> dotted name."""
        bound = bound_names(self.path)
        children = {child.rpartition(".")[2]: child for child in self.submodules}
        return {**{short: name for short, name in children.items() if short not in bound},
                **lazy_modules(self.path)}


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_public(path: Path) -> bool:
    """No part of the dotted name starts with "_", and every folder on the way is a package."""
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    packaged = all((folder / "__init__.py").exists()
                   for folder in path.parents if folder.is_relative_to(ROOT))
    return packaged and not any(part.startswith("_") and part != "__init__" for part in parts)


def module_level(path: Path, name: str) -> ast.expr | None:
    """The value assigned to `name` at the top of a module, or None."""
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return node.value
    return None


def exported_names(path: Path) -> tuple[str, ...] | None:
    """A module's `__all__`: its literal assignment plus any `__all__ += [...]` after it."""
    value = module_level(path, "__all__")
    if value is None:
        return None
    names = list(ast.literal_eval(value))
    for node in ast.parse(path.read_text()).body:
        if (isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
                and node.target.id == "__all__"):
            names += ast.literal_eval(node.value)
    return tuple(names)


def lazy_modules(path: Path) -> dict[str, str]:
    """A package's `_LAZY` table (attribute -> module loaded on first access), if it has one."""
    value = module_level(path, "_LAZY")
    return {} if value is None else dict(ast.literal_eval(value))


def bound_names(path: Path) -> set[str]:
    """Names a module binds at its top level (imports of objects, functions, classes,
    assignments); a submodule imported by name is not counted, it keeps its own page."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):  # a submodule imported by name stays a module
            names.update(alias.asname or alias.name for alias in node.names
                         if f"{node.module}.{alias.name}" not in MODULE_NAMES)
        elif isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


MODULE_NAMES = {dotted(path) for path in ROOT.rglob("*.py") if is_public(path)}


def public_modules() -> list[ModulePage]:
    """Every public module of the package (no path part starting with "_"), sorted by name."""
    pages = []
    for path in sorted(ROOT.rglob("*.py")):
        if not is_public(path):
            continue
        name = dotted(path)
        children = sorted(child for child in MODULE_NAMES
                          if child.rpartition(".")[0] == name and path.name == "__init__.py")
        pages.append(ModulePage(name, path, exported_names(path), tuple(children)))
    return sorted(pages, key=lambda page: page.name)


def page_text(module: ModulePage) -> str:
    """The Markdown of one module's page: the mkdocstrings directive and links to submodules."""
    lines = [f"# `{module.name}`", "", f"::: {module.name}", "    options:",
             "      show_root_heading: false", "      show_root_toc_entry: false"]
    members = module.members()
    if members is not None:
        listed = f"[{', '.join(members)}]" if members else "false"
        lines.append(f"      members: {listed}")
    links = module.module_links()
    if links:
        lines += ["", "## Submodules", ""]
        here = posixpath.dirname(module.page)
        for short, target in sorted(links.items()):
            page = "reference/" + target.replace(".", "/") + ".md"
            lines.append(f"- [`{short}`]({posixpath.relpath(page, here)}): `{target}`")
    return "\n".join(lines) + "\n"


def summary(modules: list[ModulePage]) -> str:
    """The literate-nav summary: a section per package holding its own page and its children."""
    by_name = {module.name: module for module in modules}

    def entries(module: ModulePage, depth: int) -> list[str]:
        indent, target = "    " * depth, module.page.removeprefix("reference/")
        if not module.submodules:
            return [f"{indent}* [{module.name.rpartition('.')[2]}]({target})"]
        lines = [f"{indent}* {module.name.rpartition('.')[2]}",
                 f"{indent}    * [{module.name}]({target})"]
        for child in module.submodules:
            lines += entries(by_name[child], depth + 1)
        return lines

    return "\n".join(entries(by_name[PACKAGE], 0)) + "\n"


def generate() -> None:
    import mkdocs_gen_files

    modules = public_modules()
    for module in modules:
        with mkdocs_gen_files.open(module.page, "w") as page:
            page.write(page_text(module))
        mkdocs_gen_files.set_edit_path(module.page, module.path.relative_to(ROOT.parent))
    with mkdocs_gen_files.open("reference/SUMMARY.md", "w") as nav:
        nav.write(summary(modules))


if __name__ in {"__main__", "<run_path>"}:
    generate()
