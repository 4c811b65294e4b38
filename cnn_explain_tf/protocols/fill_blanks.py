"""The Fill in the blanks paper's protocols: Table 1 consistency, Fig. 4 ablation, Figs. 3 and 5.

Deelaka et al., "Fill in the Blanks: Rethinking Interpretability in Vision" (arXiv 2411.10273).
Where each equation, table and figure of the paper lives in this library:

| paper                                           | function                                      |
| ----------------------------------------------- | --------------------------------------------- |
| Eq. 1: prediction on the masked image M(x)      | `probes.FillInTheBlanks`                      |
| Eq. 2: update dx = -grad_x L(M(x), y)           | `fill_blanks.gradient_direction`              |
| Eq. 3: the filled image M(x) + T(dx)            | `FillResult.filled`                           |
| Eq. 4: T = Binarize(normalize(M~(dx)))          | `fill_blanks.threshold_fill`                  |
| Eq. 5: E[dx] over the N* kept masks             | `FillResult.directions` (T of it: prototypes) |
| Section 4.1, Fig. 2: M uniformly random         | `fill_blanks.random_masks`,                   |
|                                                 | `FillInTheBlanks(mode="random")`              |
| Section 4.2, Fig. 3: progressive disjoint masks | `fill_blanks.progressive_masks`,              |
|                                                 | `progressive_figure`                          |
| Section 4.3, Table 1: prototype consistency     | `consistency`                                 |
| Section 4.4, Fig. 4: mask ratio x patch size    | `mask_ablation`, `ablation_figure`            |
| Section 4.5, Fig. 5: second-order (BFGS) update | `fill_blanks.bfgs_direction`,                 |
|                                                 | `direction_figure`                            |
| Section 4.6, Fig. 6: binarised or not           | `FillInTheBlanks(binarize=...)`               |

`fill_blanks` is `cnn_explain_tf.probes.fill_blanks`; `evaluate` runs Table 1 and Figs. 3-5.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
from tqdm.auto import tqdm

from cnn_explain_tf import artifacts, viz
from cnn_explain_tf.probes.fill_blanks import (
    DIRECTIONS,
    MODES,
    FillInTheBlanks,
    FillResult,
    NoMaskKeptError,
)

__all__ = ["ablation_figure", "consistency", "direction_figure", "evaluate", "mask_ablation",
           "progressive_figure"]


def consistency(model: keras.Model, images, labels, modes: Sequence[str] = tuple(MODES),
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
        {mode: {"accuracy", "macro_f1", "weighted_f1", "without_prototype"}}: one row of Table 1
        per mode.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.3 and
        Table 1.
    """
    from sklearn.metrics import accuracy_score, f1_score

    labels = np.asarray(labels).astype(np.int32)
    report = {}
    for mode in modes:
        probe = FillInTheBlanks(model, mode=mode, verbose=0, **options)
        predicted = [_prototype_class(probe, image, label)
                     for image, label in zip(tqdm(images, desc=f"consistency ({mode})",
                                                  disable=not verbose), labels)]
        report[mode] = {
            "accuracy": float(accuracy_score(labels, predicted)),
            "macro_f1": float(f1_score(labels, predicted, average="macro", zero_division=0)),
            "weighted_f1": float(f1_score(labels, predicted, average="weighted", zero_division=0)),
            "without_prototype": int(sum(p < 0 for p in predicted))}
    return report


