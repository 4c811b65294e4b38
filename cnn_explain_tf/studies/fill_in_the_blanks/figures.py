"""Figs. 2-6 of one classifier: prototype gallery, progressive steps, ablation, orders, T."""

from __future__ import annotations

import warnings

import numpy as np

from cnn_explain_tf import artifacts, data, viz
from cnn_explain_tf.probes.fill_blanks import FillInTheBlanks
from cnn_explain_tf.protocols.fill_blanks import (
    binarization,
    image_seed,
    mask_ablation,
    order_agreement,
)
from cnn_explain_tf.studies.fill_in_the_blanks.inputs import pair_images, probe_options
from cnn_explain_tf.studies.fill_in_the_blanks.layout import Pair, Study

__all__ = ["draw_pair"]


def draw_pair(study: Study, pair: Pair) -> dict:
    """Draws Figs. 2-6 of `pair` (PNG files, `study.figure_path`); returns their numbers.

    Fig. 2 is drawn from Table 1's random-mode prototypes; Figs. 3-6 use the first
    `config.shown` test images, each filled for its Table 1 label ŷ, with `figure_masks` N*.
    The probes' warnings (fewer masks kept than N*) are returned, not printed.

    Returns:
        {"fig2_images": indices shown, "fig3_step_predictions": (shown, k) classes per step,
        "fig4_without_prototype": ["ratio r, patch p", ...], "fig5_agreement": float,
        "fig6_on_fraction": {mode: {setting: mean prototype value}}, "probe_notes": [str]}.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        numbers = _draw(study, pair)
    return {**numbers, "probe_notes": sorted({str(warning.message) for warning in caught})}


def _draw(study: Study, pair: Pair) -> dict:
    config = study.config
    model = artifacts.load_model(study.model_path(pair), "classifier")
    images = pair_images(study, pair, model)[0][:config.count]
    saved = np.load(study.table_path(pair).with_suffix(".npz"))
    names = _class_names(pair, int(model.outputs[0].shape[-1]))
    shown, labels = images[:config.shown], saved["random/labels"][:config.shown]
    options = probe_options(study, config.figure_masks)
    numbers = {"fig2_images": _gallery(study, pair, images, saved, names)}
    numbers["fig3_step_predictions"] = _progressive(study, pair, model, shown,
                                                    saved["progressive/labels"][:config.shown],
                                                    names, options)
    numbers["fig4_without_prototype"] = _ablation(study, pair, model, shown[:1], labels[:1],
                                                  options)
    orders, numbers["fig5_agreement"] = order_agreement(model, shown, labels,
                                                        bfgs_steps=config.bfgs_steps, **options)
    viz.image_grid({"image x": shown, **orders}, study.figure_path(pair, "fig5"),
                   [f"ŷ = {names[label]}" for label in labels],
                   f"first (gradient) vs second order (BFGS, {config.bfgs_steps} steps)")
    numbers["fig6_on_fraction"] = _binarization(study, pair, model, shown, labels, names,
                                                options)
    return numbers


def _class_names(pair: Pair, classes: int) -> list[str]:
    """The dataset's class names (class indices when the classifier has another count)."""
    names = list(data.info(pair.dataset).class_names)
    return names if len(names) == classes else [str(c) for c in range(classes)]


def _gallery(study: Study, pair: Pair, images, saved, names) -> list[int]:
    """Fig. 2: per class ŷ, its first test image with a prototype and that prototype."""
    labels, kept = saved["random/labels"], saved["random/kept"]
    shown = [int(np.flatnonzero((labels == label) & (kept > 0))[0])
             for label in np.unique(labels[kept > 0])]
    columns = {name[len("random/image/"):]: [saved[name][i] for i in shown]
               for name in saved.files if name.startswith("random/image/")}
    viz.image_grid({"image x": [images[i] for i in shown], **columns},
                   study.figure_path(pair, "fig2"), [f"ŷ = {names[labels[i]]}" for i in shown],
                   "a prototype per class (random masks)")
    return shown


def _progressive(study: Study, pair: Pair, model, images, labels, names,
                 options) -> list[list[int]]:
    """Fig. 3: each image and the k steps of its Table 1 sequence (the same `image_seed`)."""
    others = {k: v for k, v in options.items() if k != "seed"}
    results = [FillInTheBlanks(model, mode="progressive", verbose=0,
                               seed=image_seed(options["seed"], index), **others)(
                                   images[index:index + 1], labels[index:index + 1])
               for index in range(len(images))]
    steps = np.concatenate([result.steps for result in results])
    predictions = np.concatenate([result.step_predictions for result in results])
    viz.image_grid({"image x": images, **{f"after fill {i + 1}": steps[:, i]
                                          for i in range(steps.shape[1])}},
                   study.figure_path(pair, "fig3"),
                   [f"ŷ = {names[y]}; steps: {' '.join(names[p] for p in predicted)}"
                    for y, predicted in zip(labels, predictions)],
                   f"progressive filling, {steps.shape[1]} disjoint masks")
    return predictions.tolist()


def _ablation(study: Study, pair: Pair, model, image, label, options) -> list[str]:
    """Fig. 4: one image's T(E[dx]) per mask ratio (rows) x patch size (columns)."""
    config = study.config
    options = {k: v for k, v in options.items() if k not in ("mask_ratio", "patch_size")}
    ablation = mask_ablation(model, image, label, config.ratios, config.patch_sizes, verbose=0,
                             **options)
    viz.image_grid({f"patch {p}": [np.nan_to_num(ablation[(r, p)][0]) for r in config.ratios]
                    for p in config.patch_sizes}, study.figure_path(pair, "fig4"),
                   [f"ratio {r}" for r in config.ratios], "T(E[dx]): mask ratio x patch size")
    return [f"ratio {r}, patch {p}" for (r, p), prototypes in ablation.items()
            if np.isnan(prototypes).all()]


def _binarization(study: Study, pair: Pair, model, images, labels, names,
                  options) -> dict[str, dict[str, float]]:
    """Fig. 6: both modes binarised at each threshold and not binarised; the on-fractions."""
    options = {k: v for k, v in options.items() if k != "threshold"}
    settings = binarization(model, images, labels, study.config.thresholds, **options)
    columns = {name: [*settings["random"][name], *settings["progressive"][name]]
               for name in settings["random"]}
    viz.image_grid({"image x": [*images, *images], **columns}, study.figure_path(pair, "fig6"),
                   [f"{mode}, ŷ = {names[y]}" for mode in settings for y in labels],
                   "binarised at each threshold vs not binarised")
    return {mode: {name: float(np.mean(values)) for name, values in by_name.items()}
            for mode, by_name in settings.items()}
