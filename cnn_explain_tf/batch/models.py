"""What explains a batch: the library's explainers over a `.keras` model, or an exported SavedModel.

Both backends answer the same `explain(images, targets)` with maps per method, the classifier's
probabilities and the resolved targets, so the per-batch function (`batch.step`) does not care
which one a worker loaded. `ModelSpec` is the small picklable description that Beam and Ray
workers load their backend from (a path on shared storage, never a model object).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from cnn_explain_tf import artifacts, explain
from cnn_explain_tf.batching import ModelRunner
from cnn_explain_tf.serving.signatures import SignatureBuilder, probability_function
from cnn_explain_tf.validation import InputError

__all__ = ["METRICS", "KerasExplanations", "ModelSpec", "SavedModelExplanations", "load_backend"]

METRICS = ("average_drop", "increase_in_confidence", "deletion_auc", "insertion_auc", "aopc")
"""Per-image metrics an index can hold, each `<method>_<metric>` (`cet.metrics` classes)."""


def _metric_classes() -> dict:
    from cnn_explain_tf import metrics

    return {"average_drop": metrics.AverageDrop, "deletion_auc": metrics.DeletionAUC,
            "increase_in_confidence": metrics.IncreaseInConfidence,
            "insertion_auc": metrics.InsertionAUC, "aopc": metrics.AOPC}


class _Probabilities(ModelRunner):
    """The classifier's probabilities (its softmax/sigmoid over the linearised logits), compiled
    once per model through the shared cache."""

    def step(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        squash = probability_function(self.model, self.output)
        return squash(tf.cast(self.forward(images)[1], tf.float32))


class KerasExplanations:
    """One explainer object per method (one trace each) and the metrics, over a Keras model.

    Args:
        model: a Keras classifier.
        methods: registered explainer names, or "lsft"/"gsft" with `generator`.
        generator: a train-gan generator (.keras or run folder) for lsft/gsft.
        batch_size: images per compiled step.
        metrics: names from `METRICS`.
    """

    def __init__(self, model, methods: Sequence[str], generator=None, batch_size: int = 32,
                 metrics: Sequence[str] = ()):
        self.model, self.methods, self.name = model, tuple(methods), model.name
        self.explainers = {name: _explainer(model, name, generator, batch_size)
                           for name in self.methods}
        self.probabilities = _Probabilities(model, batch_size=batch_size)
        first = self.explainers[self.methods[0]]
        self._single_pass = _single_pass(model, first) if len(self.methods) else None
        self.input_shape, self.num_classes = self.probabilities.input_shape, \
            self.probabilities.num_classes
        classes = _metric_classes()
        unknown = [name for name in metrics if name not in classes]
        if unknown:
            raise InputError(f"metrics: expected names from {', '.join(METRICS)}, got {unknown}")
        self.metrics = {name: classes[name](model, batch_size) for name in metrics}

    def explain(self, images, targets: np.ndarray
                ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """(maps per method (B, H, W) float32, probabilities (B, classes), resolved targets) of
        float32 images (numpy or a tensor)."""
        maps = {}
        if self._single_pass is not None and len(images) <= self.probabilities.batch_size:
            first = self._single_pass({"images": tf.constant(images, tf.float32),
                                       "targets": tf.constant(targets, tf.int32)})
            maps[self.methods[0]] = first["maps"].numpy()
            probabilities = first["probabilities"].numpy()
        else:
            probabilities = self.probabilities.run(self.probabilities.step, images)
        targets = np.where(targets < 0, probabilities.argmax(axis=1), targets).astype(np.int32)
        maps.update({name: explainer(images, targets) for name, explainer in
                     self.explainers.items() if name not in maps})
        return maps, probabilities, targets

    def score(self, images: np.ndarray, maps: dict[str, np.ndarray], targets: np.ndarray
              ) -> dict[str, np.ndarray]:
        """The per-image metric of each method, as columns `<method>_<metric>`."""
        return {f"{method}_{name}": metric.detailed_evaluate(images, maps[method], targets)
                for method in self.methods for name, metric in self.metrics.items()}


def _single_pass(model, explainer):
    """The explainer's step that also returns the probabilities from its own forward pass
    (`serving.SignatureBuilder.explanation`: no second forward pass per batch), or None for a
    step that cannot be traced that way (the explainer and a separate forward pass then)."""
    try:
        return SignatureBuilder(model, explainer.output).explanation(explainer)
    except Exception:  # noqa: BLE001 - any tracing failure falls back to the two-pass path
        return None


def _explainer(model, name: str, generator, batch_size: int):
    if name.lower() in explain.sft_gan.VARIANTS and generator is not None:
        return explain.SFTGANExplainer(model, generator, name.lower(), batch_size=batch_size)
    try:  # a registered name, or a shipped generator's (`explain.get` builds its factory)
        kind = explain.get(name)
    except InputError as error:
        raise InputError(f"methods: {str(error).removeprefix('name: ')} (or lsft/gsft with a "
                         "generator)") from None
    return kind(model, batch_size=batch_size)


class SavedModelExplanations:
    """The signatures of a SavedModel from `cnn-explain export` (workers need only TensorFlow):
    "serving_default" for the probabilities and one signature per method for the maps.

    Args:
        path: the export's version folder (holding saved_model.pb), or its base folder with one
            numbered version.
        methods: signature names, e.g. ("gradcam",).
    """

    def __init__(self, path: str | os.PathLike, methods: Sequence[str], batch_size: int = 32):
        self.path, self.methods, self.batch_size = _version_folder(path), tuple(methods), batch_size
        self.name = str(self.path)
        loaded = tf.saved_model.load(str(self.path))
        self.signatures = loaded.signatures
        missing = [name for name in self.methods if name not in self.signatures]
        if missing:
            raise InputError(f"methods: expected signatures of {self.path} "
                             f"({', '.join(sorted(self.signatures))}), got {missing}")
        self._loaded = loaded  # keeps the signatures' variables alive
        spec = self.signatures["serving_default"].structured_input_signature[1]["images"]
        self.input_shape = tuple(spec.shape[1:])
        self.num_classes = int(self.signatures["serving_default"].structured_outputs[
            "probabilities"].shape[-1])
        self.metrics = {}

    def explain(self, images, targets):
        """(maps per method, probabilities, resolved targets), in batches of `batch_size`."""
        parts = [self._explain(images[i:i + self.batch_size], targets[i:i + self.batch_size])
                 for i in range(0, len(images), self.batch_size)]
        maps = {name: np.concatenate([part[0][name] for part in parts]) for name in self.methods}
        return (maps, np.concatenate([part[1] for part in parts]),
                np.concatenate([part[2] for part in parts]))

    def _explain(self, images, targets):
        images = tf.constant(images, tf.float32)
        probabilities = self.signatures["serving_default"](images=images)["probabilities"].numpy()
        targets = np.where(targets < 0, probabilities.argmax(axis=1), targets).astype(np.int32)
        maps = {name: self.signatures[name](images=images, targets=tf.constant(targets))[
            "maps"].numpy().astype(np.float32) for name in self.methods}
        return maps, probabilities.astype(np.float32), targets

    def score(self, images, maps, targets) -> dict:
        return {}


def _version_folder(path) -> Path:
    path = Path(path)
    if (path / "saved_model.pb").is_file():
        return path
    versions = sorted((p for p in path.iterdir() if (p / "saved_model.pb").is_file()),
                      key=lambda p: p.name) if path.is_dir() else []
    if not versions:
        raise InputError(f"model: expected a .keras file or a SavedModel folder from cnn-explain "
                         f"export, got {path}")
    return versions[-1]


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A picklable description of a backend: what a Beam or Ray worker loads.

    Attributes:
        model: a `.keras` classifier or an exported SavedModel folder, on storage every worker
            reads.
        methods: explainer (or signature) names.
        generator: a train-gan generator path for lsft/gsft (Keras models only).
        batch_size: images per compiled step.
        metrics: per-image metric names (`METRICS`; Keras models only).
    """

    model: str
    methods: tuple[str, ...]
    generator: str | None = None
    batch_size: int = 32
    metrics: tuple[str, ...] = ()

    def load(self):
        """The backend: `KerasExplanations` for a .keras file, else `SavedModelExplanations`."""
        return load_backend(self.model, self.methods, self.generator, self.batch_size,
                            self.metrics)


