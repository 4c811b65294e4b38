"""tf.distribute strategies by name, and which replica writes the artifacts."""

from __future__ import annotations

import os
import warnings

import tensorflow as tf

from cnn_explain_tf.validation import InputError

__all__ = ["STRATEGIES", "get_strategy", "is_chief"]

STRATEGIES = ("default", "mirrored", "multiworker")


def get_strategy(name: str = "default") -> tf.distribute.Strategy:
    """Returns a distribution strategy; build and compile models inside its `scope()`.

    Args:
        name: "default" (the current strategy: one device), "mirrored" (all local GPUs or
            logical devices, synchronous) or "multiworker" (`MultiWorkerMirroredStrategy`; the
            cluster and this worker's role come from the `TF_CONFIG` environment variable). Create
            a multi-worker strategy before any other TensorFlow work in the process.

    Raises:
        InputError: unknown name.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            warnings.warn("distribute 'multiworker': TF_CONFIG is not set, so this process is the "
                          "only worker; set TF_CONFIG on every worker to train across machines",
                          stacklevel=2)
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise InputError(f"distribute: expected one of {list(STRATEGIES)}, got {name!r}")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True for the worker that writes artifacts: the "chief", else worker 0 or the only one."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type in (None, "chief"):
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief
