"""Figures: heat-map overlays, comparison grids and result charts, written atomically as PNG."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cnn_explain_tf.artifacts import atomic_path  # noqa: E402
from cnn_explain_tf.validation import InputError, describe  # noqa: E402


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


def image_grid(columns: Mapping[str, Sequence[np.ndarray]], path: str | os.PathLike,
               row_labels: Sequence[str] | None = None, title: str | None = None,
               max_columns: int | None = None) -> None:
    """A PNG with one titled column per entry and one row per image, written atomically.

    Args:
        columns: column title -> N images, each (H, W[, C]) floats in [0, 1] or uint8 RGB.
        path: PNG path.
        row_labels: N labels shown left of each row.
        title: figure title.
        max_columns: with more columns than this, the figure wraps into bands stacked top to
            bottom, each starting again with the first column (e.g. the images) and holding
            about the same number of the others.
    """
    bands = _bands(list(columns), max_columns)
    rows, width = len(columns[bands[0][0]]), max(len(band) for band in bands)
    figure, axes = plt.subplots(rows * len(bands), width, squeeze=False,
                                figsize=(1.6 * width, 1.7 * rows * len(bands) + 0.4))
    for index, band in enumerate(bands):
        _draw_band(axes[index * rows:(index + 1) * rows], band, columns, row_labels)
    save_figure(figure, path, title=title)


def _bands(names: list[str], max_columns: int | None) -> list[list[str]]:
    """The column names of each band: all in one, or the first name then an even share."""
    if not max_columns or len(names) <= max_columns:
        return [names]
    first, rest = names[0], names[1:]
    count = math.ceil(len(rest) / max(1, max_columns - 1))
    per_band = math.ceil(len(rest) / count)
    return [[first, *rest[start:start + per_band]] for start in range(0, len(rest), per_band)]


def _draw_band(axes, band: list[str], columns: Mapping[str, Sequence[np.ndarray]],
               row_labels: Sequence[str] | None) -> None:
    """Fills one band's (rows, width) axes: titled columns, row labels, unused axes hidden."""
    for column, name in enumerate(band):
        axes[0, column].set_title(name, fontsize=8)
        for row, image in enumerate(columns[name]):
            image = np.asarray(image)
            axes[row, column].imshow(image if image.dtype == np.uint8 else
                                     np.clip(to_rgb(image), 0, 1))
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
    for row, label in enumerate(row_labels or []):
        axes[row, 0].set_ylabel(label, fontsize=7)
    for spare in axes[:, len(band):].ravel():
        spare.axis("off")


def comparison_grid(images: Sequence[np.ndarray], maps: Mapping[str, np.ndarray],
                    path: str | os.PathLike, title: str | None = None,
                    row_labels: Sequence[str] | None = None, max_columns: int = 13) -> None:
    """One row per image: the image, then each method's overlay (like Fig. 5 of the SFT-GAN paper);
    with more than `max_columns` columns, bands of rows each starting with the images.

    Args:
        images: N images (H, W, C) in [0, 1].
        maps: method name -> (N, H, W) maps in [0, 1].
        path: PNG path, written atomically.
        title: figure title.
        row_labels: N labels shown left of each row (e.g. "label 3, predicted 3").
        max_columns: the widest band (image column included).
    """
    overlays = {name: [overlay(image, heat_map) for image, heat_map in zip(images, method_maps)]
                for name, method_maps in maps.items()}
    image_grid({"image": list(images), **overlays}, path, row_labels, title, max_columns)


def bar_chart(values: Mapping[str, Sequence[float]], path: str | os.PathLike,
              labels: Sequence[str], title: str | None = None,
              ylabel: str | None = None) -> None:
    """A PNG of grouped bars: one group per label, one coloured bar per series, written atomically.

    Args:
        values: series name (legend entry) -> one value per label, e.g. pair name -> CGMA relevance.
        path: PNG path.
        labels: the group names along the x axis, e.g. "CGMA 1" .. "CGMA k".
        title: figure title.
        ylabel: y-axis label.

    Raises:
        InputError: no series, or a series whose length differs from `labels`.
    """
    _check_series(values, len(labels), "values", "labels")
    width = 0.8 / len(values)
    figure, axes = plt.subplots(figsize=(max(4.0, 0.6 * len(labels) * len(values) + 1.5), 3.2))
    for index, (name, heights) in enumerate(values.items()):
        offset = (index - (len(values) - 1) / 2) * width
        axes.bar(np.arange(len(labels)) + offset, heights, width, label=name)
    axes.set_xticks(np.arange(len(labels)), labels)
    _save_chart(figure, axes, path, title, None, ylabel)


def line_chart(x: Sequence[float], series: Mapping[str, Sequence[float]],
               path: str | os.PathLike, title: str | None = None, xlabel: str | None = None,
               ylabel: str | None = None) -> None:
    """A PNG with one marked line per series over shared x values, written atomically.

    Args:
        x: the x values, e.g. salt-and-pepper amounts or randomised-layer counts.
        series: series name (legend entry) -> one y value per x value.
        path: PNG path.
        title: figure title.
        xlabel: x-axis label.
        ylabel: y-axis label.

    Raises:
        InputError: no series, or a series whose length differs from `x`.
    """
    _check_series(series, len(x), "series", "x")
    figure, axes = plt.subplots(figsize=(5.0, 3.2))
    for name, y in series.items():
        axes.plot(x, y, marker="o", markersize=4, label=name)
    _save_chart(figure, axes, path, title, xlabel, ylabel)


def _check_series(series: Mapping[str, Sequence[float]], length: int, argument: str,
                  reference: str) -> None:
    if not series:
        raise InputError(f"{argument}: expected at least one series, got {describe(series)}")
    for name, points in series.items():
        if len(points) != length:
            raise InputError(f"{argument}[{name!r}]: expected {length} values (one per entry of "
                             f"{reference}), got {len(points)}")


def _save_chart(figure, axes, path: str | os.PathLike, title: str | None, xlabel: str | None,
                ylabel: str | None) -> None:
    """Labels a single-axes chart, adds the legend and grid, and writes it atomically as PNG."""
    axes.set_title(title or "", fontsize=10)
    axes.set_xlabel(xlabel or "")
    axes.set_ylabel(ylabel or "")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8)
    save_figure(figure, path)


def save_figure(figure, path: str | os.PathLike, dpi: int = 110, title: str | None = None
                ) -> None:
    """Lays a matplotlib figure out (under `title`, kept clear of the axes' titles), writes it
    atomically as PNG and closes it (also on error)."""
    try:
        height = figure.get_figheight()  # inches: the title takes its top 0.3 inch
        if title:
            figure.suptitle(title, fontsize=9, y=1 - 0.05 / height, va="top")
        with warnings.catch_warnings():  # a figure too crowded to lay out is still written
            warnings.filterwarnings("ignore", "Tight layout not applied", UserWarning)
            figure.tight_layout(rect=(0, 0, 1, 1 - 0.3 / height) if title else None)
        with atomic_path(path) as temporary:
            figure.savefig(temporary, format="png", dpi=dpi)
    finally:
        plt.close(figure)
