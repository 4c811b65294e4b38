"""The protocols on a dataset without ground-truth masks (`EvalSet.masks` None, the paper's
strategy-2 sets, Sec. 4.2.1 of arXiv 2301.08067): mask-based numbers refused, absent or NaN,
the others the same as with masks."""

import dataclasses
import math

import numpy as np
import pytest
from squares import COUNT, SIZE, constant, oracle

from cnn_explain_tf.protocols import common, leaderboard, sft_gan
from cnn_explain_tf.validation import InputError


@pytest.fixture(scope="module")
def unmasked(eval_set) -> common.EvalSet:
    return dataclasses.replace(eval_set, masks=None)


def test_an_eval_set_may_have_no_masks(eval_set, unmasked):
    assert unmasked.masks is None and common.head(unmasked, 2).masks is None
    assert common.head(eval_set, 2).masks.shape == (2, SIZE, SIZE)
    with pytest.raises(InputError, match=r"labels: expected shape \(4,\)"):
        dataclasses.replace(unmasked, labels=np.zeros(3, np.int64))
    with pytest.raises(InputError, match=r"maps\['ones'\]: expected the shape of the masks"):
        sft_gan.dice_rows(unmasked, {"gradcam": np.zeros((COUNT, SIZE, SIZE)),
                                     "ones": np.ones((COUNT, 8, 8))})


def test_mask_based_tables_are_refused_without_masks(unmasked, maps):
    with pytest.raises(InputError, match="Table 1 .* needs ground-truth masks; squares__tiny"):
        sft_gan.localization_rows(unmasked, maps)
    with pytest.raises(InputError, match="Dice vs mask needs ground-truth masks"):
        sft_gan.dice_rows(unmasked, maps, reference="mask")


def test_the_other_tables_do_not_depend_on_masks(eval_set, unmasked, maps):
    assert sft_gan.dice_rows(unmasked, maps) == sft_gan.dice_rows(eval_set, maps)
    assert sft_gan.faithfulness_rows(unmasked, maps)[2].average_drop == 0.0  # ones: unchanged


def test_noise_without_masks_gives_the_figure_but_no_rows(eval_set, unmasked):
    factories = {"oracle": oracle, "half": constant(0.5)}
    rows, figure = sft_gan.noise_robustness(unmasked, factories, (0.1,), seed=0)
    masked_rows, masked_figure = sft_gan.noise_robustness(eval_set, factories, (0.1,), seed=0)
    assert rows == [] and [row.background_error for row in masked_rows][1] == 0.5
    np.testing.assert_array_equal(figure.maps["oracle"][0.1], masked_figure.maps["oracle"][0.1])
    np.testing.assert_array_equal(figure.images[0.1], masked_figure.images[0.1])


def test_leaderboard_has_nan_mask_columns_without_masks(eval_set, unmasked, maps):
    rows = leaderboard.leaderboard_rows(unmasked, maps, {}, steps=2)
    masked = leaderboard.leaderboard_rows(eval_set, maps, {}, steps=2)
    mask_based = ("dice_vs_mask", "pointing_game", "background_error")
    for row, reference in zip(rows, masked, strict=True):
        assert all(math.isnan(getattr(row, name)) for name in mask_based)
        assert dataclasses.replace(row, **{n: 0.0 for n in mask_based}, seconds_per_image=0.0
                                   ) == dataclasses.replace(reference, **{
                                       n: 0.0 for n in mask_based}, seconds_per_image=0.0)
    assert masked[1].dice_vs_mask == 1.0 and masked[1].pointing_game == 100.0  # the oracle
