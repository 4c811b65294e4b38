"""The Fill in the blanks probe: how a classifier fills masked patches, read from its gradients."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf.probes.base import Probe
from cnn_explain_tf.probes.fill_blanks.masks import FILL_RULES, patch_grid
from cnn_explain_tf.probes.fill_blanks.modes import MODES, NoMaskKeptError
from cnn_explain_tf.probes.fill_blanks.steps import DIRECTIONS, FillSteps
from cnn_explain_tf.validation import (
    InputError,
    check_choice,
    check_images,
    check_positive_int,
    check_targets,
    describe,
)

__all__ = ["DIRECTIONS", "SEED_MAX", "FillInTheBlanks", "FillResult", "NoMaskKeptError"]

SEED_MAX = 2**31 - 1
"""The largest probe seed: masks come from an int32 stateless seed (seed, image index)."""

@dataclasses.dataclass(frozen=True)
class FillResult:
    """What `FillInTheBlanks` returns for a batch of B images (arrays are float32 unless noted).

    Attributes:
        prototypes: (B, H, W, C) random mode: T(E[dx]), the model's fill of every pixel (T
            normalised over the whole image); progressive mode: the image after the k fills of
            the sequence, every pixel a fill.
        directions: (B, H, W, C) before T: E[dx] over the kept masks, per pixel over the masks
            that blank it (random); each pixel's dx at the step that blanked it (progressive).
        masks: (B, H, W) the example mask M, 1 kept and 0 blank: the first drawn mask whose M(x)
            is classified as the target (random); the sequence's first mask M_1 (progressive).
        filled: (B, H, W, C) M(x) + T(dx) for that mask (Eq. 3): x where M is 1, the fill where
            M is 0; random: T(E[dx]) normalised over M's blanks (Eqs. 4-5); progressive: step 1.
        steps: progressive mode: (B, k, H, W, C) the image after each of the k fills (Fig. 3);
            None in random mode.
        step_predictions: progressive mode: (B, k) int, the class predicted on each step's
            masked input (step 1: M_1(x)); None in random mode.
        kept: (B,) int, masks kept per image (random; progressive: 1, its one sequence).
        drawn: (B,) int, masks drawn per image (random; progressive: 1).
        targets: (B,) int, the classes the blanks were filled for.
    """

    prototypes: np.ndarray
    directions: np.ndarray
    masks: np.ndarray
    filled: np.ndarray
    steps: np.ndarray | None
    step_predictions: np.ndarray | None
    kept: np.ndarray
    drawn: np.ndarray
    targets: np.ndarray


class FillInTheBlanks(Probe):
    """Fill in the blanks: asks the classifier how it would fill masked patches of an image.

    Random mode: draw masks M blanking a ratio `mask_ratio` of the `patch_size` x `patch_size`
    patches; predict on M(x) (blanks set to 0, Eq. 1) and keep the masks still classified as the
    target y; dx = -grad_x L(f(M(x)), y) (cross-entropy on the logits, Eq. 2), kept only on the
    blanks; E[dx] over the kept masks (Eq. 5), per pixel over the masks that blank it; the
    prototype is T(E[dx]) with T = binarise(normalise(.)) (Eq. 4) and `filled` is M(x) + T(E[dx])
    for one kept mask (Eq. 3). Progressive mode: one sequence of k = round(1 / mask_ratio)
    disjoint masks that together cover the image; step i blanks M_i of the image filled so far
    and fills it with T(dx) for y (Fig. 3); the prototype is the image after the k-th fill. With
    direction="bfgs", dx is the displacement after `bfgs_steps` BFGS steps on the blanks (second
    order, Fig. 5) instead of the negative gradient.

    Masks are drawn, predicted and differentiated `batch_size` at a time in one compiled step
    (never one by one), until `num_masks` are kept (N*; the paper asks for more than 10,000) or
    `max_draws` were drawn. The image size must be a multiple of `patch_size` (refused otherwise,
    since padding would add blanks that are never filled).

    Args:
        model: the classifier (a softmax/sigmoid head is linearised to its logits).
        mask_ratio: fraction of patches blanked per mask, in (0, 1); round(ratio * patches) (at
            least 1) patches are blanked exactly.
        patch_size: side of the square patches, a divisor of the image height and width.
        num_masks: masks to keep per image, N* (random mode; the progressive mode draws one
            sequence).
        mode: "random" or "progressive" (see `modes.MODES`).
        direction: "gradient" (first order) or "bfgs" (a few BFGS steps); see `DIRECTIONS`.
        binarize: T thresholds the normalised fill into {0, 1}.
        fill_rule: the normalisation of Eq. 4 before the threshold, one of `FILL_RULES`
            ("minmax", "positive", "symmetric"; see `threshold_fill`), or None for the mode's
            default (`RandomMode.fill_rule` "minmax", `ProgressiveMode.fill_rule` "symmetric").
        threshold: the binarisation threshold on the normalised fill: a value >= threshold
            becomes 1 (0 turns every blank pixel on, 1 only the pixels of the largest dx).
        bfgs_steps: BFGS iterations for direction="bfgs".
        max_draws: give up after this many masks per image (default 10 * num_masks).
        batch_size: masks per compiled step.
        seed: seeds the masks, an int in [0, 2**31 - 1] (an int32 of the stateless seed);
            same seed, same result on the CPU.
        verbose: 0 silences the progress bar.
        output: output index for multi-output models.

    Raises:
        InputError: a bad option (named, with the valid values), a patch size that does not divide
            the image, or (at call) `NoMaskKeptError` when no mask is classified as the target.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Eqs. 1-5,
        Sections 4.1, 4.2 and 4.5.
    """

    def __init__(self, model: keras.Model, mask_ratio: float = 0.25, patch_size: int = 2,
                 num_masks: int = 10_000, mode: str = "random", direction: str = "gradient",
                 binarize: bool = True, *, threshold: float = 0.5, fill_rule: str | None = None,
                 bfgs_steps: int = 3,
                 max_draws: int | None = None, batch_size: int = 256, seed: int = 0,
                 verbose: int = 1, output: int | None = None):
        super().__init__(model, output=output, batch_size=batch_size)
        self.mask_ratio = _check_fraction("mask_ratio", mask_ratio, open_interval=True)
        self.threshold = _check_fraction("threshold", threshold, open_interval=False)
        self.mode = check_choice("mode", mode, list(MODES))
        self.direction = check_choice("direction", direction, list(DIRECTIONS))
        self.num_masks = check_positive_int("num_masks", num_masks)
        self.max_draws = check_positive_int("max_draws", max_draws or 10 * self.num_masks)
        self.bfgs_steps = check_positive_int("bfgs_steps", bfgs_steps)
        self.patch_size = check_positive_int("patch_size", patch_size)
        self.seed = check_positive_int("seed", seed, minimum=0, maximum=SEED_MAX)
        self.binarize, self.verbose = bool(binarize), verbose
        self._mode = MODES[mode]
        self.fill_rule = check_choice("fill_rule", fill_rule or self._mode.fill_rule,
                                      list(FILL_RULES))
        self.num_steps = self._mode.steps(self.mask_ratio)
        self.steps = FillSteps.shared(
            model, direction=self.direction, bfgs_steps=self.bfgs_steps,
            mask_ratio=self.mask_ratio, patch_size=self.patch_size, binarize=self.binarize,
            threshold=self.threshold, fill_rule=self.fill_rule, batch_size=self.batch_size,
            output=output)
        """The graph steps, shared by the probes of the model with the same settings."""

    def __call__(self, images, targets=None) -> FillResult:
        """Fills the blanks of each image for its target class.

        Args:
            images: (B, H, W, C) floats in [0, 1].
            targets: None (the class predicted on the whole image), an int, or B ints; the
                paper's label, the class predicted on the masked input, is `masked_labels`.

        Returns:
            A `FillResult`.

        Raises:
            NoMaskKeptError: random mode: no masked version of an image was classified as its
                target; the message gives the observed predictions.
        """
        images = check_images(images, self.input_shape)
        targets = check_targets(targets, len(images), self.num_classes)
        targets = np.where(targets < 0, self.steps.predict(images), targets).astype(np.int32)
        grid = patch_grid(images.shape[1:3], self.patch_size)
        fills = self._mode.fill(self, images, targets, grid)
        return FillResult(*(_float32(value) for value in fills[:4]), fills.steps,
                          fills.step_predictions, fills.kept, fills.drawn, targets)

    def masked_labels(self, images) -> np.ndarray:
        """(B,) int32 the class the model predicts for each image's masked input, ŷ = f(M(x)).

        Random mode: the most frequent class over the first `batch_size` masks drawn for the
        image (ties: the lowest class); progressive mode: the class of M_1(x), the first masked
        input of the image's sequence. These are the labels of Table 1 (Section 4.3).
        """
        images = check_images(images, self.input_shape)
        grid = patch_grid(images.shape[1:3], self.patch_size)
        return np.array([self._mode.masked_label(self, image, index, grid)
                         for index, image in enumerate(images)], np.int32)

    def mask_seed(self, index: int) -> tf.Tensor:
        """The stateless seed of the first batch of masks drawn for image `index`."""
        return tf.random.experimental.stateless_fold_in([self.seed, index], 0)

    def directions(self, images, targets=None) -> np.ndarray:
        """dx for whole images (every pixel free): -grad L, or the BFGS displacement.

        Returns:
            float32 (B, H, W, C).
        """
        return self.steps.run(self.steps.whole_image_directions, images, targets)

    def predict(self, images) -> np.ndarray:
        """(B,) int32 classes predicted by the model (the shared steps' `Probe.predict`)."""
        return self.steps.predict(images)


def _float32(array) -> np.ndarray:
    return np.asarray(array, np.float32)


def _check_fraction(name: str, value, open_interval: bool) -> float:
    """`value` as a float in (0, 1) (`open_interval`) or [0, 1]; raises naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name}: expected a float, got {describe(value)}")
    inside = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not inside:
        interval = "(0, 1)" if open_interval else "[0, 1]"
        raise InputError(f"{name}: expected a float in {interval}, got {value}")
    return float(value)
