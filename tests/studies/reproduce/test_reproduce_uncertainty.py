"""Headline intervals from per-image records, goals judged on intervals, the seed section."""

import pytest

from cnn_explain_tf.protocols.sft_gan import DiceRow, FaithfulnessRow, LocalizationRow, NoiseRow
from cnn_explain_tf.studies.reproduce import seeds, uncertainty
from cnn_explain_tf.studies.reproduce.records import PairRecord
from cnn_explain_tf.validation import InputError

METHODS = ("gradcam", "gsft", "lsft")


def record(dataset: str, semantics: str, drops: dict, kind: str = "seen") -> PairRecord:
    """A pair whose per-image average drops are `drops[method]`; other numbers constant."""
    n = len(drops["gradcam"])
    rows = [FaithfulnessRow(dataset, "vgg_lite", m, "gradcam", "label", 0.0, 0.0, 0.0, 0.0, 0.0,
                            {"average_drop": drops[m], "increase_in_confidence": [1.0] * n,
                             "increase_count": [0.0] * n, "win_rate": [100.0] * n,
                             "tie_rate": [0.0] * n}) for m in drops]
    local = {name: [50.0] * n for name in ("tp", "fp", "tn", "fn")}
    return PairRecord(
        f"{dataset}__vgg_lite", dataset, "vgg_lite", kind, semantics, 0.9, n,
        localization=[LocalizationRow(dataset, "vgg_lite", m, 50, 50, 50, 50, local)
                      for m in drops],
        dice=[DiceRow(dataset, "vgg_lite", m, ref, 1.0, {"dice": [1.0] * n})
              for m in drops for ref in ("gradcam", "mask")],
        faithfulness=rows, faithfulness_predicted=rows, figures=[], relevance={},
        noise=[NoiseRow(0.1, m, 0.0, {"background_error": [0.2 if m == "lsft" else 0.4] * n})
               for m in ("gsft", "lsft")])


def test_headline_intervals_are_stratified_by_pair_and_paired():
    records = [record("digits", "similar", {"gradcam": [10.0, 20.0], "gsft": [15.0, 15.0],
                                             "lsft": [9.0, 19.0]}),
               record("symbols", "similar", {"gradcam": [30.0, 30.0], "gsft": [40.0, 40.0],
                                              "lsft": [28.0, 28.0]})]
    rows = {row["id"]: row for row in uncertainty.headline(records, resamples=100, seed=0)}
    drop = rows["similar/lsft/average_drop"]
    assert drop["estimate"] == pytest.approx((14 + 28) / 2) and drop["pairs"] == 2
    # LSFT is Grad-CAM minus 1 on digits' images, minus 2 on symbols': the paired difference
    # is -1.5 in every resample although both methods spread over the images.
    difference = rows["similar/lsft-gradcam/average_drop"]
    assert (difference["estimate"], difference["low"], difference["high"]) == pytest.approx(
        (-1.5, -1.5, -1.5))
    assert drop["low"] < drop["high"]
    assert rows["similar/lsft/dice_vs_mask"]["estimate"] == 1.0
    assert rows["similar/lsft-gsft/background_error@0.1"]["estimate"] == pytest.approx(-0.2)
    assert not any(row_id.startswith("dissimilar/") for row_id in rows)  # no such pairs


def test_goals_are_judged_on_the_intervals():
    def row(row_id, low, high):
        return {"id": row_id, "estimate": (low + high) / 2, "low": low, "high": high,
                "95 % interval": f"[{low}, {high}]"}
    rows = [row("similar/lsft-gradcam/average_drop", -3.0, -1.0),
            row("similar/lsft/win_rate", 45.0, 58.0),
            row("similar/lsft-gsft/average_drop", 0.5, 2.0),
            row("similar/lsft-gsft/background_error@0.1", -0.3, -0.1),
            row("similar/lsft-gsft/background_error@0.5", -0.1, 0.1)]
    goals = uncertainty.goals(rows, "quick", fresh_seconds=20 * 60)
    assert [g["verdict"] for g in goals] == ["met", "within noise", "not met", "within noise",
                                            "met"]
    assert [g["met"] for g in goals] == [True, False, False, False, True]
    assert goals[3]["ours"] == "0.1: met, 0.5: within noise"
    assert len(uncertainty.goals(rows, "smoke", 20 * 60)) == 4  # the time goal: quick only


@pytest.mark.parametrize(("given", "message"), [
    ((), "seeds: expected at least one seed, got none"),
    ((0, 1, 1), r"seeds: expected distinct ints >= 0, got \[0, 1, 1\] .*given twice: \[1\]"),
    ((0, -2), r"negative: \[-2\]"),
])
def test_bad_seeds_are_refused(given, message):
    with pytest.raises(InputError, match=message):
        seeds.check_seeds(given)
    with pytest.raises(TypeError, match="seeds: expected ints >= 0"):
        seeds.check_seeds((0, 1.5))


def test_seed_section_gives_mean_std_and_verdicts_over_seeds():
    def results(drop, verdict):
        return {"headline": [{"id": "similar/lsft/average_drop", "scope": "strategy 1",
                              "quantity": "LSFT average drop %", "estimate": drop}],
                "goals": [{"goal": "drop", "paper": "-1.54", "verdict": verdict}]}
    section = seeds.seed_section({0: results(10.0, "met"), 1: results(14.0, "within noise"),
                                  2: results(12.0, "met")})
    [number] = section["sections"][0]["tables"][0]["rows"]
    assert (number["mean"], number["std"], number["seeds"]) == (12.0, 2.0, 3)
    assert (number["seed 0"], number["seed 1"], number["seed 2"]) == (10.0, 14.0, 12.0)
    [goal] = section["goals"]
    assert goal["ours"] == "met 2/3, within noise 1/3" and goal["met"] is False
    assert (goal["seed 0"], goal["seed 1"]) == ("met", "within noise")
