"""Old module paths that moved keep working for one release, each with a DeprecationWarning.

`MOVED` maps an old module path to its new one, or to a tuple of new modules whose public names
the old path merges. A key also covers its submodules by prefix (`cnn_explain_tf.reproduce.pairs`
-> `cnn_explain_tf.studies.reproduce.pairs`); the longest matching key wins. `install` puts an
import hook first on `sys.meta_path`, so `import old.path` and `from old.path import X` give the
new module's objects; the package root's `__getattr__` calls `attribute` for `cet.<old name>`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings

__all__ = ["MOVED", "attribute", "install", "new_path"]

_ROOT = "cnn_explain_tf"
MOVED: dict[str, str | tuple[str, ...]] = {
    f"{_ROOT}.reproduce": f"{_ROOT}.studies.reproduce",
    f"{_ROOT}.reproduce.cli": f"{_ROOT}.cli.reproduce",
    f"{_ROOT}.reproduce.pairs": (f"{_ROOT}.studies.reproduce.pairs",
                                 f"{_ROOT}.studies.reproduce.records"),
    f"{_ROOT}.architecture_study": f"{_ROOT}.studies.architectures",
    f"{_ROOT}.architecture_study.cli": f"{_ROOT}.cli.compare_architectures",
    f"{_ROOT}.fill_blanks_study": f"{_ROOT}.studies.fill_in_the_blanks",
    f"{_ROOT}.fill_blanks_study.cli": f"{_ROOT}.cli.fill_in_the_blanks",
    f"{_ROOT}.fill_blanks_study.models": f"{_ROOT}.models.fill_blanks",
    f"{_ROOT}.protocols.gan_balance": f"{_ROOT}.studies.gan_balance",
    f"{_ROOT}.serving.command": f"{_ROOT}.cli.export",
    f"{_ROOT}.cgma_shards": (f"{_ROOT}.data.cgma_shards", f"{_ROOT}.training.cgma_writer"),
    f"{_ROOT}.metrics.perturbation": f"{_ROOT}.metrics.faithfulness.curves",
    f"{_ROOT}.serving.export": f"{_ROOT}.serving.saved_model",
}
"""Old module path -> new module path, or a tuple of new paths whose public names it merges."""


def new_path(old: str) -> str | tuple[str, ...] | None:
    """Where the module `old` lives now (by the longest `MOVED` key that is it or a prefix of
    it), or None when it did not move."""
    for key in sorted(MOVED, key=len, reverse=True):
        if old == key:
            return MOVED[key]
        if old.startswith(key + ".") and isinstance(MOVED[key], str):
            return MOVED[key] + old[len(key):]
    return None


def _describe(target: str | tuple[str, ...]) -> str:
    return target if isinstance(target, str) else " and ".join(target)


def _load(old: str, target: str | tuple[str, ...]) -> types.ModuleType:
    """The new module of `old` (for a tuple: a module merging the public names of each)."""
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use "
                  f"{_describe(target)}", DeprecationWarning, stacklevel=3)
    if isinstance(target, str):
        return importlib.import_module(target)
    merged = types.ModuleType(old, f"Deprecated: the public names of {_describe(target)}.")
    names: list[str] = []
    for path in target:
        module = importlib.import_module(path)
        public = getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")])
        names += [name for name in public if name not in names]
        vars(merged).update({name: getattr(module, name) for name in public})
    merged.__all__ = names
    return merged


class _Loader(importlib.abc.Loader):
    """Loads an old path: puts the new module in `sys.modules` under the old name."""

    def __init__(self, target: str | tuple[str, ...]):
        self.target = target

    def create_module(self, spec):
        return None  # a blank module, replaced in exec_module

    def exec_module(self, module: types.ModuleType) -> None:
        sys.modules[module.__name__] = _load(module.__name__, self.target)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the old paths of `MOVED` (before any stale folder of the old name can)."""

    def find_spec(self, fullname, path=None, target=None):
        moved = new_path(fullname) if fullname.startswith(_ROOT + ".") else None
        if moved is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(moved))


def install() -> None:
    """Puts the hook first on `sys.meta_path` (once)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def attribute(name: str):
    """`cet.<name>` for an old top-level module name (imported through the hook, so it warns).

    Raises:
        AttributeError: `name` is no moved module.
    """
    old = f"{_ROOT}.{name}"
    if old not in MOVED:
        raise AttributeError(f"module {_ROOT!r} has no attribute {name!r}")
    return importlib.import_module(old)
