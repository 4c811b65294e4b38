"""Embedded glyph datasets ("similar" semantics): sklearn digits, Hershey letters and symbols."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import cv2
import numpy as np

from cnn_explain_tf.data.base import to_uint8

__all__ = ["GlyphSpec", "DIGITS", "LETTERS", "LOWERCASE", "SYMBOLS"]

CANVAS = 64  # glyphs are drawn and warped at 2x, then area-downsampled: anti-aliased strokes
MASK_THRESHOLD = 0.5  # a pixel belongs to the glyph when ink covers at least half of it
HERSHEY_FACES = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_COMPLEX_SMALL,
)

# (rng, labels, split) -> (n, CANVAS, CANVAS) float32 ink coverage in [0, 1], glyph centred.
GlyphDrawer = Callable[[np.random.Generator, np.ndarray, str], np.ndarray]


@dataclasses.dataclass(frozen=True)
class GlyphSpec:
    """A grayscale glyph dataset: centred glyphs, randomly warped, on a noisy dark background.

    Attributes:
        name: Dataset name.
        class_names: One name per class.
        draw: Draws the centred glyph of each label at ``CANVAS`` resolution.
        num_train: Images in the train split.
        num_test: Images in the test split.
        size: Output height and width.
    """

    name: str
    class_names: tuple[str, ...]
    draw: GlyphDrawer
    num_train: int
    num_test: int
    size: int = 32
    semantics = "similar"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.size, self.size, 1)

    def generate(self, rng: np.random.Generator, split: str) -> dict[str, np.ndarray]:
        """Returns ``images`` (n,H,W,1) uint8, ``labels`` (n,) int32, ``masks`` (n,H,W) bool."""
        count = self.num_train if split == "train" else self.num_test
        labels = rng.permutation(np.arange(count) % len(self.class_names)).astype(np.int32)
        coverage = _random_warp(rng, self.draw(rng, labels, split), self.size)
        images = _ink_on_background(rng, coverage)
        return {"images": images, "labels": labels, "masks": coverage >= MASK_THRESHOLD}


def _random_warp(rng: np.random.Generator, glyphs: np.ndarray, size: int) -> np.ndarray:
    """Rotates (+-15 deg), scales (0.8-1.1) and shifts each glyph, then downsamples to ``size``."""
    count = len(glyphs)
    angles = rng.uniform(-15, 15, count)
    scales = rng.uniform(0.8, 1.1, count)
    shifts = rng.uniform(-0.1, 0.1, (count, 2)) * CANVAS
    centre = (CANVAS / 2, CANVAS / 2)
    out = np.empty((count, size, size), np.float32)
    for i, glyph in enumerate(glyphs):
        matrix = cv2.getRotationMatrix2D(centre, angles[i], scales[i])
        matrix[:, 2] += shifts[i]
        warped = cv2.warpAffine(glyph, matrix, (CANVAS, CANVAS), flags=cv2.INTER_LINEAR)
        out[i] = cv2.resize(warped, (size, size), interpolation=cv2.INTER_AREA)
    return np.clip(out, 0.0, 1.0)


def _ink_on_background(rng: np.random.Generator, coverage: np.ndarray) -> np.ndarray:
    """Blends bright ink over a dark background by ``coverage``, adds Gaussian noise; uint8."""
    count = len(coverage)
    background = rng.uniform(0.0, 0.2, (count, 1, 1))
    ink = rng.uniform(0.7, 1.0, (count, 1, 1))
    noise = rng.normal(size=coverage.shape) * rng.uniform(0.0, 0.08, (count, 1, 1))
    images = background + (ink - background) * coverage + noise
    return to_uint8(images)[..., None]


def _hershey_drawer(texts: tuple[str, ...]) -> GlyphDrawer:
    """Returns a drawer writing ``texts[label]`` in a random Hershey font, size and stroke."""

    def draw(rng: np.random.Generator, labels: np.ndarray, split: str) -> np.ndarray:
        del split  # every split draws from the same fonts; only the random draws differ
        return np.stack([_draw_text(rng, texts[label]) for label in labels])

    draw.__qualname__ = f"hershey{texts}"
    return draw


def _draw_text(rng: np.random.Generator, text: str) -> np.ndarray:
    """Draws ``text`` centred on a ``CANVAS`` square; returns 0/1 coverage."""
    face = int(rng.choice(HERSHEY_FACES)) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    thickness = int(rng.integers(2, 6))
    (_, unit_height), _ = cv2.getTextSize(text, face, 1.0, thickness)
    scale = rng.uniform(0.5, 0.75) * CANVAS / unit_height
    (width, height), _ = cv2.getTextSize(text, face, scale, thickness)
    origin = ((CANVAS - width) // 2, (CANVAS + height) // 2)
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    cv2.putText(canvas, text, origin, face, scale, 1, thickness, cv2.LINE_8)
    return canvas.astype(np.float32)


def _draw_digits(rng: np.random.Generator, labels: np.ndarray, split: str) -> np.ndarray:
    """Picks a random original sklearn digit of each label from ``split``'s originals."""
    originals = _digit_originals(split)
    glyphs = np.zeros((len(labels), CANVAS, CANVAS), np.float32)
    low, high = CANVAS // 8, CANVAS - CANVAS // 8
    for i, label in enumerate(labels):
        pool = originals[label]
        digit = pool[rng.integers(len(pool))]
        glyphs[i, low:high, low:high] = cv2.resize(digit, (high - low, high - low))
    return np.clip(glyphs, 0.0, 1.0)


@functools.lru_cache(maxsize=2)
def _digit_originals(split: str) -> tuple[np.ndarray, ...]:
    """The 8x8 sklearn digits of ``split`` (a fixed stratified 80/20 split), grouped by class."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    train, test = train_test_split(
        np.arange(len(images)), test_size=0.2, stratify=digits.target, random_state=0
    )
    index = train if split == "train" else test
    return tuple(images[index][digits.target[index] == k] for k in range(10))


DIGITS = GlyphSpec(
    name="digits",
    class_names=tuple(str(k) for k in range(10)),
    draw=_draw_digits,
    num_train=4000,
    num_test=1000,
)
LETTERS = GlyphSpec(
    name="letters",
    class_names=tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    draw=_hershey_drawer(tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")),
    num_train=5200,
    num_test=1300,
)
_SYMBOLS = {
    "plus": "+",
    "minus": "-",
    "asterisk": "*",
    "equals": "=",
    "percent": "%",
    "hash": "#",
    "at": "@",
    "ampersand": "&",
    "question": "?",
    "exclamation": "!",
}
SYMBOLS = GlyphSpec(
    name="symbols",
    class_names=tuple(_SYMBOLS),
    draw=_hershey_drawer(tuple(_SYMBOLS.values())),
    num_train=4000,
    num_test=1000,
)
_LOWERCASE = tuple("abdefghqrt")
LOWERCASE = GlyphSpec(
    name="lowercase",
    class_names=_LOWERCASE,
    draw=_hershey_drawer(_LOWERCASE),
    num_train=4000,
    num_test=1000,
)
"""Ten lowercase letters: a glyph set of similar semantics that no reproduction strategy trains
on (the paper's unseen Tamil characters)."""
