"""The Fill in the blanks study's config (`StudyConfig`) and its presets smoke, quick and paper."""

from __future__ import annotations

import dataclasses

from cnn_explain_tf import data
from cnn_explain_tf._version import __version__
from cnn_explain_tf.models.fill_blanks import ARCHS
from cnn_explain_tf.probes.fill_blanks import FILL_RULES, patch_grid
from cnn_explain_tf.validation import InputError, check_choice, check_config

__all__ = ["PRESETS", "STAGES", "StudyConfig"]

STAGES = ("classifiers", "table1", "figures", "report")
"""The study's steps; the first three are cached pipeline stages, the report is rebuilt."""
_POSITIVE = ("epochs", "train_examples", "count", "num_masks", "figure_masks", "shown",
             "patch_size", "bfgs_steps", "resamples", "batch_size")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """What `cnn-explain fill-in-the-blanks` trains, measures and draws.

    Attributes:
        datasets: dataset names (`data.list_datasets()`, "tfds:mnist", ...), one classifier per
            dataset and architecture.
        archs: `models.ARCHS` names: "cnn3" (the paper's three-layer CNN), "resnet5" (a
            five-conv ResNet, Table 1's "ResNet5").
        image_size: (H, W) the images are resized to; `patch_size` must divide both.
        epochs, train_examples, batch_size: classifier training (Adam with cosine decay, first
            `train_examples` of the train split; `training.train_classifier`).
        mask_augmentation: chance in [0, 1] that a training image is masked by a random mask
            of the probe's kind (`mask_ratio`, `patch_size`), so that masked inputs M(x) are
            inputs the classifier has seen (0: plain training, every preset; masked training
            makes ŷ the truth more often but its fills are no longer classified as ŷ: see the
            README's Table 1 notes).
        count: test images of Table 1 per classifier.
        num_masks: N*, kept masks per image for Table 1 (the paper: > 10,000).
        mask_ratio: eta, fraction of patches blanked per mask, in (0, 1) (paper: 0.25).
        patch_size: side of a square patch in pixels (paper: 2).
        threshold: Eq. 4's binarisation threshold on the normalised fill, in [0, 1].
        fill_rule: Eq. 4's normalisation before the threshold, one of
            `probes.fill_blanks.FILL_RULES` (see `threshold_fill`), or None for each mode's
            default (random: "minmax", progressive: "symmetric").
        ratios, patch_sizes: Fig. 4's grid.
        thresholds: Fig. 6's binarisation thresholds.
        shown: test images in Figs. 3, 5 and 6.
        figure_masks: N* of Figs. 4-6.
        bfgs_steps: BFGS iterations of Fig. 5's second-order update.
        resamples: bootstrap resamples of every 95 % interval.
        seed: seeds training, masks and bootstrap.
        preset: the preset's name (titles the report; not part of any stage's config).

    Raises:
        InputError: an unknown dataset or architecture, a ratio outside (0, 1), a patch size
            that does not divide the image size, a threshold outside [0, 1].
        TypeError: a count that is not an int.
    """

    datasets: tuple[str, ...] = ("digits", "symbols")
    archs: tuple[str, ...] = ("cnn3", "resnet5")
    image_size: tuple[int, int] = (28, 28)
    epochs: int = 12
    train_examples: int = 4000
    batch_size: int = 64
    mask_augmentation: float = 0.0
    count: int = 100
    num_masks: int = 1000
    mask_ratio: float = 0.25
    patch_size: int = 2
    threshold: float = 0.5
    fill_rule: str | None = None
    ratios: tuple[float, ...] = (0.1, 0.25, 0.5)
    patch_sizes: tuple[int, ...] = (1, 2, 4)
    thresholds: tuple[float, ...] = (0.25, 0.5, 0.75)
    shown: int = 4
    figure_masks: int = 500
    bfgs_steps: int = 3
    resamples: int = 1000
    seed: int = 0
    preset: str = "custom"

    def __post_init__(self):
        for name in ("datasets", "archs"):
            if not getattr(self, name):
                raise InputError(f"{name}: expected at least one name, got none")
        for name in self.datasets:
            if not name.startswith("tfds:"):  # tfds names are checked when they load
                data.info(name)  # raises naming the unknown dataset
        bad = [a for a in self.archs if a not in ARCHS]
        if bad:
            raise InputError(f"archs: expected names of {list(ARCHS)}, got {bad}")
        check_config(self, positive=_POSITIVE)
        for name, values in (("mask_ratio", (self.mask_ratio,)), ("ratios", self.ratios)):
            bad = [value for value in values if not 0 < value < 1]
            if bad:
                raise InputError(f"{name}: expected floats in (0, 1), got {bad}")
        if not 0 <= self.mask_augmentation <= 1:
            raise InputError(f"mask_augmentation: expected a float in [0, 1], got "
                             f"{self.mask_augmentation}")
        if not all(0 <= t <= 1 for t in (self.threshold, *self.thresholds)):
            raise InputError(f"threshold: expected floats in [0, 1], got {self.threshold} and "
                             f"thresholds {self.thresholds}")
        if self.fill_rule is not None:
            check_choice("fill_rule", self.fill_rule, list(FILL_RULES))
        for patch in (self.patch_size, *self.patch_sizes):
            patch_grid(self.image_size, patch)  # raises naming the divisors

    def stage_configs(self) -> dict[str, dict]:
        """Each cached stage's own config; every one names the library version."""
        as_dict = dataclasses.asdict(self)
        own = {
            "classifiers": {k: as_dict[k] for k in (
                "datasets", "archs", "image_size", "epochs", "train_examples", "batch_size",
                "mask_augmentation", "mask_ratio", "patch_size", "seed")},
            "table1": {k: as_dict[k] for k in (
                "count", "num_masks", "mask_ratio", "patch_size", "threshold", "fill_rule",
                "resamples")},
            "figures": {k: as_dict[k] for k in (
                "ratios", "patch_sizes", "thresholds", "shown", "figure_masks", "bfgs_steps",
                "fill_rule")},
        }
        return {stage: {**config, "version": __version__} for stage, config in own.items()}


PRESETS: dict[str, StudyConfig] = {
    "smoke": StudyConfig(datasets=("digits",), archs=("cnn3",), image_size=(16, 16), epochs=3,
                         train_examples=1024, count=6, num_masks=32, ratios=(0.25,),
                         patch_sizes=(2, 4), thresholds=(0.5,), shown=2, figure_masks=16,
                         bfgs_steps=1, resamples=200, preset="smoke"),
    "quick": StudyConfig(epochs=15, count=100, num_masks=500, figure_masks=200, preset="quick"),
    "paper": StudyConfig(datasets=("tfds:mnist", "tfds:fashion_mnist"), epochs=20,
                         train_examples=60_000, count=1000, num_masks=10_000,
                         figure_masks=10_000, shown=8, preset="paper"),
}
"""smoke: seconds, for the tests; quick: 2 CPU cores, minutes (embedded digits and symbols);
paper: MNIST and Fashion-MNIST through tfds (prepared on the machine), N* = 10,000."""
