"""Figures: heat-map overlays and method-comparison grids, written atomically as PNG."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cnn_explain_tf.training.artifacts import atomic_path  # noqa: E402


def to_rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 1|3) or (H, W) floats in [0, 1] -> (H, W, 3) floats."""
    image = np.asarray(image, np.float32)
    if image.ndim == 2:
        image = image[..., None]
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[..., :3]


def overlay(image: np.ndarray, heat_map: np.ndarray, alpha: float = 0.45,
            colormap: str = "jet") -> np.ndarray:
    """Blends a [0, 1] heat map, coloured with `colormap`, over an image; returns uint8 RGB."""
    colours = plt.get_cmap(colormap)(np.clip(heat_map, 0, 1))[..., :3]
    blended = (1 - alpha) * to_rgb(image) + alpha * colours
    return np.round(np.clip(blended, 0, 1) * 255).astype(np.uint8)


def save_png(rgb: np.ndarray, path: str | os.PathLike) -> None:
    """Writes a uint8 RGB array as a PNG, atomically."""
    with atomic_path(path) as temporary:
        plt.imsave(temporary, rgb, format="png")


def comparison_grid(images: Sequence[np.ndarray], maps: Mapping[str, np.ndarray],
                    path: str | os.PathLike, title: str | None = None,
                    row_labels: Sequence[str] | None = None) -> None:
    """One row per image: the image, then each method's overlay (like Fig. 5 of the SFT-GAN paper).

    Args:
        images: N images (H, W, C) in [0, 1].
        maps: method name -> (N, H, W) maps in [0, 1].
        path: PNG path, written atomically.
        title: figure title.
        row_labels: N labels shown left of each row (e.g. "label 3, predicted 3").
    """
    columns = 1 + len(maps)
    figure, axes = plt.subplots(len(images), columns, squeeze=False,
                                figsize=(1.6 * columns, 1.7 * len(images) + 0.4))
    for row, image in enumerate(images):
        axes[row, 0].imshow(to_rgb(image))
        if row_labels is not None:
            axes[row, 0].set_ylabel(row_labels[row], fontsize=7)
        for column, (name, method_maps) in enumerate(maps.items(), start=1):
            axes[row, column].imshow(overlay(image, method_maps[row]))
            if row == 0:
                axes[row, column].set_title(name, fontsize=8)
    axes[0, 0].set_title("image", fontsize=8)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    if title:
        figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)
    plt.close(figure)
