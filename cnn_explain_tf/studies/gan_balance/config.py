"""The GAN balance study's recipe variants, its config and its per-variant result row."""

from __future__ import annotations

import dataclasses

from cnn_explain_tf.data import cgma_shards
from cnn_explain_tf.metrics import intervals
from cnn_explain_tf.training import sft_gan
from cnn_explain_tf.validation import InputError, check_choice, check_config

__all__ = ["BASELINE", "DEFAULT", "LOSSES", "SCORES", "VARIANTS", "BalanceConfig",
           "BalanceRow"]

BASELINE = "baseline"
VARIANTS: dict[str, dict] = {
    BASELINE: {},
    "real_label_0.9": {"real_label": 0.9},
    "d_lr_x0.25": {"discriminator_lr_scale": 0.25},
    "d_filters_16": {"discriminator_filters": 16},
    "lambda_adv_0.1": {"lambda_adv": 0.1},
    "lambda_adv_10": {"lambda_adv": 10.0},
}
"""Changes to the base recipe (`sft_gan.GANConfig` fields) by name: one-sided label smoothing,
a slower or smaller discriminator, a weaker or stronger adversarial term; "baseline" is the
recipe itself."""
LOSSES = ("d_loss", "adv_loss", "rec_loss")
"""The training losses recorded per run: each the mean over the last epoch's steps."""
SCORES = {"average_drop": "lower", "win_rate": "higher"}
"""Table 3's columns, each with the side that is better."""


@dataclasses.dataclass(frozen=True)
class BalanceConfig:
    """What the study trains and measures.

    Attributes:
        gan: the base recipe (the baseline); every variant changes some of its fields.
        variants: names of `VARIANTS`, "baseline" among them.
        seeds: GAN seeds (weights, shuffling); classifiers and CGMA shards stay fixed, so runs of
            one seed are paired across variants.
        semantics: the strategy's pairs to train on and evaluate ("similar": strategy 1).
        generator: "lsft" or "gsft".
        eval_count: held-out test images per pair for Table 3 (the same for every run).
        resamples: bootstrap resamples of the difference intervals.
    """

    gan: sft_gan.GANConfig
    variants: tuple[str, ...] = tuple(VARIANTS)
    seeds: tuple[int, ...] = (0, 1, 2)
    semantics: str = "similar"
    generator: str = "lsft"
    eval_count: int = 48
    resamples: int = 2000

    def __post_init__(self):
        check_config(self, positive=("eval_count", "resamples"),
                     choices={"semantics": cgma_shards.SEMANTICS, "generator": sft_gan.VARIANTS})
        for name in self.variants:
            check_choice("variants", name, VARIANTS)
        if BASELINE not in self.variants or not self.seeds:
            raise InputError(f"variants, seeds: expected {BASELINE!r} among the variants and at "
                             f"least one seed, got {list(self.variants)} and {list(self.seeds)}")
        if len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise InputError(f"seeds: expected distinct ints >= 0, got {list(self.seeds)}")

    def recipe(self, variant: str) -> sft_gan.GANConfig:
        """The GAN recipe of one variant."""
        return dataclasses.replace(self.gan, **VARIANTS[variant])


DEFAULT = BalanceConfig(gan=sft_gan.PRESETS["quick"],
                        variants=(BASELINE, "real_label_0.9", "d_lr_x0.25"))
"""The quick-sized study: `sft_gan.PRESETS["quick"]` (the GAN recipe of `reproduce --preset
quick`: 4 epochs of 256 examples per pair, 288 steps on strategy 1's 9 pairs, Adam 1e-3) as
the baseline, the two changes aimed at D's dominance, 3 seeds; the other `VARIANTS` are there
to pass by name."""


@dataclasses.dataclass(frozen=True)
class BalanceRow:
    """One variant over the seeds: end losses, Table 3 and the paired difference from baseline.

    Attributes:
        variant: a `VARIANTS` name.
        losses: `LOSSES` name -> (mean, std) over seeds of the last epoch's mean.
        scores: "average_drop" / "win_rate" (LSFT vs Grad-CAM, %) -> (mean, std) over seeds of
            the mean over pairs.
        per_seed: score -> each seed's value.
        differences: score -> paired bootstrap interval of variant minus baseline (images
            resampled within each seed x pair stratum, the same images for both).
        seed_differences: score -> each seed's variant minus baseline.
        verdicts: score -> "improves", "worse" or "within noise" (see `summarize`).
        gradcam_drop: Grad-CAM's average drop (%) on the same images, for reference.
    """

    variant: str
    losses: dict[str, tuple[float, float]]
    scores: dict[str, tuple[float, float]]
    per_seed: dict[str, list[float]]
    differences: dict[str, intervals.Interval]
    seed_differences: dict[str, list[float]]
    verdicts: dict[str, str]
    gradcam_drop: float
