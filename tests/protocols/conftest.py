"""Fixtures of the SFT-GAN and leaderboard protocol tests: the toy square set and its maps."""

import pytest
from squares import constant, gradcam, oracle, square_set

from cnn_explain_tf.protocols import common


@pytest.fixture(scope="module")
def eval_set() -> common.EvalSet:
    return square_set()


@pytest.fixture(scope="module")
def maps(eval_set) -> dict:
    """Grad-CAM, the oracle and an all-ones map of the square set."""
    return common.explain_all(eval_set, {"gradcam": gradcam, "oracle": oracle,
                                         "ones": constant(1.0)})[0]
