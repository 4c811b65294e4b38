"""The one per-model cache: what is compiled or built per classifier, freed with it."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

__all__ = ["MODEL_CACHE", "ModelCache", "weak_method"]

T = TypeVar("T")


class ModelCache:
    """What is compiled or built per classifier, held so that the classifier can still be freed.

    The one cache of the library and the only place that knows eviction. An entry is built by
    `get(model, key, build, owners=...)` on first use and reused afterwards. The cache holds the
    model weakly: the entry is dropped when the model is collected, and also when any of its
    `owners` (e.g. the explainer object whose step it is, or a callable target) is collected.
    An entry must not hold its model, nor its owners, strongly: build it from functions that
    reach them through weak references (`weak_method`, `weakref.ref`); a traced tf.function's
    concrete functions capture the model's variables, not the model. Thread-safe.
    """

    def __init__(self):
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()

    def get(self, model, key: Hashable, build: Callable[[], T], *, owners: Sequence = ()) -> T:
        """The entry of (`model`, `key`, `owners`), built by `build()` on first use.

        Args:
            model: the object the entry is built for (a Keras model, a generator).
            key: what identifies the entry among the model's (a name plus its settings).
            build: makes the entry; it must not make the entry hold `model` or `owners`.
            owners: objects the entry belongs to (by identity); it is freed with the first of
                them that is collected. Objects that take no weak reference are held strongly.
        """
        full = (key, *(_Identity(owner) for owner in owners))
        with self._lock:
            per_model = self._entries.setdefault(model, {})
            if full not in per_model:
                per_model[full] = build()
                model_ref = weakref.ref(model)
                for owner in owners:
                    _on_collect(owner, self._evict, model_ref, full)
            return per_model[full]

    def entries(self, model) -> dict:
        """A copy of `model`'s entries, {key: entry} (for tests and inspection)."""
        with self._lock:
            return dict(self._entries.get(model, {}))

    def __len__(self) -> int:
        """The number of entries over every live model."""
        with self._lock:
            return sum(len(per_model) for per_model in self._entries.values())

    def _evict(self, model_ref: weakref.ref, key: Hashable) -> None:
        model = model_ref()
        with self._lock:
            if model is not None and model in self._entries:
                self._entries[model].pop(key, None)


class _Identity:
    """A cache key part equal only to the same object, holding it weakly where it can."""

    def __init__(self, owner):
        self.id = id(owner)
        try:
            self.ref = weakref.ref(owner)
        except TypeError:
            self.ref = lambda owner=owner: owner  # no weak reference: held strongly

    def __hash__(self) -> int:
        return self.id

    def __eq__(self, other) -> bool:
        return isinstance(other, _Identity) and self.id == other.id and self.ref() is not None


def _on_collect(owner, evict: Callable, *args) -> None:
    """Calls `evict(*args)` when `owner` is collected (never for objects without weak refs)."""
    try:
        weakref.finalize(owner, evict, *args).atexit = False
    except TypeError:
        pass


MODEL_CACHE = ModelCache()
"""The library's one cache; every explainer, probe, metric and CGMA extractor uses it."""


def weak_method(method: Callable, **bound) -> Callable:
    """`method(*args, **bound, **kwargs)` through a weak reference to its object.

    A graph function built from it does not keep the object (and its model) alive; the object
    must live while the function is traced, which its owner in `ModelCache` guarantees.
    """
    return _WeakCall(method, bound)


class _WeakCall:
    """The callable of `weak_method`. An object, not a closure: TensorFlow counts retracing per
    code object of a plain function, so the steps of different explainers, all closures of one
    code object, would read as one function retracing; an object is counted on its own.

    Callable bound values (a callable target) are held weakly too, so that the compiled step
    they own (`ModelCache.get(owners=...)`) is freed when the caller drops them.
    """

    def __init__(self, method: Callable, bound: dict):
        self.ref = weakref.WeakMethod(method)
        self.bound = {key: _weak(value) for key, value in bound.items()}
        self.__name__ = getattr(method, "__name__", "step")

    def __call__(self, *args, **kwargs):
        bound = {key: value() for key, value in self.bound.items()}
        return self.ref()(*args, **bound, **kwargs)


def _weak(value) -> Callable[[], object]:
    """A function returning `value`: through a weak reference for a callable that takes one."""
    if callable(value):
        try:
            return (weakref.WeakMethod if hasattr(value, "__self__") and hasattr(
                value, "__func__") else weakref.ref)(value)
        except TypeError:
            pass
    return lambda: value
