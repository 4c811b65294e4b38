"""The Perception Visualization paper's protocols: the Fig. 2 reconstructions, Fig. 7 invariance.

Giulivi et al., "Perception Visualization: Seeing Through the Eyes of a DNN" (BMVC 2021,
arXiv 2204.09920). Where each equation and figure of the paper lives in this library:

| paper                                             | function                                    |
| ------------------------------------------------- | ------------------------------------------- |
| Eq. 2: PV p_c = (1 - m_c) + m_c y                 | `probes.perception_visualization`           |
| Eq. 3: encoder E, the truncated classifier        | `models.ClassifierEncoder`                  |
| Eq. 4: decoder D                                  | `models.build_pv_decoder`                   |
| Eq. 5: reconstruction y = D(E(x))                 | `PVResult.reconstructions`                  |
| Eq. 6-9: decoder loss (MSE, SSIM, DSIM terms)     | `models.perception_loss`                    |
| Section 3: PV with a Grad-CAM saliency map        | `probes.PerceptionVisualization`            |
| Fig. 2: right and wrong predictions, Grad-CAM, PV | `reconstruction_figure`                     |
| Section 4, Fig. 7: invariance to decoder training | `compare_decoders`, `invariance_figure`     |

`evaluate` runs Figs. 2 and 7 on the output folders of `cnn-explain train-decoder`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import artifacts, data, viz
from cnn_explain_tf.models.pv_decoder import ClassifierEncoder, ssim_per_channel
from cnn_explain_tf.probes.perception import PerceptionVisualization
from cnn_explain_tf.validation import check_images

__all__ = ["DECODER_METRICS", "compare_decoders", "evaluate", "invariance_figure",
           "load_decoder_run", "reconstruction_figure"]

DECODER_METRICS = ("classifier_test_accuracy", "test_ssim", "random_encoder_test_ssim")
"""decoder.json metrics an evaluation reports: is the classifier trained, and how much better its
latents invert than an untrained copy's."""


def reconstruction_figure(model: keras.Model, decoder: keras.Model, images, labels,
                          path: str | os.PathLike, *,
                          layer: str | keras.layers.Layer = "conv5_block3_out",
                          per_group: int = 4, batch_size: int = 32) -> dict[str, float | None]:
    """Fig. 2: correctly and incorrectly classified images side by side with their Grad-CAM, the
    reconstruction y and the PV image; also scores the reconstructions of both groups.

    Args:
        model: the classifier.
        decoder: its decoder at `layer`.
        images: (N, H, W, C) test images in [0, 1].
        labels: (N,) int labels.
        path: the PNG to write (atomically).
        layer: the truncation layer.
        per_group: rows shown per group (correct, incorrect).
        batch_size: images per compiled step.

    Returns:
        {"accuracy", "ssim_correct", "ssim_incorrect" (mean reconstruction SSIM, None for an
        empty group), "correct", "incorrect" (counts)}.

    References: Giulivi et al., arXiv 2204.09920, Fig. 2.
    """
    probe = PerceptionVisualization(model, decoder, layer, batch_size=batch_size)
    images = check_images(images, probe.input_shape)
    predicted = np.argmax(model.predict(images, batch_size=batch_size, verbose=0), -1)
    predicted = predicted.astype(np.int32)
    pv, reconstructions = probe(images, predicted)
    correct = predicted == np.asarray(labels)
    rows = np.r_[np.flatnonzero(correct)[:per_group], np.flatnonzero(~correct)[:per_group]]
    maps = probe.saliency(tf.constant(images[rows]), tf.constant(predicted[rows])).numpy()
    columns = {"image": images[rows], "Grad-CAM": [viz.overlay(images[i], m)
                                                   for i, m in zip(rows, maps)],
               "reconstruction": reconstructions[rows], "PV": pv[rows]}
    row_labels = [f"{'right' if correct[i] else 'wrong'}: {labels[i]} -> {predicted[i]}"
                  for i in rows]
    viz.image_grid(columns, path, row_labels, "Perception Visualization")
    similarity = ssim_per_channel(images, reconstructions).numpy().mean(axis=1)
    return {"accuracy": float(correct.mean()), "correct": int(correct.sum()),
            "incorrect": int((~correct).sum()),
            "ssim_correct": float(similarity[correct].mean()) if correct.any() else None,
            "ssim_incorrect": float(similarity[~correct].mean()) if (~correct).any() else None}


