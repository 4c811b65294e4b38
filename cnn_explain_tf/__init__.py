"""cnn_explain_tf: explain CNN image classifiers in Keras 3 / TensorFlow.

Importing the package is cheap: its subpackages (and TensorFlow) load on first attribute access,
e.g. `cnn_explain_tf.explain` (PEP 562).
"""

import importlib

from cnn_explain_tf._version import __version__
from cnn_explain_tf.startup import prepare_command_line

prepare_command_line()  # the cnn-explain command: oneDNN on, TF's C++ logs off, before TF loads

from cnn_explain_tf import _moved  # noqa: E402

_moved.install()  # old module paths that moved resolve to the new ones, with a warning

__all__ = ["__version__", "cgma", "data", "explain", "graph", "metrics", "models", "probes",
           "serving"]

_LAZY = {"cgma": "cnn_explain_tf.explain.cgma"}
"""Attributes that are modules below the top level."""
_MODULES = ("artifacts", "batch", "batching", "cache", "cli", "data", "demo", "explain", "graph",
            "metrics", "models", "pipeline", "probes", "protocols", "report", "scale", "serving",
            "startup", "studies", "training", "validation", "viz")
"""The top-level modules and subpackages, each imported on first access."""


def __getattr__(name: str):
    if name in _LAZY or name in _MODULES:
        module = importlib.import_module(_LAZY.get(name, f"{__name__}.{name}"))
        globals()[name] = module
        return module
    return _moved.attribute(name)  # an old name (warns), else AttributeError


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_MODULES})
