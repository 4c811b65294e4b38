"""Start-up of the `cnn-explain` command: oneDNN kernels on, C++ logging off, before TF loads."""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence

__all__ = ["ONEDNN_ENV", "VERBOSE_ENV", "is_command_line", "prepare_command_line",
           "silence_tensorflow", "use_onednn", "wants_verbose"]

VERBOSE_ENV = "CNN_EXPLAIN_TF_VERBOSE"
"""Set to 1 to see TensorFlow's start-up logging (as the global `--verbose` flag does)."""
ONEDNN_ENV = "TF_ENABLE_ONEDNN_OPTS"
"""TensorFlow's switch for its oneDNN CPU kernels; set it to 0 to run the command without them."""
COMMANDS = ("cnn-explain", "cnn-explain.exe")
MODULE = "cnn_explain_tf.cli"


def is_command_line(argv: Sequence[str] | None = None,
                    original: Sequence[str] | None = None) -> bool:
    """True when this process is the `cnn-explain` console script or `python -m cnn_explain_tf.cli`.

    Args:
        argv: the process arguments (default `sys.argv`).
        original: the interpreter's own command line (default `sys.orig_argv`), which still
            names the module run with `-m` while its package is being imported.
    """
    argv = sys.argv if argv is None else argv
    original = getattr(sys, "orig_argv", []) if original is None else original
    if argv and os.path.basename(argv[0]) in COMMANDS:
        return True
    return any(flag == "-m" and module == MODULE for flag, module in zip(original, original[1:]))


def wants_verbose(argv: Sequence[str] | None = None,
                  environ: MutableMapping[str, str] | None = None) -> bool:
    """True when `--verbose` is on the command line or `CNN_EXPLAIN_TF_VERBOSE` is set (not 0)."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    return "--verbose" in argv[1:] or environ.get(VERBOSE_ENV, "0") not in ("", "0")


def silence_tensorflow(environ: MutableMapping[str, str] | None = None) -> None:
    """Hides TensorFlow's C++ logging (oneDNN and CPU-feature notices, cuInit/CUDA errors, absl
    warnings): TF_CPP_MIN_LOG_LEVEL=3 unless the user set it. Only works before TF is imported."""
    environ = os.environ if environ is None else environ
    environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def use_onednn(environ: MutableMapping[str, str] | None = None) -> None:
    """Turns TensorFlow's oneDNN CPU kernels on (TF_ENABLE_ONEDNN_OPTS=1) unless the user set it.

    TensorFlow enables them by default only on CPUs with AVX-512 VNNI, BF16 or AMX; on an AVX2
    CPU they ran the batched conv steps of the fill-in-the-blanks probe about 2x faster (the
    classifier training of `reproduce`, mostly tracing, about as fast), with float round-off
    that differs from the default kernels'. Only works before TF is imported.
    """
    environ = os.environ if environ is None else environ
    environ.setdefault(ONEDNN_ENV, "1")


def prepare_command_line() -> bool:
    """The `cnn-explain` command's TensorFlow settings: oneDNN on, logging off unless verbose.

    Called by the package's `__init__` before anything imports TensorFlow; a no-op for library
    users (their process keeps TensorFlow's defaults). Returns True when it changed settings.
    """
    if not is_command_line():
        return False
    use_onednn()
    if not wants_verbose():
        silence_tensorflow()
    return True
