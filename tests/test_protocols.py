"""The paper's evaluation protocols on a tiny classifier and images with a known foreground."""

import math

import numpy as np
import pytest
from helpers import classifier

import cnn_explain_tf as cet
from cnn_explain_tf import protocols
from cnn_explain_tf.validation import InputError

SIZE, COUNT = 16, 4
MASK = np.zeros((COUNT, SIZE, SIZE), np.float32)
MASK[:, 4:10, 5:11] = 1.0  # a 6x6 foreground square: 36 of 256 pixels


def square_images() -> np.ndarray:
    """Background noise in [0, 0.5), foreground square at 1: the foreground is `image > 0.75`."""
    rng = np.random.default_rng(0)
    background = 0.5 * rng.random((COUNT, SIZE, SIZE, 3), dtype=np.float32)
    return np.where(MASK[..., None] > 0, 1.0, background).astype(np.float32)


def oracle(model):
    """Lights exactly the bright pixels (the foreground of clean images); ignores the model."""
    return lambda images, targets=None: (np.asarray(images).min(-1) > 0.75).astype(np.float32)


def constant(value: float):
    """A factory of maps that are `value` everywhere."""
    def factory(model):
        return lambda images, targets=None: np.full(np.shape(images)[:3], value, np.float32)
    return factory


def constant_brightness(model):
    """The image's mean channel: a 'map' that does not depend on the model at all."""
    return lambda images, targets=None: np.asarray(images).mean(-1)


def gradcam(model):
    return cet.explain.get("gradcam")(model)


@pytest.fixture(scope="module")
def eval_set() -> protocols.EvalSet:
    return protocols.EvalSet("squares", "tiny", classifier(size=SIZE), square_images(),
                             np.zeros(COUNT, np.int64), MASK)


@pytest.fixture(scope="module")
def maps(eval_set) -> dict:
    return protocols.explain_all(eval_set, {"gradcam": gradcam, "oracle": oracle,
                                            "ones": constant(1.0)})[0]


def test_explain_all_times_every_method_and_explains_the_predicted_classes(eval_set):
    maps, seconds = protocols.explain_all(eval_set, {"gradcam": gradcam, "oracle": oracle})
    assert list(maps) == list(seconds) == ["gradcam", "oracle"]
    np.testing.assert_array_equal(maps["oracle"], MASK)
    np.testing.assert_allclose(maps["gradcam"], gradcam(eval_set.model)(eval_set.images),
                               atol=1e-6)
    assert all(value > 0 for value in seconds.values())


def test_localization_rows_give_table1_rates_in_percent(eval_set, maps):
    rows = protocols.localization_rows(eval_set, maps)
    assert [row["method"] for row in rows] == ["gradcam", "oracle", "ones"]
    assert list(rows[0]) == ["dataset", "arch", "method", "TP %", "FP %", "TN %", "FN %"]
    assert {key: rows[1][key] for key in ("TP %", "FP %", "TN %", "FN %")} == {
        "TP %": 100, "FP %": 0, "TN %": 100, "FN %": 0}
    assert {key: rows[2][key] for key in ("TP %", "FP %", "TN %", "FN %")} == {
        "TP %": 100, "FP %": 100, "TN %": 0, "FN %": 0}


def test_dice_rows_are_one_row_with_the_reference_column_exactly_one(eval_set, maps):
    (row,) = protocols.dice_rows(eval_set, maps)
    assert list(row) == ["dataset", "arch", "Dice gradcam", "Dice oracle", "Dice ones"]
    assert row["Dice gradcam"] == 1.0 and row["dataset"] == "squares"
    (row,) = protocols.dice_rows(eval_set, maps, reference="ones")
    assert row["Dice oracle"] == pytest.approx(2 * 36 / (36 + 256))
    with pytest.raises(InputError, match="reference: expected one of the methods"):
        protocols.dice_rows(eval_set, maps, reference="lsft")


def test_faithfulness_rows_score_the_reference_50_against_itself(eval_set, maps):
    rows = protocols.faithfulness_rows(eval_set, maps)
    assert list(rows[0]) == ["dataset", "arch", "method", "average drop %",
                             "increase in confidence %", "win % vs Grad-CAM"]
    assert rows[0]["win % vs Grad-CAM"] == 50
    # A map of ones leaves the image unchanged: no drop, no increase, a tie against itself.
    ones = protocols.faithfulness_rows(eval_set, maps, reference="ones")[2]
    assert (ones["average drop %"], ones["increase in confidence %"], ones["win % vs ones"]) == (
        0, 0, 50)


def test_average_rows_average_numeric_columns_per_group_ignoring_nan():
    rows = [{"dataset": "a", "method": "x", "TP %": 10.0, "ok": True, "n": 1},
            {"dataset": "b", "method": "y", "TP %": 30.0, "ok": False, "n": 3},
            {"dataset": "b", "method": "x", "TP %": math.nan, "ok": True, "n": 5},
            {"dataset": "c", "method": "x", "TP %": 40.0, "ok": True, "n": 6}]
    averaged = protocols.average_rows(rows)
    assert averaged == [{"method": "x", "TP %": 25.0, "n": 4.0, "pairs": 3},
                        {"method": "y", "TP %": 30.0, "n": 3.0, "pairs": 1}]
    (everything,) = protocols.average_rows(rows[2:3], group_keys=())
    assert math.isnan(everything["TP %"]) and everything["pairs"] == 1
    by_both = protocols.average_rows(rows, group_keys=("dataset", "method"))
    assert [(row["dataset"], row["method"]) for row in by_both] == [
        ("a", "x"), ("b", "y"), ("b", "x"), ("c", "x")]
    with pytest.raises(InputError, match="group_keys: expected columns that every row has"):
        protocols.average_rows(rows, group_keys=("arch",))


