"""Mixed-precision policies for training: mixed_float16 on GPU, mixed_bfloat16 on CPU."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras
import tensorflow as tf

__all__ = ["mixed_policy_name", "mixed_precision"]


def mixed_policy_name() -> str:
    """The mixed policy for this machine: "mixed_float16" with a GPU, else "mixed_bfloat16"."""
    return "mixed_float16" if tf.config.list_physical_devices("GPU") else "mixed_bfloat16"


@contextlib.contextmanager
def mixed_precision(enabled: bool = True, policy: str | None = None) -> Iterator[str]:
    """Sets the global Keras dtype policy for the block and restores the previous one afterwards.

    Models built inside the block compute in float16/bfloat16 and keep float32 variables; layers
    built with `dtype="float32"` (the zoo's output layer) stay in float32. Keras wraps the optimizer
    in a `LossScaleOptimizer` at compile time under "mixed_float16".

    Args:
        enabled: False leaves the current policy in place (handy for a flag).
        policy: a Keras dtype policy name to force; None picks `mixed_policy_name()`.

    Yields:
        The name of the policy in force inside the block.
    """
    previous = keras.config.dtype_policy()
    if enabled:
        keras.config.set_dtype_policy(policy or mixed_policy_name())
    try:
        yield keras.config.dtype_policy().name
    finally:
        keras.config.set_dtype_policy(previous)
