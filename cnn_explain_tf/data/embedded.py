"""Registry of the embedded offline datasets and their cached generation."""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np

from cnn_explain_tf.data.base import EMBEDDED_SPLITS, DatasetInfo
from cnn_explain_tf.data.cache import cached_arrays
from cnn_explain_tf.data.glyphs import DIGITS, LETTERS, LOWERCASE, SYMBOLS, GlyphSpec
from cnn_explain_tf.data.scenes import OBJECTS32, PATTERNS32, SHAPES64, TEXTURES, SceneSpec

__all__ = ["EMBEDDED", "embedded_info", "embedded_arrays"]

# Bump whenever generated pixels change: it is part of the cache key.
GENERATOR_VERSION = 3

EMBEDDED: dict[str, GlyphSpec | SceneSpec] = {
    spec.name: spec for spec in (DIGITS, LETTERS, SYMBOLS, SHAPES64, OBJECTS32, TEXTURES,
                                 LOWERCASE, PATTERNS32)
}


def embedded_info(name: str) -> DatasetInfo:
    """Returns the metadata of an embedded dataset without generating it."""
    spec = EMBEDDED[name]
    return DatasetInfo(
        name=name,
        num_classes=len(spec.class_names),
        class_names=spec.class_names,
        image_shape=spec.image_shape,
        semantics=spec.semantics,
        has_masks=True,
    )


def embedded_arrays(name: str, split: str, seed: int) -> dict[str, np.ndarray]:
    """Returns one split as ``images`` uint8 (n,H,W,C), ``labels`` int32, ``masks`` bool (n,H,W).

    Generated on first use (deterministic for ``seed``), then read from the on-disk cache.
    """
    spec = EMBEDDED[name]
    params = {"version": GENERATOR_VERSION, "split": split, "seed": seed, **_spec_params(spec)}
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), EMBEDDED_SPLITS.index(split)])
    return cached_arrays(f"{name}-{split}-seed{seed}", params, lambda: spec.generate(rng, split))


def _spec_params(spec: GlyphSpec | SceneSpec) -> dict:
    """The spec's fields as JSON-friendly values (functions by their qualified name)."""
    values = {field.name: getattr(spec, field.name) for field in dataclasses.fields(spec)}
    return {key: getattr(v, "__qualname__", v) for key, v in values.items()}
