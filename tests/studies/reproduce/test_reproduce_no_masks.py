"""A reproduction's report with pairs whose datasets have no masks (the paper's strategy-2 sets):
mask-based headline numbers over the pairs with masks only, NaN cells in the pivoted tables."""

import math

import pytest

from cnn_explain_tf.protocols.sft_gan import DiceRow, FaithfulnessRow, LocalizationRow
from cnn_explain_tf.studies.reproduce import sections, uncertainty
from cnn_explain_tf.studies.reproduce.config import STRATEGY_ONE_LSFT
from cnn_explain_tf.studies.reproduce.records import PairRecord

METHODS = ("gradcam", "gsft", "lsft", STRATEGY_ONE_LSFT)


def record(dataset: str, semantics: str, masks: bool, kind: str = "seen") -> PairRecord:
    """A pair with LSFT's per-image Dice vs mask 0.5 and 0.7 when it has masks; no Table 1 rows
    and Dice vs Grad-CAM only when it has none."""
    faithfulness = [FaithfulnessRow(dataset, "vgg_lite", m, "gradcam", "label", 10.0, 0.0, 0.0,
                                    50.0, 0.0, {name: [10.0, 10.0] for name in (
                                        "average_drop", "increase_in_confidence",
                                        "increase_count", "win_rate", "tie_rate")})
                    for m in METHODS]
    dice = [DiceRow(dataset, "vgg_lite", m, "gradcam", 1.0, {"dice": [1.0, 1.0]})
            for m in METHODS]
    local = {name: [50.0, 50.0] for name in ("tp", "fp", "tn", "fn")}
    return PairRecord(
        f"{dataset}__vgg_lite", dataset, "vgg_lite", kind, semantics, 0.9, 2,
        localization=[LocalizationRow(dataset, "vgg_lite", m, 50, 50, 50, 50, local)
                      for m in METHODS] if masks else [],
        dice=dice + ([DiceRow(dataset, "vgg_lite", m, "mask", 0.6, {"dice": [0.5, 0.7]})
                      for m in METHODS] if masks else []),
        faithfulness=faithfulness, faithfulness_predicted=faithfulness, figures=[],
        relevance={})


def test_mask_based_headline_numbers_count_the_pairs_with_masks_only():
    records = [record("digits", "similar", True), record("glyphs", "similar", False),
               record("objects", "dissimilar", False),
               record("cats", "dissimilar", False, "unseen")]
    rows = {row["id"]: row for row in uncertainty.headline(records, resamples=50, seed=0)}
    assert rows["similar/lsft/average_drop"]["pairs"] == 2
    assert rows["similar/lsft/tp"]["pairs"] == 1
    dice = rows["similar/lsft/dice_vs_mask"]
    assert (dice["pairs"], dice["estimate"]) == (1, pytest.approx(0.6))
    assert rows["similar/lsft-gradcam/dice_vs_mask"]["estimate"] == 0.0
    assert rows["dissimilar/lsft/dice_vs_gradcam"]["pairs"] == 1
    masked = [i for i in rows if i.startswith(("dissimilar/", "unseen cats/"))
              and ("/tp" in i or "/fp" in i or "vs_mask" in i)]
    assert masked == [] and "unseen cats/lsft/average_drop" in rows


def test_pivoted_tables_have_nan_where_a_pair_has_no_masks():
    seen = [record("digits", "similar", True), record("objects", "dissimilar", False)]
    table2 = sections._table2(seen)["tables"][0]["rows"]
    assert list(table2[0]) == list(table2[1])  # the report needs the same columns in each row
    assert table2[0]["Dice lsft vs mask"] == 0.6 and math.isnan(table2[1]["Dice lsft vs mask"])
    assert table2[1]["Dice lsft vs Grad-CAM"] == 1.0
    unseen = [record("kmnist", "similar", True, "unseen"),
              record("cats", "dissimilar", False, "unseen")]
    rows = sections._unseen(unseen)["tables"][0]["rows"]
    assert rows[0]["LSFT Dice vs mask"] == 0.6 and math.isnan(rows[1]["LSFT Dice vs mask"])
    assert list(rows[0]) == list(rows[1])