def compare_decoders(model: keras.Model, decoders: Mapping[str, keras.Model], images,
                     layer: str | keras.layers.Layer = "conv5_block3_out"
                     ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The invariance experiment: decoders trained on different datasets, one encoder.

    Args:
        model: the classifier all decoders invert.
        decoders: name -> decoder for `model` truncated at `layer`.
        images: (N, H, W, C) images in [0, 1].
        layer: the truncation layer.

    Returns:
        (reconstructions {name: (N, H, W, C)}, mean SSIM {"a vs input", "a vs b", ...}): similar
        reconstructions (a high "a vs b") mean the decoders show what the encoder keeps rather
        than what their training data looked like.

    References: Giulivi et al., arXiv 2204.09920, Section 4 ("Invariance to decoder training")
        and Fig. 7.
    """
    encoder = ClassifierEncoder(model, layer)
    images = check_images(images, encoder.image_shape)
    latents = encoder(tf.constant(images))
    outputs = {name: decoder(latents, training=False).numpy() for name, decoder in decoders.items()}
    scores = {f"{name} vs input": _mean_ssim(images, y) for name, y in outputs.items()}
    names = list(outputs)
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            scores[f"{first} vs {second}"] = _mean_ssim(outputs[first], outputs[second])
    return outputs, scores


def _mean_ssim(first: np.ndarray, second: np.ndarray) -> float:
    """Mean per-channel SSIM of two image batches."""
    return float(tf.reduce_mean(ssim_per_channel(first, second)))


def invariance_figure(images, reconstructions: Mapping[str, np.ndarray],
                      path: str | os.PathLike, shown: int = 6) -> None:
    """Fig. 7: the first `shown` images and each decoder's reconstructions of them.

    Args:
        images: (N, H, W, C) images in [0, 1].
        reconstructions: decoder name -> (N, H, W, C), as returned by `compare_decoders`.
        path: the PNG to write (atomically).
        shown: rows.

    References: Giulivi et al., arXiv 2204.09920, Fig. 7.
    """
    columns = {"image": images[:shown],
               **{f"decoder ({name})": y[:shown] for name, y in reconstructions.items()}}
    viz.image_grid(columns, path, title="one encoder, decoders trained on different data")


def load_decoder_run(folder: str | os.PathLike) -> tuple[dict, keras.Model]:
    """(decoder.json's metadata, the decoder) of a `cnn-explain train-decoder` output folder."""
    folder = Path(folder)
    meta = json.loads((folder / "decoder.json").read_text())
    return meta, artifacts.load_model(folder / "decoder.keras", "decoder")


def evaluate(run: str | os.PathLike, out_dir: str | os.PathLike,
             second_run: str | os.PathLike | None = None, count: int = 256) -> dict:
    """Fig. 2 (and Fig. 7 with a `second_run`) for a trained decoder, on `count` test images.

    Writes fig2_reconstructions.png (and fig7_invariance.png) under `out_dir`.

    Args:
        run: a `cnn-explain train-decoder` output folder.
        out_dir: the folder for the figures.
        second_run: a decoder of the same classifier trained on another dataset.
        count: test images of the run's dataset used (Fig. 7: the first 64 of them).

    Returns:
        {"run", "layer", "images", "versions", "decoder" (the classifier's test accuracy and the
        decoder's test SSIM beside a random encoder's, from decoder.json; None where the run
        predates them), "fig2" (see `reconstruction_figure`), and with a second run "fig7_ssim"
        (see `compare_decoders`)}.
    """
    out_dir = Path(out_dir)
    meta, decoder = load_decoder_run(run)
    config = meta["config"]
    model = artifacts.load_model(meta["classifier"], "classifier")
    images, labels = data.load_arrays(config["dataset"], "test", config["image_size"])
    images, labels = images[:count], labels[:count]
    report = {"run": str(run), "layer": meta["layer"], "images": len(images),
              "versions": artifacts.library_versions(),
              "decoder": {key: meta.get("metrics", {}).get(key) for key in DECODER_METRICS}}
    report["fig2"] = reconstruction_figure(model, decoder, images, labels,
                                           out_dir / "fig2_reconstructions.png",
                                           layer=meta["layer"])
    if second_run:
        second_meta, second = load_decoder_run(second_run)
        names = (config["dataset"], second_meta["config"]["dataset"])
        outputs, report["fig7_ssim"] = compare_decoders(
            model, dict(zip(names, (decoder, second))), images[:64], meta["layer"])
        invariance_figure(images, outputs, out_dir / "fig7_invariance.png")
    return report
