"""Tests for the GAN balance study: Table 3 scoring, the summary and verdicts, config, a run."""

import dataclasses
import functools

import keras
import numpy as np
import pytest
from cgma_fixtures import classifiers_dir, shards_dir  # noqa: F401  (shared fixtures)

from cnn_explain_tf import explain
from cnn_explain_tf.models import sft
from cnn_explain_tf.protocols.common import explain_all
from cnn_explain_tf.protocols.sft_gan import faithfulness_rows
from cnn_explain_tf.studies import gan_balance
from cnn_explain_tf.training import sft_gan
from cnn_explain_tf.validation import InputError

TINY = sft.GeneratorSize(channels=8, num_blocks=4, condition_filters=8, condition_channels=4)
CONFIG = gan_balance.BalanceConfig(
    gan=dataclasses.replace(sft_gan.PRESETS["quick"], epochs=1, batch_size=4, generator_size=TINY,
                            discriminator_filters=8),
    variants=("baseline", "real_label_0.9"), seeds=(0, 1), eval_count=4, resamples=200)


def _generator(seed):
    keras.utils.set_random_seed(seed)
    return sft.build_lsft_generator((16, 16, 3), 3, TINY)


def test_pair_scorer_matches_the_table3_protocol_also_after_loading_new_weights(
        classifiers_dir, shards_dir):  # noqa: F811
    (eval_set,) = gan_balance.eval_sets(classifiers_dir, shards_dir, "similar", 4)
    assert eval_set.name == "digits__tiny" and eval_set.images.shape == (4, 16, 16, 1)
    scorer = gan_balance.PairScorer(eval_set)
    for seed in (0, 1):  # the second generator's weights are loaded into the first's explainer
        generator = _generator(seed)
        lsft = functools.partial(explain.SFTGANExplainer, generator=generator, variant="lsft")
        maps = explain_all(eval_set, {"gradcam": explain.get("gradcam"), "lsft": lsft})[0]
        rows = {row.method: row.per_image for row in faithfulness_rows(eval_set, maps)}
        scores = scorer.score(generator, "lsft")
        np.testing.assert_allclose(scores["average_drop"], rows["lsft"]["average_drop"],
                                   atol=1e-4)
        np.testing.assert_allclose(scores["win_rate"], rows["lsft"]["win_rate"])
        np.testing.assert_allclose(scores["gradcam_drop"], rows["gradcam"]["average_drop"],
                                   atol=1e-4)


def _record(drop, win, d_loss=1.0):
    """A `train_and_score` record of one pair with per-image drops and wins."""
    return {"losses": {"d_loss": d_loss, "adv_loss": 2.0, "rec_loss": 0.01},
            "pairs": {"digits__tiny": {"average_drop": drop, "win_rate": win,
                                       "gradcam_drop": [30.0] * len(drop)}}}


def test_summary_needs_every_seed_to_agree_with_the_interval():
    config = dataclasses.replace(CONFIG, variants=("baseline", "real_label_0.9", "d_lr_x0.25"))
    base = [10.0, 20.0, 30.0, 40.0]
    records = {("baseline", s): _record(base, [0.0, 100.0, 0.0, 100.0], d_loss=0.2 + s)
               for s in (0, 1)}
    # every image 5 points lower in both seeds, two more wins per seed: improves on both
    records.update({("real_label_0.9", s): _record([v - 5 for v in base], [100.0] * 4)
                    for s in (0, 1)})
    # seed 0: 5 lower everywhere, seed 1: 1 higher everywhere: the pooled interval is below 0
    # (-2 on average) but one seed disagrees, so within noise; wins unchanged
    records["d_lr_x0.25", 0] = _record([v - 5 for v in base], [0.0, 100.0, 0.0, 100.0])
    records["d_lr_x0.25", 1] = _record([v + 1 for v in base], [0.0, 100.0, 0.0, 100.0])
    rows = {row.variant: row for row in gan_balance.summarize(records, config)}
    assert rows["baseline"].losses["d_loss"] == pytest.approx((0.7, np.std([0.2, 1.2], ddof=1)))
    assert rows["baseline"].scores["average_drop"] == (25.0, 0.0)
    assert rows["real_label_0.9"].seed_differences == {"average_drop": [-5.0, -5.0],
                                                       "win_rate": [50.0, 50.0]}
    assert rows["real_label_0.9"].differences["average_drop"].estimate == pytest.approx(-5.0)
    assert rows["real_label_0.9"].verdicts == {"average_drop": "improves", "win_rate": "improves"}
    smoothed = rows["d_lr_x0.25"].differences["average_drop"]
    assert smoothed.estimate == pytest.approx(-2.0) and smoothed.high < 0
    assert rows["d_lr_x0.25"].verdicts == {"average_drop": "within noise",
                                           "win_rate": "within noise"}
    table = gan_balance.markdown_table(list(rows.values()), config)
    assert "| real_label_0.9 | 1.000 +- 0.000 | 2.00 +- 0.00 | 20.00 +- 0.00 | -5.00 [" in table
    assert "Grad-CAM's average drop 30.00 %" in table


def test_worse_when_every_seed_and_the_interval_are_worse():
    records = {("baseline", s): _record([10.0, 20.0], [100.0, 100.0]) for s in (0, 1)}
    records.update({("real_label_0.9", s): _record([15.0, 26.0], [0.0, 0.0]) for s in (0, 1)})
    (_, row) = gan_balance.summarize(records, CONFIG)
    assert row.verdicts == {"average_drop": "worse", "win_rate": "worse"}


@pytest.mark.parametrize(("change", "message"), [
    ({"variants": ("real_label_0.9",)}, "expected 'baseline' among the variants"),
    ({"variants": ("baseline", "bigger")}, "variants: expected one of"),
    ({"seeds": (0, 0)}, r"seeds: expected distinct ints >= 0, got \[0, 0\]"),
    ({"generator": "hsft"}, "generator: expected one of"),
])
def test_bad_study_configs_are_refused(change, message):
    with pytest.raises(InputError, match=message):
        dataclasses.replace(CONFIG, **change)


def test_variant_recipes_change_only_their_fields():
    assert CONFIG.recipe("baseline") == CONFIG.gan
    assert CONFIG.recipe("real_label_0.9") == dataclasses.replace(CONFIG.gan, real_label=0.9)


@pytest.mark.e2e
def test_study_trains_each_variant_and_seed_once_and_writes_the_table(
        classifiers_dir, shards_dir, tmp_path):  # noqa: F811
    rows = gan_balance.run_study(classifiers_dir, shards_dir, tmp_path, CONFIG, verbose=0)
    assert [row.variant for row in rows] == ["baseline", "real_label_0.9"]
    assert sorted(p.parent.name + "/" + p.name for p in tmp_path.glob("*/seed_*")) == [
        "baseline/seed_0", "baseline/seed_1", "real_label_0.9/seed_0", "real_label_0.9/seed_1"]
    assert (tmp_path / "gan_balance.md").read_text().count("\n| ") == 4  # header, separator, 2 rows
    stamp = (tmp_path / "baseline" / "seed_0" / "table3.json").stat().st_mtime_ns
    again = gan_balance.run_study(classifiers_dir, shards_dir, tmp_path, CONFIG, verbose=0)
    assert again == rows
    assert (tmp_path / "baseline" / "seed_0" / "table3.json").stat().st_mtime_ns == stamp
