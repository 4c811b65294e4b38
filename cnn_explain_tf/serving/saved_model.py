"""`export`: a classifier and its explainers as one SavedModel version that TF Serving loads."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras

from cnn_explain_tf import artifacts
from cnn_explain_tf.data.image_limits import MAX_PIXELS
from cnn_explain_tf.explain import Explainer
from cnn_explain_tf.serving.methods import generators_of, resolve_methods
from cnn_explain_tf.serving.signatures import IMAGES, IMAGES_BYTES, SignatureBuilder
from cnn_explain_tf.validation import InputError, check_positive_int, describe

__all__ = ["ExportResult", "UntraceableMethodError", "export"]

PROBABILITIES = "probabilities"
BYTES_SUFFIX = "_bytes"


class UntraceableMethodError(InputError):
    """A method whose step cannot be built into a serving graph (named in the message)."""


@dataclass(frozen=True)
class ExportResult:
    """What `export` wrote.

    Attributes:
        path: the version folder (`path/<version>`, holding saved_model.pb and export.json).
        signatures: the signature names, "serving_default" first.
        skipped: method name -> the error that kept it out (only with skip_failing=True).
    """

    path: Path
    signatures: tuple[str, ...]
    skipped: dict[str, str] = field(default_factory=dict)


def export(model: keras.Model, path: str | os.PathLike, methods: Sequence = ("gradcam",),
           generator=None, version: int = 1, *, output: int | None = None,
           images_bytes: bool = False, max_pixels: int = MAX_PIXELS, overwrite: bool = False,
           skip_failing: bool = False, verbose: int = 1) -> ExportResult:
    """Writes `model` and explainers of it as a SavedModel at `path/<version>` for TF Serving.

    Signatures (each takes named inputs and returns named outputs; the batch size is free):

    - `serving_default` (= `probabilities`): {images (B, H, W, C) float32 in [0, 1]} ->
      {probabilities (B, classes)}.
    - one per method, named like the method ("gradcam", "lsft", ...): {images, targets (B,)
      int32, -1 for the predicted class} -> {maps (B, H, W) float32 in [0, 1], targets (B,)
      int32 (the resolved classes), probabilities (B, classes)}. Each runs the explainer's own
      compiled step (`Explainer.explain_batch`), so maps equal `explainer(images, targets)`.
    - for a segmenter (output (B, H, W, classes)), each method's signature takes {images,
      category () int32, mask (H, W) float32 at the output resolution} and returns {maps,
      scores (B,) region scores, probabilities (B, H, W, classes)}; maps equal
      `explainer(images, SegmentationRegion(category, mask))`.
    - with `images_bytes=True`, the same again with the suffix "_bytes" ("probabilities_bytes",
      "gradcam_bytes", ...) taking {images_bytes (B,) PNG/JPEG/GIF/BMP strings} instead of
      images. Each image's width and height are read from its header in the graph and an
      image of more than `max_pixels` pixels is refused before it is decoded ("images_bytes:
      expected encoded images of at most 16777216 pixels (4096 x 4096), got 10000 x 10000"),
      so a request of N images costs decoding memory bounded by N x `max_pixels`.

    Every endpoint takes ONE dict argument, so `keras.layers.TFSMLayer(path/version,
    call_endpoint="gradcam")` calls it with {"images": ..., "targets": ...}. Bad input is
    refused inside the graph (see `SignatureBuilder`). The folder is written under a temporary
    name beside it and renamed when complete, so TF Serving never sees half a version.

    Args:
        model: a Keras model with one (B, H, W, C) input and a (B, classes) classifier or
            (B, H, W, classes) segmentation output.
        path: the model's base folder (TF Serving's `--model_base_path`).
        methods: registered explainer names (`cet.explain.names()`), "all" for every one of
            them, "lsft"/"gsft" for a given generator, or Explainer objects built on `model`
            (for options: `cet.explain.SmoothGrad(model, num_samples=8)`).
        generator: a trained SFT-GAN generator (a `.keras` path or a train-gan run folder, a
            Keras `[image, cgma]` generator, or an `SFTGANExplainer` built on `model`), or a
            list of them; each adds its "lsft"/"gsft" signature (a Keras generator, whose
            variant is unknown, adds "sft_gan").
        version: the version folder's number (TF Serving serves the highest).
        output: the output to serve for multi-output models.
        images_bytes: also write the encoded-image ("_bytes") signatures.
        max_pixels: the largest encoded image (width x height, all frames of a GIF) that the
            "_bytes" signatures decode; stored in the graph and in export.json.
        overwrite: replace an existing `path/<version>`.
        skip_failing: leave out methods that cannot be built (reported in `skipped`) instead
            of raising and writing nothing.
        verbose: 1 prints one line per signature.

    Returns:
        an `ExportResult`; `path/<version>/export.json` records the same and the versions.

    Raises:
        TypeError: `max_pixels` is not an int.
        InputError: a multi-input model or another output, an unknown method (the message
            lists the valid names), a generator that does not fit the model (k larger than its
            conv layers), lsft/gsft without a generator, `max_pixels` < 1, or an existing
            version folder.
        UntraceableMethodError: a method that cannot be built, without skip_failing.
    """
    _check_model(model)
    target = Path(path) / str(check_positive_int("version", version))
    if target.exists() and not overwrite:
        raise InputError(f"path: version {version} already exists at {target}; pass "
                         "overwrite=True (--overwrite) or another version")
    generators = generators_of(model, generator)
    builder = SignatureBuilder(model, output, max_pixels)
    explainers = resolve_methods(model, methods, generators, output)
    say = print if verbose else (lambda *_: None)
    archive = keras.export.ExportArchive()
    for tracked in (model, *(g.generator for g in generators.values())):
        archive.track(tracked)
    names, skipped = _add_signatures(archive, builder, explainers, images_bytes,
                                     skip_failing, say)
    record = _record(model, builder, names, skipped, images_bytes, generators)
    _write_atomically(archive, target, record)
    return ExportResult(target, ("serving_default", *names), skipped)


def _check_model(model) -> None:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model: expected a keras.Model, got {describe(model)}")
    if len(model.inputs or ()) != 1:
        raise InputError(f"model: expected a classifier with one image input, got model "
                         f"'{model.name}' with {len(model.inputs or ())} inputs")


def _add_signatures(archive, builder: SignatureBuilder, explainers: dict, images_bytes: bool,
                    skip_failing: bool, say) -> tuple[list[str], dict[str, str]]:
    """Adds every signature to `archive`; returns the names added and the methods skipped."""
    variants = (False, True) if images_bytes else (False,)
    names, skipped = [], {}
    for encoded in variants:
        archive.add_endpoint(_name(PROBABILITIES, encoded), builder.probabilities(encoded))
        names.append(_name(PROBABILITIES, encoded))
        say(f"signature {names[-1]}: {_inputs(encoded)} -> probabilities")
    for name, explainer in explainers.items():
        started = time.perf_counter()
        try:
            functions = _explanations(builder, explainer, variants)
        except Exception as error:  # noqa: BLE001 - any failure to build names the method
            message = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
            if not skip_failing:
                raise UntraceableMethodError(
                    f"methods: {name!r} cannot be exported ({message}); pass "
                    "skip_failing=True (--skip-failing) to export the others") from error
            skipped[name] = message
            say(f"signature {name}: skipped ({message})")
            continue
        for encoded, function in zip(variants, functions):
            archive.add_endpoint(_name(name, encoded), function)
            names.append(_name(name, encoded))
            say(f"signature {names[-1]}: {_inputs(encoded)}, {_outputs(builder)} "
                f"({time.perf_counter() - started:.1f} s)")
    return names, skipped


def _explanations(builder: SignatureBuilder, explainer, variants) -> list:
    """The traced signatures of one method, one per variant (a class or factory is built here).

    Raises:
        InputError: an explainer whose step runs Python code (SLIC superpixels), which a
            SavedModel cannot call.
    """
    if not isinstance(explainer, Explainer):
        explainer = explainer(builder.model, output=builder.output)
    if not getattr(explainer, "in_graph", True):
        raise InputError(f"methods: {explainer.name!r} runs Python code in its step, which a "
                         f"SavedModel cannot call; build it with {explainer.graph_options}")
    return [builder.explanation(explainer, encoded) for encoded in variants]


def _name(name: str, encoded: bool) -> str:
    return name + BYTES_SUFFIX if encoded else name


def _inputs(encoded: bool) -> str:
    return IMAGES_BYTES if encoded else IMAGES


def _outputs(builder: SignatureBuilder) -> str:
    if builder.segmentation:
        return "category, mask -> maps, scores, probabilities"
    return "targets -> maps, targets, probabilities"


def _record(model, builder: SignatureBuilder, names: Iterable[str], skipped: dict,
            images_bytes: bool, generators: dict) -> dict:
    """The export.json side-car: what was exported, of which model, with which versions."""
    return {"model": model.name, "input_shape": list(builder.input_shape),
            "num_classes": builder.num_classes, "output": builder.output,
            "task": "segmentation" if builder.segmentation else "classification",
            "signatures": ["serving_default", *names], "skipped": skipped,
            "images_bytes": images_bytes, "max_pixels": builder.max_pixels,
            "generators": {name: {"k": g.k} for name, g in generators.items()},
            "versions": artifacts.library_versions()}


def _write_atomically(archive, target: Path, record: dict) -> None:
    """Writes the SavedModel under a temporary name beside `target`, then renames it (a
    replaced version is moved aside first and deleted after the rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"  # TF Serving skips it
    replaced = temporary.with_suffix(".old")
    try:
        archive.write_out(str(temporary), verbose=False)
        artifacts.write_json(record, temporary / "export.json")
        if target.exists():
            os.rename(target, replaced)
        os.rename(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        shutil.rmtree(replaced, ignore_errors=True)
