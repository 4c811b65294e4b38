"""Run options every training job shares (precision, tf.distribute, resume, seed, verbosity)."""

from __future__ import annotations

import dataclasses

from cnn_explain_tf.training.strategy import STRATEGIES
from cnn_explain_tf.validation import check_choice, check_positive_int

__all__ = ["RunOptions"]


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How a job runs, as opposed to what it computes (its config).

    Attributes:
        mixed_precision: train under mixed_float16 (GPU) or mixed_bfloat16 (CPU).
        distribute: the `tf.distribute` strategy: "default", "mirrored" or "multiworker" (see
            `strategy.get_strategy`).
        resume: reuse finished work with the same config hash and continue interrupted work.
        seed: seeds weight init and shuffling.
        verbose: 0 silences progress bars and tables; 1 shows them.
    """

    mixed_precision: bool = False
    distribute: str = "default"
    resume: bool = False
    seed: int = 0
    verbose: int = 1

    def __post_init__(self):
        check_choice("distribute", self.distribute, STRATEGIES)
        check_positive_int("seed", self.seed, minimum=0)
        check_positive_int("verbose", self.verbose, minimum=0)