def _prototype_class(probe: FillInTheBlanks, image, label) -> int:
    """The model's class for the image's prototype; -1 when no mask was kept."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prototype = probe(image[None], int(label)).prototypes
    except NoMaskKeptError:
        return -1
    return int(probe.predict(prototype)[0])


def mask_ablation(model: keras.Model, images, targets=None,
                  ratios: Sequence[float] = (0.1, 0.25, 0.5),
                  patch_sizes: Sequence[int] = (1, 2, 4), verbose: int = 1,
                  **options) -> Mapping[tuple[float, int], np.ndarray]:
    """Prototypes for every mask ratio x patch size pair.

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

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.4 and
        Fig. 4.
    """
    results = {}
    for ratio in ratios:
        for patch_size in patch_sizes:
            probe = FillInTheBlanks(model, mask_ratio=ratio, patch_size=patch_size,
                                    verbose=verbose, **options)
            try:
                results[(ratio, patch_size)] = probe(images, targets).prototypes
            except NoMaskKeptError:
                results[(ratio, patch_size)] = np.full(np.shape(images), np.nan, np.float32)
    return results


def progressive_figure(model: keras.Model, images, labels, path: str | os.PathLike,
                       mask_ratio: float = 0.25, patch_size: int = 2, **options) -> FillResult:
    """Fig. 3: each image, its k progressive fills and the prototype, one row per image.

    Args:
        model: the classifier.
        images: (B, H, W, C) images in [0, 1].
        labels: (B,) classes to fill for.
        path: the PNG to write (atomically).
        mask_ratio: 1 / k of the patches per step.
        patch_size: patch side in pixels.
        **options: other `FillInTheBlanks` arguments.

    Returns:
        The progressive-mode `FillResult` drawn.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.2 and
        Fig. 3.
    """
    result = FillInTheBlanks(model, mask_ratio, patch_size, mode="progressive",
                             **options)(images, labels)
    viz.image_grid({"image": images, **{f"step {i + 1}": result.steps[:, i]
                                        for i in range(result.steps.shape[1])},
                    "prototype": result.prototypes}, path,
                   [f"label {label}" for label in labels], "progressive filling")
    return result


def ablation_figure(model: keras.Model, image, label, path: str | os.PathLike,
                    ratios: Sequence[float] = (0.1, 0.25, 0.5),
                    patch_sizes: Sequence[int] = (1, 2, 4), **options) -> None:
    """Fig. 4: one image's prototype for every mask ratio (rows) x patch size (columns).

    Args:
        model: the classifier.
        image: (1, H, W, C) one image in [0, 1].
        label: (1,) its class.
        path: the PNG to write (atomically); a pair without a prototype is drawn black.
        ratios: mask ratios, one row each.
        patch_sizes: patch sizes, one column each.
        **options: other `FillInTheBlanks` arguments.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.4 and
        Fig. 4.
    """
    ablation = mask_ablation(model, image, label, ratios, patch_sizes, **options)
    viz.image_grid({f"patch {p}": [np.nan_to_num(ablation[(r, p)][0]) for r in ratios]
                    for p in patch_sizes}, path,
                   [f"ratio {r}" for r in ratios], "prototype: mask ratio x patch size")


def direction_figure(model: keras.Model, images, labels, path: str | os.PathLike,
                     mask_ratio: float = 0.25, patch_size: int = 2, **options) -> float:
    """Fig. 5: prototypes from the first-order (gradient) and second-order (BFGS) updates.

    The arguments are those of `progressive_figure`; `mask_ratio` is the fraction of patches
    blanked per random mask.

    Returns:
        The fraction of prototype values on which the two updates agree.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.5 and
        Fig. 5.
    """
    orders = {direction: FillInTheBlanks(model, mask_ratio, patch_size, direction=direction,
                                         **options)(images, labels).prototypes
              for direction in DIRECTIONS}
    viz.image_grid({"image": images, **orders}, path,
                   [f"label {label}" for label in labels], "first vs second order")
    return float(np.mean(orders["gradient"] == orders["bfgs"]))


def evaluate(model: keras.Model, images, labels, out_dir: str | os.PathLike, *,
             count: int = 100, num_masks: int = 1000, mask_ratio: float = 0.25,
             patch_size: int = 2, ratios: Sequence[float] = (0.1, 0.25, 0.5),
             patch_sizes: Sequence[int] = (1, 2, 4), seed: int = 0, shown: int = 4) -> dict:
    """Table 1 on the first `count` images and Figs. 3-5 on the first `shown`, for one classifier.

    Writes fig3_progressive.png, fig4_ablation.png (the first image) and
    fig5_gradient_vs_bfgs.png (at most 256 kept masks per image) under `out_dir`.

    Returns:
        {"options", "mask_ratio", "patch_size", "versions", "table1" (see `consistency`),
        "fig5_agreement" (see `direction_figure`)}.
    """
    out_dir = Path(out_dir)
    options = {"num_masks": num_masks, "seed": seed}
    images_shown, labels_shown = images[:shown], labels[:shown]
    report = {"options": options, "mask_ratio": mask_ratio, "patch_size": patch_size,
              "versions": artifacts.library_versions()}
    report["table1"] = consistency(model, images[:count], labels[:count], mask_ratio=mask_ratio,
                                   patch_size=patch_size, **options)
    progressive_figure(model, images_shown, labels_shown, out_dir / "fig3_progressive.png",
                       mask_ratio, patch_size, **options)
    ablation_figure(model, images_shown[:1], labels_shown[:1], out_dir / "fig4_ablation.png",
                    ratios, patch_sizes, **options)
    report["fig5_agreement"] = direction_figure(
        model, images_shown, labels_shown, out_dir / "fig5_gradient_vs_bfgs.png", mask_ratio,
        patch_size, **{**options, "num_masks": min(num_masks, 256)})
    return report
