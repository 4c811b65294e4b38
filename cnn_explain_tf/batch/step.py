"""The one per-batch function that every runner (local, Beam, Ray Data) calls: records in, rows out.

`explain_records` takes a batch of source records (some of them unreadable), explains the
readable images with a backend (`batch.models`) and returns a `BatchResult`: one row per
explained image (index columns, float32 maps per method, per-image metrics) and the skipped
records. It knows nothing about engines or files, so every runner writes the same shards.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from cnn_explain_tf.validation import InputError

__all__ = ["BatchResult", "INDEX_COLUMNS", "explain_records", "target_array"]

INDEX_COLUMNS = ("position", "id", "label", "predicted", "probability", "target",
                 "target_probability")
"""The index columns every row has, before the per-image metric columns."""


@dataclasses.dataclass
class BatchResult:
    """What one batch gave.

    Attributes:
        columns: `INDEX_COLUMNS` and metric columns, one entry per explained image.
        maps: method -> float32 (N, H, W) maps of the explained images, in [0, 1].
        images: the explained images (kept only for overlays), else None.
        skipped: (position, id, reason) of each unreadable record.
    """

    columns: dict[str, np.ndarray]
    maps: dict[str, np.ndarray]
    images: np.ndarray | None = None
    skipped: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.columns["position"])

    @classmethod
    def concatenate(cls, results: list[BatchResult], map_dtype: str | None = None
                    ) -> BatchResult:
        """One result holding the rows of `results` in order, its maps cast to `map_dtype` (in
        the same pass) when given."""
        first = results[0]
        columns = {key: np.concatenate([r.columns[key] for r in results]) for key in first.columns}
        maps = {key: np.concatenate([r.maps[key] for r in results], dtype=map_dtype)
                for key in first.maps}
        images = (None if any(r.images is None for r in results)
                  else np.concatenate([r.images for r in results]))
        return cls(columns, maps, images, [s for r in results for s in r.skipped])

    def split(self) -> list[BatchResult]:
        """One result per record (explained or skipped), in the order of their positions: what
        an engine that moves single records (Beam's RunInference) passes on."""
        parts = [(int(position), BatchResult(
            {key: value[row:row + 1] for key, value in self.columns.items()},
            {key: value[row:row + 1] for key, value in self.maps.items()},
            None if self.images is None else self.images[row:row + 1]))
            for row, position in enumerate(self.columns["position"])]
        empty = {key: value[:0] for key, value in self.columns.items()}
        parts += [(skip[0], BatchResult(empty, {key: value[:0] for key, value in self.maps.items()},
                                        None if self.images is None else self.images[:0], [skip]))
                  for skip in self.skipped]
        return [part for _, part in sorted(parts, key=lambda pair: pair[0])]

    def ordered(self) -> BatchResult:
        """The rows sorted by position, and the skipped records too."""
        order = np.argsort(self.columns["position"], kind="stable")
        return BatchResult({key: value[order] for key, value in self.columns.items()},
                           {key: value[order] for key, value in self.maps.items()},
                           None if self.images is None else self.images[order],
                           sorted(self.skipped))


def target_array(targets, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """The (B,) int32 targets of a batch: -1 (the predicted class) for None, the same class for
    an int, or each image's dataset label for "label" (-1 where it has none).

    Raises:
        InputError: a class outside [0, num_classes), or another kind of target.
    """
    if targets is None:
        return np.full(len(labels), -1, np.int32)
    if isinstance(targets, str) and targets == "label":
        return np.where((labels >= 0) & (labels < num_classes), labels, -1).astype(np.int32)
    if isinstance(targets, (int, np.integer)) and not isinstance(targets, bool) \
            and 0 <= targets < num_classes:
        return np.full(len(labels), int(targets), np.int32)
    raise InputError(f"targets: expected None, 'label' or a class index in [0, {num_classes}), "
                     f"got {targets!r}")


def explain_records(backend, records: dict, targets=None, keep_images: bool = False
                    ) -> BatchResult:
    """Explains a batch of records with `backend` (`KerasExplanations` or
    `SavedModelExplanations`).

    Args:
        backend: what computes maps, probabilities and metrics.
        records: {"position" (B,), "id" (B,), "image" (B, H, W, C), "label" (B,), "error" (B,)}
            numpy arrays, as the sources stream them (the images may be a float32 tensor);
            records with an error are skipped.
        targets: None (the predicted class), an int, or "label".
        keep_images: keep the explained images in the result (for overlays).
    """
    readable = np.array([not error for error in records["error"]], bool)
    ids = np.array([_text(value) for value in records["id"]], dtype=object)
    positions = np.asarray(records["position"], np.int64)
    skipped = [(int(positions[i]), ids[i], _text(records["error"][i]))
               for i in np.flatnonzero(~readable)]
    images, labels = (tf.convert_to_tensor(records["image"], tf.float32),
                      np.asarray(records["label"], np.int64))
    if not readable.all():  # (a copy only for a batch with unreadable records)
        images, labels = tf.boolean_mask(images, readable), labels[readable]
    if not len(images):
        return _empty(backend, skipped, keep_images)
    requested = target_array(targets, labels, backend.num_classes)
    maps, probabilities, resolved = backend.explain(images, requested)
    predicted = probabilities.argmax(axis=1)
    rows = np.arange(len(images))
    columns = {"position": positions[readable], "id": ids[readable], "label": labels,
               "predicted": predicted.astype(np.int64),
               "probability": probabilities[rows, predicted].astype(np.float32),
               "target": resolved.astype(np.int64),
               "target_probability": probabilities[rows, resolved].astype(np.float32)}
    if backend.metrics or keep_images:  # (the metrics and the overlays read numpy images)
        images = images.numpy()
    columns.update(backend.score(images, maps, resolved))
    return BatchResult(columns, maps, images if keep_images else None, skipped)


def _empty(backend, skipped, keep_images: bool) -> BatchResult:
    """The result of a batch whose every record was unreadable."""
    height, width = backend.input_shape[:2]
    kinds = {"id": object, "probability": np.float32, "target_probability": np.float32}
    columns = {name: np.zeros(0, kinds.get(name, np.int64)) for name in INDEX_COLUMNS}
    columns.update({f"{method}_{metric}": np.zeros(0, np.float32)
                    for method in backend.methods for metric in backend.metrics})
    maps = {method: np.zeros((0, height, width), np.float32) for method in backend.methods}
    images = np.zeros((0, *backend.input_shape), np.float32) if keep_images else None
    return BatchResult(columns, maps, images, skipped)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
