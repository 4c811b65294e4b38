"""Fill in the blanks: how a classifier would fill masked patches, probed with input gradients."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from cnn_explain_tf.explain.base import Explainer, batched, resolve_targets
from cnn_explain_tf.validation import (
    InputError,
    check_images,
    check_positive_int,
    check_targets,
    describe,
)

MODES = ("random", "progressive")
DIRECTIONS = ("gradient", "bfgs")
LINE_SEARCH_STEPS = (1.0, 0.5, 0.25, 0.125)
"""Step lengths tried at once (one batched forward pass) by each BFGS line search."""


class NoMaskKeptError(InputError):
    """No masked image was classified as the target class, so there is nothing to average."""


@dataclasses.dataclass(frozen=True)
class FillResult:
    """What `FillInTheBlanks` returns for a batch of B images (arrays are float32 unless noted).

    Attributes:
        prototypes: (B, H, W, C) T(E[dx]): the model's fill of every pixel (random mode), or T of
            the mean progressive fill over the kept partitions (progressive mode).
        directions: (B, H, W, C) the expectation before T (E[dx] over the kept masks, per pixel
            over the masks that blank it; progressive: the mean fill).
        masks: (B, H, W) one example mask M, 1 kept and 0 blank (progressive: the first step's).
        filled: (B, H, W, C) M(x) + T(dx) for that mask: x where M is 1, the fill where M is 0.
        steps: progressive mode: (B, k, H, W, C) the image after each of the k fills of the example
            partition (Fig. 3); None in random mode.
        kept: (B,) int, masks (random) or partitions (progressive) kept per image.
        drawn: (B,) int, masks or partitions drawn per image.
        targets: (B,) int, the classes the blanks were filled for.
    """

    prototypes: np.ndarray
    directions: np.ndarray
    masks: np.ndarray
    filled: np.ndarray
    steps: np.ndarray | None
    kept: np.ndarray
    drawn: np.ndarray
    targets: np.ndarray


def random_masks(seed: tf.Tensor, count: int, grid: Sequence[int], patch_size: int,
                 blanks: int) -> tf.Tensor:
    """(count, H, W) masks, 1 kept and 0 blank, each blanking exactly `blanks` random patches.

    Args:
        seed: stateless seed, shape (2,).
        count: number of masks.
        grid: (rows, columns) of patches; H = rows * patch_size.
        patch_size: side of a square patch in pixels.
        blanks: patches blanked per mask.
    """
    ranks = _random_ranks(seed, count, grid)
    return _patches_to_pixels(tf.cast(ranks >= blanks, tf.float32), grid, patch_size)


def progressive_masks(seed: tf.Tensor, count: int, grid: Sequence[int], patch_size: int,
                      steps: int) -> tf.Tensor:
    """(count, steps, H, W) masks, 1 kept and 0 blank: per partition, `steps` disjoint masks whose
    blanks cover the image, each blanking a random 1/steps of the patches (sizes differ by <= 1).
    """
    ranks = _random_ranks(seed, count, grid)
    groups = ranks * steps // (grid[0] * grid[1])
    masks = tf.cast(groups[:, None, :] != tf.range(steps)[None, :, None], tf.float32)
    return _patches_to_pixels(masks, grid, patch_size)


def _random_ranks(seed, count: int, grid: Sequence[int]) -> tf.Tensor:
    """(count, patches) int32: a uniformly random permutation of the patch indices per row."""
    noise = tf.random.stateless_uniform((count, grid[0] * grid[1]), seed)
    return tf.argsort(tf.argsort(noise, axis=-1), axis=-1)


def _patches_to_pixels(masks: tf.Tensor, grid: Sequence[int], patch_size: int) -> tf.Tensor:
    """(..., patches) -> (..., rows * patch_size, columns * patch_size), nearest upsampling."""
    masks = tf.reshape(masks, (*masks.shape[:-1], *grid))
    return tf.repeat(tf.repeat(masks, patch_size, axis=-2), patch_size, axis=-1)


def threshold_fill(directions: tf.Tensor, regions: tf.Tensor, binarize: bool = True,
                   threshold: float = 0.5) -> tf.Tensor:
    """T(dx): min-max normalise each sample's direction over its region, then binarise it.

    Args:
        directions: (n, H, W, C) dx.
        regions: (n, H, W, 1) 1 where the fill applies (the blanks), 0 elsewhere.
        binarize: threshold the normalised values into {0, 1}.
        threshold: values >= threshold become 1.

    Returns:
        (n, H, W, C) fills in [0, 1] ({0, 1} with `binarize`), 0 outside the regions.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision" (arXiv 2411.10273),
        the binarised threshold T.
    """
    inside = tf.broadcast_to(regions > 0, tf.shape(directions))
    axes = [1, 2, 3]
    low = tf.reduce_min(tf.where(inside, directions, np.inf), axis=axes, keepdims=True)
    high = tf.reduce_max(tf.where(inside, directions, -np.inf), axis=axes, keepdims=True)
    span = high - low
    scaled = tf.math.divide_no_nan(directions - low, tf.where(span > 1e-12, span, 0.0))
    if binarize:
        scaled = tf.cast(scaled >= threshold, tf.float32)
    return tf.where(inside, scaled, 0.0)


def quasi_newton_direction(gradients: tf.Tensor, pairs: Sequence[tuple[tf.Tensor, tf.Tensor]],
                           scale: tf.Tensor) -> tf.Tensor:
    """H g for the BFGS inverse-Hessian estimate H built from (s, y) pairs, batched per sample.

    The two-loop recursion with the whole history equals the dense BFGS update
    H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T applied to H0 = scale * I in order; a pair
    without positive curvature (s^T y <= 0) is skipped.

    Args:
        gradients: (n, ...) g.
        pairs: (s, y) steps and gradient changes, oldest first, each (n, ...).
        scale: (n, 1, ..., 1) initial inverse-Hessian scale per sample.

    References: Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4 and Eq. 6.17.
    """
    def dot(a, b):
        return tf.reduce_sum(a * b, axis=list(range(1, len(a.shape))), keepdims=True)

    rhos = [tf.math.divide_no_nan(1.0, tf.where(dot(y, s) > 1e-12, dot(y, s), 0.0))
            for s, y in pairs]
    q, alphas = gradients, []
    for (s, y), rho in zip(reversed(pairs), reversed(rhos)):
        alphas.append(rho * dot(s, q))
        q = q - alphas[-1] * y
    r = scale * q
    for (s, y), rho, alpha in zip(pairs, rhos, reversed(alphas)):
        r = r + s * (alpha - rho * dot(y, r))
    return r


class FillInTheBlanks(Explainer):
    """Fill in the blanks: asks the classifier how it would fill masked patches of an image.

    Random mode: draw masks M blanking a ratio `mask_ratio` of the `patch_size` x `patch_size`
    patches; predict on M(x) (blanks set to 0) and keep the masks still classified as the target y;
    dx = -grad_x L(f(M(x)), y) (cross-entropy on the logits), kept only on the blanks; E[dx] over
    the kept masks, per pixel over the masks that blank it; the prototype is T(E[dx]) with
    T = binarise(normalise(.)). Progressive mode: k = round(1 / mask_ratio) disjoint masks that
    together cover the image; step i blanks M_i of the image filled so far and fills it with T(dx)
    (Fig. 3); a partition is kept when every step is still classified as y, and the prototype is T
    of the mean fill. With direction="bfgs", dx is the displacement after `bfgs_steps` BFGS steps
    on the blanks (second order, Fig. 5) instead of the negative gradient.

    Masks are drawn, predicted and differentiated `batch_size` at a time in one compiled step
    (never one by one), until `num_masks` are kept (N*; the paper asks for more than 10,000) or
    `max_draws` were drawn. The image size must be a multiple of `patch_size` (refused otherwise,
    since padding would add blanks that are never filled).

    Args:
        model: the classifier (a softmax/sigmoid head is linearised to its logits).
        mask_ratio: fraction of patches blanked per mask, in (0, 1); round(ratio * patches) (at
            least 1) patches are blanked exactly.
        patch_size: side of the square patches, a divisor of the image height and width.
        num_masks: masks (partitions) to keep per image, N*.
        mode: "random" or "progressive".
        direction: "gradient" (first order) or "bfgs" (a few BFGS steps).
        binarize: T thresholds the normalised fill into {0, 1}.
        threshold: the binarisation threshold on the normalised fill.
        bfgs_steps: BFGS iterations for direction="bfgs".
        max_draws: give up after this many masks per image (default 10 * num_masks).
        batch_size: masks per compiled step.
        seed: seeds the masks; same seed, same result on the CPU.
        verbose: 0 silences the progress bar.
        output: output index for multi-output models.

    Raises:
        InputError: a bad option (named, with the valid values), a patch size that does not divide
            the image, or (at call) `NoMaskKeptError` when no mask is classified as the target.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision" (arXiv 2411.10273).
    """

    def __init__(self, model: keras.Model, mask_ratio: float = 0.25, patch_size: int = 2,
                 num_masks: int = 10_000, mode: str = "random", direction: str = "gradient",
                 binarize: bool = True, *, threshold: float = 0.5, bfgs_steps: int = 3,
                 max_draws: int | None = None, batch_size: int = 256, seed: int = 0,
                 verbose: int = 1, output: int | None = None):
        super().__init__(model, output=output, batch_size=batch_size)
        self.mask_ratio = _check_fraction("mask_ratio", mask_ratio, open_interval=True)
        self.threshold = _check_fraction("threshold", threshold, open_interval=False)
        self.mode = _check_choice("mode", mode, MODES)
        self.direction = _check_choice("direction", direction, DIRECTIONS)
        self.num_masks = check_positive_int("num_masks", num_masks)
        self.max_draws = check_positive_int("max_draws", max_draws or 10 * self.num_masks)
        self.bfgs_steps = check_positive_int("bfgs_steps", bfgs_steps)
        self.patch_size = check_positive_int("patch_size", patch_size)
        self.seed = int(check_positive_int("seed", seed, minimum=0))
        self.binarize, self.verbose = bool(binarize), verbose
        self.num_steps = max(1, round(1 / self.mask_ratio)) if mode == "progressive" else 1
        self._predict = tf.function(self._predicted_classes, input_signature=[
            tf.TensorSpec((None, *self.input_shape), tf.float32)])
        self._batch_step = None

    def __call__(self, images, targets=None) -> FillResult:
        """Fills the blanks of each image for its target class.

        Args:
            images: (B, H, W, C) floats in [0, 1].
            targets: None (the predicted class), an int, or B ints.

        Returns:
            A `FillResult`.

        Raises:
            NoMaskKeptError: no masked version of an image was classified as its target; the
                message gives the observed predictions.
        """
        images = check_images(images, self.input_shape)
        targets = check_targets(targets, len(images), self.num_classes)
        targets = np.where(targets < 0, self.predict(images), targets).astype(np.int32)
        grid = self._grid(images.shape[1:3])
        step = self._compiled_batch_step(images.shape[1:], grid)
        with tqdm(total=len(images) * self.num_masks, unit="mask", disable=not self.verbose,
                  desc=f"fill in the blanks ({self.mode})") as bar:
            sums = [self._expectation(step, index, image, target, bar)
                    for index, (image, target) in enumerate(zip(images, targets))]
        directions = np.stack([total / np.maximum(count, 1.0) for total, count, _, _ in sums])
        return self._result(images, targets, grid, directions,
                            np.array([s[2] for s in sums]), np.array([s[3] for s in sums]))

    def predict(self, images) -> np.ndarray:
        """(B,) int32 classes predicted by the model for float32 (B, H, W, C) images."""
        return batched(self._predict, (np.asarray(images, np.float32),),
                       self.batch_size).astype(np.int32)

    def directions(self, images, targets=None) -> np.ndarray:
        """dx for whole images (every pixel free): -grad L, or the BFGS displacement.

        Returns:
            float32 (B, H, W, C).
        """
        return self.run_batched(self._step, images, targets)

    def explain_batch(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        _, logits = self.forward(images)
        targets = resolve_targets(logits, targets)
        return self._direction(images, targets, tf.ones_like(images[..., :1]))[0]

    def _predicted_classes(self, images):
        return tf.argmax(self.forward(images)[1], axis=-1, output_type=tf.int32)

    def _grid(self, size: Sequence[int]) -> tuple[int, int]:
        height, width = (int(v) for v in size)
        if height % self.patch_size or width % self.patch_size:
            divisors = [d for d in range(1, min(height, width) + 1)
                        if height % d == 0 and width % d == 0]
            raise InputError(f"patch_size: expected a divisor of the image size {height}x{width} "
                             f"(one of {divisors}), got {self.patch_size}; resize the images or "
                             "pick another patch size (padding would add blanks never filled)")
        return height // self.patch_size, width // self.patch_size

    def _blanks(self, grid: Sequence[int]) -> int:
        patches = grid[0] * grid[1]
        return int(min(patches, max(1, round(self.mask_ratio * patches))))

    def _compiled_batch_step(self, image_shape, grid):
        """One compiled step: draw `batch_size` masks, probe them, sum the kept directions."""
        if self._batch_step is None or self._batch_step[0] != (tuple(image_shape), grid):
            spec = [tf.TensorSpec(image_shape, tf.float32), tf.TensorSpec((), tf.int32),
                    tf.TensorSpec((2,), tf.int32), tf.TensorSpec((), tf.int32),
                    tf.TensorSpec((), tf.int32)]

            def batch(image, target, seed, batch_number, remaining):
                return self._batch(grid, image, target, seed, batch_number, remaining)

            self._batch_step = ((tuple(image_shape), grid), tf.function(batch, spec))
        return self._batch_step[1]

    def _batch(self, grid, image, target, seed, batch_number, remaining):
        seed = tf.random.experimental.stateless_fold_in(seed, batch_number)
        probe = self._probe_random if self.mode == "random" else self._probe_progressive
        fields, regions, consistent, predictions = probe(grid, image, target, seed)
        keep = consistent & (tf.cumsum(tf.cast(consistent, tf.int32)) <= remaining)
        weights = tf.cast(keep, tf.float32)[:, None, None, None] * regions
        histogram = tf.math.bincount(tf.reshape(predictions, [-1]), minlength=self.num_classes,
                                     maxlength=self.num_classes)
        return (tf.reduce_sum(weights * fields, 0), tf.reduce_sum(weights, 0),
                tf.reduce_sum(tf.cast(keep, tf.int32)), histogram)

    def _probe_random(self, grid, image, target, seed):
        masks = random_masks(seed, self.batch_size, grid, self.patch_size, self._blanks(grid))
        masks = masks[..., None]
        targets = tf.fill([self.batch_size], target)
        directions, predictions = self._direction(image[None] * masks, targets, 1.0 - masks)
        return directions, 1.0 - masks, tf.equal(predictions, target), predictions

    def _probe_progressive(self, grid, image, target, seed):
        masks = progressive_masks(seed, self.batch_size, grid, self.patch_size,
                                  self.num_steps)
        images = tf.tile(image[None], [self.batch_size, 1, 1, 1])
        steps, predictions = self.fill_progressively(images, tf.fill([self.batch_size], target),
                                                     masks[..., None])
        consistent = tf.reduce_all(tf.equal(predictions, target), axis=1)
        return steps[:, -1], tf.ones_like(masks[:, 0, ..., None]), consistent, predictions

    def fill_progressively(self, images: tf.Tensor, targets: tf.Tensor, masks: tf.Tensor):
        """Fills k disjoint masks in turn, each conditioned on the previous fills (Fig. 3).

        Args:
            images: (n, H, W, C) float32.
            targets: (n,) int32 classes to fill for.
            masks: (n, k, H, W, 1) masks, 1 kept and 0 blank, disjoint blanks covering the image.

        Returns:
            (steps (n, k, H, W, C) the image after each fill, predictions (n, k) int32 on each
            masked image).
        """
        current, steps, predictions = images, [], []
        for index in range(masks.shape[1]):
            mask = masks[:, index]
            direction, predicted = self._direction(current * mask, targets, 1.0 - mask)
            fill = threshold_fill(direction, 1.0 - mask, self.binarize, self.threshold)
            current = current * mask + fill
            steps.append(current)
            predictions.append(predicted)
        return tf.stack(steps, 1), tf.stack(predictions, 1)

    def _direction(self, images, targets, regions):
        """(dx, predictions on `images`): -grad L, or the displacement of a few BFGS steps on the
        `regions` (1 free, 0 fixed)."""
        loss, gradients, logits = self._loss_and_gradients(images, targets)
        predictions = tf.argmax(logits, axis=-1, output_type=tf.int32)
        if self.direction == "gradient":
            return -gradients, predictions
        return self._bfgs(images, targets, regions, loss, gradients * regions), predictions

    def _loss_and_gradients(self, images, targets):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            _, logits = self.forward(images)
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
                targets, tf.cast(logits, tf.float32))
        return loss, tape.gradient(loss, images), logits

    def _bfgs(self, images, targets, regions, loss, gradients):
        """Displacement after `bfgs_steps` BFGS steps (grid line search) from `images`."""
        largest = tf.reduce_max(tf.abs(gradients), axis=[1, 2, 3], keepdims=True)
        scale = tf.math.divide_no_nan(1.0, largest)  # first step moves a pixel by at most 1
        position, pairs = images, []
        for _ in range(self.bfgs_steps):
            step = -quasi_newton_direction(gradients, pairs, scale)
            moved, loss = self._line_search(position, step, loss, targets)
            _, new_gradients, _ = self._loss_and_gradients(moved, targets)
            new_gradients = new_gradients * regions
            pairs.append((moved - position, new_gradients - gradients))
            curvature = tf.reduce_sum(pairs[-1][0] * pairs[-1][1], [1, 2, 3], keepdims=True)
            norm = tf.reduce_sum(tf.square(pairs[-1][1]), [1, 2, 3], keepdims=True)
            scale = tf.where(curvature > 1e-12, tf.math.divide_no_nan(curvature, norm), scale)
            position, gradients = moved, new_gradients
        return position - images

    def _line_search(self, position, step, loss, targets):
        """Tries every `LINE_SEARCH_STEPS` length in one forward pass; keeps the lowest loss,
        or stays put when none lowers it."""
        lengths = tf.constant(LINE_SEARCH_STEPS)[:, None, None, None, None]
        trials = position[None] + lengths * step[None]
        count = len(LINE_SEARCH_STEPS)
        _, logits = self.forward(tf.reshape(trials, (-1, *position.shape[1:])))
        losses = tf.reshape(tf.nn.sparse_softmax_cross_entropy_with_logits(
            tf.tile(targets, [count]), tf.cast(logits, tf.float32)), (count, -1))
        best = tf.argmin(losses, axis=0)
        better = tf.reduce_min(losses, axis=0) < loss
        length = tf.where(better, tf.gather(tf.constant(LINE_SEARCH_STEPS), best), 0.0)
        return position + length[:, None, None, None] * step, tf.minimum(loss, tf.reduce_min(
            losses, axis=0))

    def _expectation(self, step, index: int, image, target: int, bar):
        """Sums of kept directions and their per-pixel counts for one image, batch by batch."""
        total = count = 0.0
        kept = drawn = 0
        histogram = np.zeros(self.num_classes, np.int64)
        while kept < self.num_masks and drawn < self.max_draws:
            sums, counts, batch_kept, batch_histogram = step(
                image, np.int32(target), np.array([self.seed, index], np.int32),
                np.int32(drawn // self.batch_size), np.int32(self.num_masks - kept))
            total, count = total + sums.numpy(), count + counts.numpy()
            kept, drawn = kept + int(batch_kept), drawn + self.batch_size
            histogram += batch_histogram.numpy()
            bar.update(int(batch_kept))
        self._check_kept(index, target, kept, drawn, histogram)
        return total, count, kept, drawn

    def _check_kept(self, index: int, target: int, kept: int, drawn: int, histogram) -> None:
        if kept == 0:
            seen = ", ".join(f"class {c}: {n}" for c, n in enumerate(histogram) if n)
            raise NoMaskKeptError(
                f"targets: expected masked images classified as the target, but none of the "
                f"{drawn} masked versions of image {index} (mask_ratio {self.mask_ratio}, "
                f"patch_size {self.patch_size}, mode {self.mode!r}) was classified as class "
                f"{target}; the predictions were {seen}. Lower mask_ratio, check the target, "
                "or explain the predicted class (targets=None)")
        if kept < self.num_masks:
            warnings.warn(f"image {index}: only {kept} of {self.num_masks} masks were kept after "
                          f"{drawn} draws (max_draws); the expectation uses those", stacklevel=4)

    def _result(self, images, targets, grid, directions, kept, drawn) -> FillResult:
        """T of the expectations, and one example mask (or partition) per image."""
        everywhere = tf.ones_like(directions[..., :1])
        prototypes = threshold_fill(tf.constant(directions, tf.float32), everywhere,
                                    self.binarize, self.threshold).numpy()
        seeds = [tf.random.experimental.stateless_fold_in([self.seed, i], 0)
                 for i in range(len(images))]
        if self.mode == "random":
            masks = tf.concat([random_masks(s, self.batch_size, grid, self.patch_size,
                                            self._blanks(grid))[:1] for s in seeds], 0).numpy()
            filled = images * masks[..., None] + (1 - masks[..., None]) * prototypes
            steps = None
        else:
            partitions = tf.concat([progressive_masks(s, self.batch_size, grid, self.patch_size,
                                                      self.num_steps)[:1] for s in seeds], 0)
            steps = self.fill_progressively(tf.constant(images), tf.constant(targets),
                                            partitions[..., None])[0].numpy()
            masks, filled = partitions[:, 0].numpy(), steps[:, 0]
        return FillResult(prototypes, directions.astype(np.float32), masks.astype(np.float32),
                          filled.astype(np.float32), steps, kept, drawn, targets)


def _check_fraction(name: str, value, open_interval: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name}: expected a float, got {describe(value)}")
    inside = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not inside:
        interval = "(0, 1)" if open_interval else "[0, 1]"
        raise InputError(f"{name}: expected a float in {interval}, got {value}")
    return float(value)


def _check_choice(name: str, value, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InputError(f"{name}: expected one of {list(choices)}, got {describe(value)}")
    return value


def consistency(model: keras.Model, images, labels, modes: Sequence[str] = MODES,
                verbose: int = 1, **options) -> dict[str, dict[str, float]]:
    """The prototype consistency test: build each test image's prototype for its label, classify
    the prototypes with the same model, and score them against the labels.

    An image with no kept mask has no prototype and counts as misclassified.

    Args:
        model: the classifier.
        images: (N, H, W, C) test images in [0, 1].
        labels: (N,) int labels; the prototypes are filled for these classes.
        modes: the `FillInTheBlanks` modes to evaluate.
        verbose: 0 silences the progress bar.
        **options: other `FillInTheBlanks` arguments (mask_ratio, patch_size, num_masks, ...).

    Returns:
        {mode: {"accuracy", "macro_f1", "weighted_f1", "without_prototype"}}.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision" (arXiv 2411.10273),
        Table 1.
    """
    from sklearn.metrics import accuracy_score, f1_score

    labels = np.asarray(labels).astype(np.int32)
    report = {}
    for mode in modes:
        explainer = FillInTheBlanks(model, mode=mode, verbose=0, **options)
        predicted = [_prototype_class(explainer, image, label)
                     for image, label in zip(tqdm(images, desc=f"consistency ({mode})",
                                                  disable=not verbose), labels)]
        report[mode] = {
            "accuracy": float(accuracy_score(labels, predicted)),
            "macro_f1": float(f1_score(labels, predicted, average="macro", zero_division=0)),
            "weighted_f1": float(f1_score(labels, predicted, average="weighted", zero_division=0)),
            "without_prototype": int(sum(p < 0 for p in predicted))}
    return report


def _prototype_class(explainer: FillInTheBlanks, image, label) -> int:
    """The model's class for the image's prototype; -1 when no mask was kept."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prototype = explainer(image[None], int(label)).prototypes
    except NoMaskKeptError:
        return -1
    return int(explainer.predict(prototype)[0])


def mask_ablation(model: keras.Model, images, targets=None,
                  ratios: Sequence[float] = (0.1, 0.25, 0.5),
                  patch_sizes: Sequence[int] = (1, 2, 4), verbose: int = 1,
                  **options) -> Mapping[tuple[float, int], np.ndarray]:
    """Prototypes for every mask ratio x patch size pair (Fig. 4).

    Args:
        model: the classifier.
        images: (B, H, W, C) images in [0, 1]; every patch size must divide H and W.
        targets: None (the predicted class), an int, or B ints.
        ratios: mask ratios to try.
        patch_sizes: patch sizes to try.
        verbose: 0 silences the progress bars.
        **options: other `FillInTheBlanks` arguments.

    Returns:
        {(ratio, patch_size): (B, H, W, C) prototypes}; a pair where some image kept no mask maps
        to NaN images.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision" (arXiv 2411.10273),
        Fig. 4.
    """
    results = {}
    for ratio in ratios:
        for patch_size in patch_sizes:
            explainer = FillInTheBlanks(model, mask_ratio=ratio, patch_size=patch_size,
                                        verbose=verbose, **options)
            try:
                results[(ratio, patch_size)] = explainer(images, targets).prototypes
            except NoMaskKeptError:
                results[(ratio, patch_size)] = np.full(np.shape(images), np.nan, np.float32)
    return results
