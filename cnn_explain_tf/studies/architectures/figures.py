"""The study's own figures: an SSIM heat matrix beside its Ward dendrogram, written atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from scipy.cluster import hierarchy  # noqa: E402

from cnn_explain_tf import viz  # noqa: E402

__all__ = ["similarity_figure"]


def similarity_figure(panels: Sequence[tuple[str, np.ndarray, np.ndarray]], names: Sequence[str],
                      path: str | os.PathLike) -> None:
    """One row per panel (title, (M, M) SSIM matrix, Ward linkage): the heat matrix with its
    values, then the dendrogram (leaves labelled with `names`)."""
    figure, axes = plt.subplots(len(panels), 2, squeeze=False,
                                figsize=(11, 4.2 * len(panels)))
    for row, (title, similarity, linkage) in enumerate(panels):
        image = axes[row, 0].imshow(similarity, vmin=min(0.0, float(similarity.min())), vmax=1,
                                    cmap="viridis")
        axes[row, 0].set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        axes[row, 0].set_yticks(range(len(names)), names, fontsize=7)
        if len(names) <= 16:
            for (i, j), value in np.ndenumerate(similarity):
                axes[row, 0].text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=5,
                                  color="white" if value < 0.6 else "black")
        figure.colorbar(image, ax=axes[row, 0], fraction=0.046)
        axes[row, 0].set_title(f"{title}: SSIM", fontsize=9)
        hierarchy.dendrogram(linkage, labels=list(names), ax=axes[row, 1], leaf_rotation=90,
                             leaf_font_size=7, color_threshold=0)
        axes[row, 1].set_title(f"{title}: Ward on 1 - SSIM", fontsize=9)
        axes[row, 1].set_ylabel("merge distance")
    viz.save_figure(figure, path, dpi=90)
