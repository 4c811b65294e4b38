"""The cross-method leaderboard, sanity rows and the shared protocol helpers on a toy set."""

import dataclasses
import functools
import math

import numpy as np
import pytest
from helpers import CHEAP_OPTIONS, CNN_EXPLAINERS
from squares import MASK, SIZE, constant_brightness, gradcam, oracle

import cnn_explain_tf as cet
from cnn_explain_tf.protocols import common, leaderboard
from cnn_explain_tf.validation import InputError


def test_explain_all_times_every_method_and_explains_the_predicted_classes(eval_set):
    maps, seconds = common.explain_all(eval_set, {"gradcam": gradcam, "oracle": oracle})
    assert list(maps) == list(seconds) == ["gradcam", "oracle"]
    np.testing.assert_array_equal(maps["oracle"], MASK)
    np.testing.assert_allclose(maps["gradcam"], gradcam(eval_set.model)(eval_set.images),
                               atol=1e-6)
    assert all(value > 0 for value in seconds.values())


def test_average_rows_average_numeric_columns_per_group_ignoring_nan():
    rows = [{"dataset": "a", "method": "x", "TP %": 10.0, "ok": True, "n": 1},
            {"dataset": "b", "method": "y", "TP %": 30.0, "ok": False, "n": 3},
            {"dataset": "b", "method": "x", "TP %": math.nan, "ok": True, "n": 5},
            {"dataset": "c", "method": "x", "TP %": 40.0, "ok": True, "n": 6}]
    averaged = common.average_rows(rows)
    assert averaged == [{"method": "x", "TP %": 25.0, "n": 4.0, "pairs": 3},
                        {"method": "y", "TP %": 30.0, "n": 3.0, "pairs": 1}]
    (everything,) = common.average_rows(rows[2:3], group_keys=())
    assert math.isnan(everything["TP %"]) and everything["pairs"] == 1
    by_both = common.average_rows(rows, group_keys=("dataset", "method"))
    assert [(row["dataset"], row["method"]) for row in by_both] == [
        ("a", "x"), ("b", "y"), ("b", "x"), ("c", "x")]
    with pytest.raises(InputError, match="group_keys: expected columns that every row has"):
        common.average_rows(rows, group_keys=("arch",))


def test_leaderboard_rows_hold_every_metric(eval_set, maps):
    rows = leaderboard.leaderboard_rows(eval_set, maps, {"gradcam": 0.5, "oracle": 0.25})
    assert [field.name for field in dataclasses.fields(rows[0])] == [
        "dataset", "arch", "method", "dice_vs_mask", "pointing_game", "background_error",
        "average_drop", "increase_in_confidence", "aopc", "deletion_auc", "insertion_auc",
        "seconds_per_image"]
    oracle_row = rows[1]
    assert (oracle_row.dice_vs_mask, oracle_row.pointing_game, oracle_row.background_error,
            oracle_row.seconds_per_image) == (1, 100, 0, 0.25)
    assert math.isnan(rows[2].seconds_per_image) and rows[2].average_drop == 0
    for row in rows:
        assert all(math.isfinite(v) for v in (row.aopc, row.deletion_auc, row.insertion_auc))


def test_every_registered_method_runs_through_the_tables(eval_set):
    factories = {name: functools.partial(cet.explain.get(name), **CHEAP_OPTIONS.get(name, {}))
                 for name in CNN_EXPLAINERS}
    maps, seconds = common.explain_all(eval_set, factories)
    rows = leaderboard.leaderboard_rows(eval_set, maps, seconds)
    assert [row.method for row in rows] == CNN_EXPLAINERS
    assert all(0 <= row.dice_vs_mask <= 1 and row.seconds_per_image > 0 for row in rows)


def test_sanity_rows_flag_a_method_that_ignores_the_weights(eval_set):
    rows, curves = leaderboard.sanity_rows(eval_set, {"brightness": constant_brightness,
                                                      "gradcam": gradcam}, count=2)
    assert [(row.method, row.passed) for row in rows] == [("brightness", False),
                                                          ("gradcam", True)]
    assert rows[0].ssim == pytest.approx(1.0, abs=1e-6) and rows[1].ssim < 0.5
    assert curves["gradcam"].similarity.shape == (3,)  # 3 checkpoints among 4 kernel layers
    assert len(curves["gradcam"].layers) == 3
    assert curves["gradcam"].similarity[-1] == pytest.approx(rows[1].ssim)


def test_bad_input_raises_input_error_naming_the_argument(eval_set, maps):
    model = eval_set.model
    with pytest.raises(InputError, match="images: expected at least one evaluation image for "
                                         "squares__tiny"):
        common.EvalSet("squares", "tiny", model, np.zeros((0, SIZE, SIZE, 3), np.float32),
                       np.zeros(0, int), np.zeros((0, SIZE, SIZE), np.float32))
    with pytest.raises(InputError, match=r"masks: expected shape \(4, 16, 16\)"):
        common.EvalSet("squares", "tiny", model, eval_set.images, eval_set.labels, MASK[:, :8])
    with pytest.raises(InputError, match=r"labels: expected shape \(4,\)"):
        common.EvalSet("squares", "tiny", model, eval_set.images, eval_set.labels[:3], MASK)
    small = {**maps, "oracle": maps["oracle"][:, :8, :8]}
    with pytest.raises(InputError, match=r"maps\['oracle'\]"):
        leaderboard.leaderboard_rows(eval_set, small, {})
