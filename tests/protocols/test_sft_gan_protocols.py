"""The SFT-GAN paper's protocols (Tables 1-3, noise, CGMA relevance) on images with a known mask."""

import dataclasses
import functools

import numpy as np
import pytest
from squares import MASK, SIZE, constant, oracle

import cnn_explain_tf as cet
from cnn_explain_tf.protocols import common, sft_gan
from cnn_explain_tf.validation import InputError


def rates(row: sft_gan.LocalizationRow) -> dict:
    return {"TP %": row.tp, "FP %": row.fp, "TN %": row.tn, "FN %": row.fn}


def test_localization_rows_give_table1_rates_in_percent(eval_set, maps):
    rows = sft_gan.localization_rows(eval_set, maps)
    assert [row.method for row in rows] == ["gradcam", "oracle", "ones"]
    assert [field.name for field in dataclasses.fields(rows[0])] == [
        "dataset", "arch", "method", "tp", "fp", "tn", "fn", "per_image"]
    assert rows[2].per_image["fp"] == [100.0] * len(eval_set.images)
    assert rates(rows[1]) == {"TP %": 100, "FP %": 0, "TN %": 100, "FN %": 0}
    assert rates(rows[2]) == {"TP %": 100, "FP %": 100, "TN %": 0, "FN %": 0}


def test_dice_rows_have_the_reference_exactly_one(eval_set, maps):
    rows = sft_gan.dice_rows(eval_set, maps)
    assert [row.method for row in rows] == ["gradcam", "oracle", "ones"]
    dice = {row.method: row.dice for row in rows}
    assert dice["gradcam"] == 1.0 and rows[0].dataset == "squares"
    assert {row.reference for row in rows} == {"gradcam"}
    dice = {row.method: row.dice for row in sft_gan.dice_rows(eval_set, maps, reference="ones")}
    assert dice["oracle"] == pytest.approx(2 * 36 / (36 + 256))
    with pytest.raises(InputError, match="reference: expected one of the methods"):
        sft_gan.dice_rows(eval_set, maps, reference="lsft")


def test_dice_rows_against_the_ground_truth_mask(eval_set, maps):
    rows = {row.method: row for row in sft_gan.dice_rows(eval_set, maps, reference="mask")}
    assert {row.reference for row in rows.values()} == {"mask"}
    assert rows["oracle"].dice == 1.0  # the oracle's map is the mask
    assert rows["ones"].dice == pytest.approx(2 * 36 / (36 + 256))
    assert rows["ones"].per_image["dice"] == pytest.approx([2 * 36 / (36 + 256)] * 4)


def test_faithfulness_rows_never_count_the_reference_winning_against_itself(eval_set, maps):
    rows = sft_gan.faithfulness_rows(eval_set, maps)
    assert [field.name for field in dataclasses.fields(rows[0])] == [
        "dataset", "arch", "method", "reference", "target", "average_drop",
        "increase_in_confidence", "increase_count", "win_rate", "tie_rate", "per_image"]
    assert (rows[0].win_rate, rows[0].tie_rate) == (0, 100)  # every image ties: no win
    assert rows[0].reference == "gradcam" and rows[0].target == "label"
    # A map of ones leaves the image unchanged: no drop, no increase, a tie against itself.
    ones = sft_gan.faithfulness_rows(eval_set, maps, reference="ones")[2]
    assert (ones.average_drop, ones.increase_count, ones.win_rate, ones.tie_rate) == (
        0, 0, 0, 100)
    assert np.isnan(ones.increase_in_confidence)  # no image gains: Eq. 8 counts none
    assert len(ones.per_image["average_drop"]) == len(eval_set.images)


def test_faithfulness_uses_the_ground_truth_class_unless_told_otherwise(eval_set, maps):
    predicted_classes = common.predicted_classes(eval_set)
    wrong = dataclasses.replace(eval_set, labels=(predicted_classes + 1) % 2)
    half = {"gradcam": maps["gradcam"], "half": np.full_like(maps["ones"], 0.5)}
    label = sft_gan.faithfulness_rows(wrong, half)[1]
    predicted = sft_gan.faithfulness_rows(wrong, half, target="predicted")[1]
    drop = cet.metrics.AverageDrop(eval_set.model)
    assert label.per_image["average_drop"] == pytest.approx(
        drop.detailed_evaluate(eval_set.images, half["half"], wrong.labels).tolist(), nan_ok=True)
    assert predicted.per_image["average_drop"] == pytest.approx(
        drop.detailed_evaluate(eval_set.images, half["half"]).tolist(), nan_ok=True)
    assert predicted.target == "predicted"
    with pytest.raises(InputError, match="target: expected one of"):
        sft_gan.faithfulness_rows(eval_set, maps, target="soft")


@pytest.mark.parametrize("classify", ["noisy", "clean"])
def test_noise_robustness_covers_every_amount_and_method(eval_set, classify):
    seen = []

    def recording(model):
        def explain(images, targets=None):
            seen.append(targets)
            return np.zeros(np.shape(images)[:3], np.float32)
        return explain

    factories = {"oracle": oracle, "ones": constant(1.0), "recording": recording}
    rows, figure = sft_gan.noise_robustness(eval_set, factories, amounts=(0.0, 0.25), seed=3,
                                            classify=classify)
    assert [(row.amount, row.method) for row in rows] == [
        (amount, method) for amount in (0.0, 0.25) for method in factories]
    errors = {(row.amount, row.method): row.background_error for row in rows}
    assert errors[0.0, "oracle"] == 0 and errors[0.0, "ones"] == errors[0.25, "ones"] == 1
    assert 0 < errors[0.25, "oracle"] < 0.25  # salt pixels are bright: half the noise, roughly
    assert rows[-1].per_image["background_error"] == pytest.approx(
        [0.0] * len(eval_set.images))  # the recording map is zero everywhere
    predicted = np.argmax(eval_set.model.predict(eval_set.images, verbose=0), axis=-1)
    for targets in seen:  # noisy images are classified anew: the explainer's own prediction
        if classify == "clean":
            np.testing.assert_array_equal(targets, predicted)
        else:
            assert targets is None
    assert figure.amounts == [0.0, 0.25]
    noisy = cet.metrics.salt_and_pepper(eval_set.images, 0.25, 3)
    np.testing.assert_array_equal(figure.images[0.25], noisy[:3])
    assert figure.maps["oracle"][0.25].shape == (3, SIZE, SIZE)


def test_cgma_relevance_is_k_shares_summing_to_one(eval_set):
    generator = cet.models.build_lsft_generator((SIZE, SIZE, 3), 3, "quick")
    lsft = functools.partial(cet.explain.SFTGANExplainer, generator=generator, variant="lsft")
    relevance = sft_gan.cgma_relevance(eval_set, lsft)
    assert relevance.shape == (3,) and relevance.dtype == np.float32
    assert np.all(relevance >= 0) and relevance.sum() == pytest.approx(1.0, abs=1e-6)


def test_bad_maps_raise_input_error_naming_the_method(eval_set, maps):
    small = {**maps, "oracle": maps["oracle"][:, :8, :8]}
    for rows in (sft_gan.localization_rows, sft_gan.dice_rows, sft_gan.faithfulness_rows):
        with pytest.raises(InputError, match=r"maps\['oracle'\]: expected the shape of the masks"):
            rows(eval_set, small)
    assert MASK.shape == (4, SIZE, SIZE)