def load_backend(model, methods: Sequence[str], generator=None, batch_size: int = 32,
                 metrics: Sequence[str] = ()):
    """A backend for `model`: a Keras model object, a `.keras` path or a SavedModel folder; a
    backend built before (for the same methods and metrics) is returned as it is, so that runs
    over several datasets trace its steps once.

    Raises:
        InputError: an unreadable model, an unknown method, a backend of other methods or
            metrics, or metrics/generator asked of a SavedModel (they need the Keras model).
    """
    if not methods:
        raise InputError("methods: expected at least one method, got none")
    if isinstance(model, (KerasExplanations, SavedModelExplanations)):
        built = (tuple(model.methods), tuple(model.metrics))
        if built != (tuple(methods), tuple(metrics)):
            raise InputError(f"model: expected a backend of methods {list(methods)} and metrics "
                             f"{list(metrics)}, got one of {list(built[0])} and "
                             f"{list(built[1])}")
        return model
    if isinstance(model, (str, os.PathLike)) and not str(model).endswith(".keras"):
        if metrics or generator is not None:
            raise InputError("metrics: per-image metrics and --generator need a .keras model, "
                             f"got the SavedModel {model}")
        return SavedModelExplanations(model, methods, batch_size)
    if isinstance(model, (str, os.PathLike)):
        model = artifacts.load_model(model, "model")
    return KerasExplanations(model, methods, generator, batch_size, metrics)