def test_noise_robustness_covers_every_amount_and_method(eval_set):
    seen = []

    def recording(model):
        def explain(images, targets=None):
            seen.append(targets)
            return np.zeros(np.shape(images)[:3], np.float32)
        return explain

    factories = {"oracle": oracle, "ones": constant(1.0), "recording": recording}
    rows, figure = protocols.noise_robustness(eval_set, factories, amounts=(0.0, 0.25), seed=3)
    assert [(row["amount"], row["method"]) for row in rows] == [
        (amount, method) for amount in (0.0, 0.25) for method in factories]
    errors = {(row["amount"], row["method"]): row["background error"] for row in rows}
    assert errors[0.0, "oracle"] == 0 and errors[0.0, "ones"] == errors[0.25, "ones"] == 1
    assert 0 < errors[0.25, "oracle"] < 0.25  # salt pixels are bright: half the noise, roughly
    predicted = np.argmax(eval_set.model.predict(eval_set.images, verbose=0), axis=-1)
    for targets in seen:
        np.testing.assert_array_equal(targets, predicted)
    assert figure["amounts"] == [0.0, 0.25]
    noisy = cet.metrics.salt_and_pepper(eval_set.images, 0.25, 3)
    np.testing.assert_array_equal(figure["images"][0.25], noisy[:3])
    assert figure["maps"]["oracle"][0.25].shape == (3, SIZE, SIZE)


def test_cgma_relevance_is_k_shares_summing_to_one(eval_set):
    generator = cet.models.build_lsft_generator((SIZE, SIZE, 3), 3, "quick")
    relevance = protocols.cgma_relevance(eval_set, cet.explain.SFTGANExplainer(generator, "lsft"))
    assert relevance.shape == (3,) and relevance.dtype == np.float32
    assert np.all(relevance >= 0) and relevance.sum() == pytest.approx(1.0, abs=1e-6)


def test_leaderboard_rows_hold_every_metric(eval_set, maps):
    rows = protocols.leaderboard_rows(eval_set, maps, {"gradcam": 0.5, "oracle": 0.25})
    assert list(rows[0]) == ["dataset", "arch", "method", "Dice vs mask", "pointing game %",
                             "background error", "average drop %", "increase in confidence %",
                             "AOPC", "deletion AUC", "insertion AUC", "seconds / image"]
    oracle_row = rows[1]
    assert (oracle_row["Dice vs mask"], oracle_row["pointing game %"],
            oracle_row["background error"], oracle_row["seconds / image"]) == (1, 100, 0, 0.25)
    assert math.isnan(rows[2]["seconds / image"]) and rows[2]["average drop %"] == 0
    for row in rows:
        assert all(math.isfinite(row[key]) for key in ("AOPC", "deletion AUC", "insertion AUC"))


def test_every_registered_method_runs_through_the_tables(eval_set):
    factories = {name: cet.explain.get(name) for name in cet.explain.names()}
    maps, seconds = protocols.explain_all(eval_set, factories)
    rows = protocols.leaderboard_rows(eval_set, maps, seconds)
    assert [row["method"] for row in rows] == cet.explain.names()
    assert all(0 <= row["Dice vs mask"] <= 1 and row["seconds / image"] > 0 for row in rows)


def test_sanity_rows_flag_a_method_that_ignores_the_weights(eval_set):
    rows, curves = protocols.sanity_rows(eval_set, {"brightness": constant_brightness,
                                                    "gradcam": gradcam}, count=2)
    assert [(row["method"], row["sanity passed"]) for row in rows] == [
        ("brightness", False), ("gradcam", True)]
    assert rows[0]["sanity SSIM"] == pytest.approx(1.0, abs=1e-6) and rows[1]["sanity SSIM"] < 0.5
    assert curves["gradcam"].similarity.shape == (3,)  # 3 checkpoints among 4 kernel layers
    assert len(curves["gradcam"].layers) == 3
    assert curves["gradcam"].similarity[-1] == pytest.approx(rows[1]["sanity SSIM"])


def test_bad_input_raises_input_error_naming_the_argument(eval_set, maps):
    model = eval_set.model
    with pytest.raises(InputError, match="images: expected at least one evaluation image for "
                                         "squares__tiny"):
        protocols.EvalSet("squares", "tiny", model, np.zeros((0, SIZE, SIZE, 3), np.float32),
                          np.zeros(0, int), np.zeros((0, SIZE, SIZE), np.float32))
    with pytest.raises(InputError, match=r"masks: expected shape \(4, 16, 16\)"):
        protocols.EvalSet("squares", "tiny", model, eval_set.images, eval_set.labels, MASK[:, :8])
    with pytest.raises(InputError, match=r"labels: expected shape \(4,\)"):
        protocols.EvalSet("squares", "tiny", model, eval_set.images, eval_set.labels[:3], MASK)
    small = {**maps, "oracle": maps["oracle"][:, :8, :8]}
    for rows in (protocols.localization_rows, protocols.dice_rows, protocols.faithfulness_rows):
        with pytest.raises(InputError, match=r"maps\['oracle'\]: expected the shape of the masks"):
            rows(eval_set, small)
    with pytest.raises(InputError, match=r"maps\['oracle'\]"):
        protocols.leaderboard_rows(eval_set, small, {})
