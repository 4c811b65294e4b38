"""Embedded scene datasets ("dissimilar" semantics): shapes with clutter on real photographs."""

from __future__ import annotations

import dataclasses
import functools

import cv2
import numpy as np

from cnn_explain_tf.data.base import to_uint8

__all__ = ["SceneSpec", "SHAPES", "SHAPES64", "OBJECTS32", "PATTERNS32", "TEXTURES"]

CHUNK = 512  # images composed at once: bounds the float32 working memory
MAX_ROTATION = 45.0  # degrees either way: objects stay roughly upright, as in photographs


def _regular(sides: int, radius: float = 1.0, phase: float = -np.pi / 2) -> np.ndarray:
    angles = phase + 2 * np.pi * np.arange(sides) / sides
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], float)


def _star(points: int = 5, inner: float = 0.42) -> np.ndarray:
    radii = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    return _regular(2 * points) * radii[:, None]


def _heart() -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return np.stack([x, y + 2.5], axis=1)


# A drawing program: (value, polygon) pairs filled in order; value 0 cuts a hole.
Program = tuple[tuple[int, np.ndarray], ...]


def _fit_unit_disk(program: Program) -> Program:
    """Scales a drawing program so that its farthest vertex lies on the unit circle."""
    reach = max(np.linalg.norm(polygon, axis=1).max() for _, polygon in program)
    return tuple((value, polygon / reach) for value, polygon in program)


def _polygon(*coordinates: float) -> np.ndarray:
    """Builds an (N, 2) polygon from flat ``x0, y0, x1, y1, ...`` coordinates."""
    return np.reshape(np.array(coordinates, float), (-1, 2))


_CIRCLE = _regular(48)
_SQUARE = _regular(4, phase=np.pi / 4)
_ARROW = _polygon(-1, -0.22, 0.2, -0.22, 0.2, -0.6, 0.95, 0, 0.2, 0.6, 0.2, 0.22, -1, 0.22)
_LIGHTNING = _polygon(-0.15, -1, 0.5, -1, 0.1, -0.2, 0.55, -0.2, -0.3, 0.95, -0.05, 0.1, -0.5, 0.1)
_HOUSE = _polygon(-0.7, 0.7, 0.7, 0.7, 0.7, -0.1, 0, -0.95, -0.7, -0.1)
_ELL = _polygon(-0.7, -0.7, -0.25, -0.7, -0.25, 0.25, 0.7, 0.25, 0.7, 0.7, -0.7, 0.7)
_CHEVRON = _polygon(-0.9, -0.2, -0.55, -0.55, 0, 0, 0.55, -0.55, 0.9, -0.2, 0, 0.7)
_HOURGLASS = _polygon(-0.65, -0.75, 0.65, -0.75, 0.1, 0, 0.65, 0.75, -0.65, 0.75, -0.1, 0)
_PROGRAMS: dict[str, Program] = {
    "circle": ((1, _CIRCLE),),
    "square": ((1, _SQUARE),),
    "triangle": ((1, _regular(3)),),
    "star": ((1, _star()),),
    "cross": ((1, _rect(-1, -0.3, 1, 0.3)), (1, _rect(-0.3, -1, 0.3, 1))),
    "ring": ((1, _CIRCLE), (0, _CIRCLE * 0.55)),
    "ellipse": ((1, _CIRCLE * (1.0, 0.5)),),
    "arrow": ((1, _ARROW),),
    "heart": ((1, _heart()),),
    "crescent": ((1, _CIRCLE), (0, _CIRCLE * 0.85 + (0.45, 0))),
    "diamond": ((1, _polygon(0, -1, 0.5, 0, 0, 1, -0.5, 0)),),
    "house": ((1, _HOUSE),),
    "lightning": ((1, _LIGHTNING),),
    "semicircle": ((1, _regular(48, phase=0.0)[:25] - (0, 0.5)),),
    "ell": ((1, _ELL),),
    "tee": ((1, _rect(-0.8, -0.7, 0.8, -0.3)), (1, _rect(-0.2, -0.3, 0.2, 0.85))),
    "frame": ((1, _SQUARE), (0, _SQUARE * 0.6)),
    "chevron": ((1, _CHEVRON),),
    "hourglass": ((1, _HOURGLASS),),
}
SHAPES: dict[str, Program] = {name: _fit_unit_disk(p) for name, p in _PROGRAMS.items()}


@dataclasses.dataclass(frozen=True)
class SceneSpec:
    """A scene dataset: one class object (a shape) plus clutter on a photographic background.

    The class is the object's shape; its colour (or texture), size, position, rotation and
    aspect vary, so does the background crop. The mask is exactly the object's pixels.

    Attributes:
        name: Dataset name.
        class_names: Shape names, keys of ``SHAPES``.
        size: Output height and width.
        channels: 3 (colour) or 1 (grayscale).
        fill: ``"solid"`` (one random colour) or ``"texture"`` (a crop of another texture).
        backgrounds: Names of ``skimage.data`` images bundled with scikit-image (no download).
        num_train: Images in the train split.
        num_test: Images in the test split.
        radius: Object radius range as fractions of ``size``.
        max_distractors: Up to this many small lines and blobs are drawn under the object.
    """

    name: str
    class_names: tuple[str, ...]
    size: int
    channels: int
    fill: str
    backgrounds: tuple[str, ...]
    num_train: int
    num_test: int
    radius: tuple[float, float] = (0.2, 0.4)
    max_distractors: int = 4
    semantics = "dissimilar"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.size, self.size, self.channels)

    def generate(self, rng: np.random.Generator, split: str) -> dict[str, np.ndarray]:
        """Returns ``images`` (n,H,W,C) uint8, ``labels`` (n,) int32, ``masks`` (n,H,W) bool."""
        count = self.num_train if split == "train" else self.num_test
        labels = rng.permutation(np.arange(count) % len(self.class_names)).astype(np.int32)
        chunks = [self._compose(rng, labels[i : i + CHUNK]) for i in range(0, count, CHUNK)]
        images, masks = (np.concatenate(parts) for parts in zip(*chunks, strict=True))
        return {"images": images, "labels": labels, "masks": masks}

    def _compose(self, rng: np.random.Generator, labels: np.ndarray) -> tuple[np.ndarray, ...]:
        backgrounds = _crops(rng, self, len(labels))
        _draw_distractors(rng, backgrounds, self.max_distractors)
        masks = np.stack([self._object_mask(rng, label) for label in labels])
        target = _contrasting_brightness(rng, backgrounds, masks)
        objects = self._fill(rng, target, len(labels))
        images = np.where(masks[..., None], objects, backgrounds)
        noise = rng.standard_normal(images.shape[:3] + (1,), np.float32)  # luminance noise
        images += noise * _uniform(rng, 0.0, 0.03, len(labels))
        return to_uint8(images), masks

    def _object_mask(self, rng: np.random.Generator, label: int) -> np.ndarray:
        """Draws the shape of ``label`` at a random pose; returns its exact pixels."""
        radius = rng.uniform(*self.radius) * self.size
        centre = rng.uniform(radius, self.size - radius, 2)
        angle = np.deg2rad(rng.uniform(-MAX_ROTATION, MAX_ROTATION))
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        stretch = np.array([rng.uniform(0.85, 1.0), 1.0])
        mask = np.zeros((self.size, self.size), np.uint8)
        for value, polygon in SHAPES[self.class_names[label]]:
            points = (polygon * stretch) @ rotation.T * radius + centre - 0.5
            cv2.fillPoly(mask, [np.round(points * 16).astype(np.int32)], value, cv2.LINE_8, 4)
        return mask.astype(bool)

    def _fill(self, rng: np.random.Generator, target: np.ndarray, count: int) -> np.ndarray:
        """Object pixels (broadcastable to images) whose mean brightness is ``target``."""
        if self.fill == "texture":
            texture = _crops(rng, self, count)
            mean = texture.mean(axis=(1, 2, 3), keepdims=True)
            return target[:, None, None, None] + (texture - mean) * _uniform(rng, 0.3, 0.6, count)
        colours = _random_colours(rng, count, self.channels)
        colours *= (target / colours.mean(axis=1))[:, None]
        return colours[:, None, None, :]


def _random_colours(rng: np.random.Generator, count: int, channels: int) -> np.ndarray:
    """Random saturated colours (count, channels) at full value; gray when ``channels == 1``."""
    if channels == 1:
        return np.ones((count, 1), np.float32)
    hsv = np.stack(
        [rng.uniform(0, 360, count), rng.uniform(0.3, 1.0, count), np.ones(count)], axis=1
    )
    return cv2.cvtColor(hsv[None].astype(np.float32), cv2.COLOR_HSV2RGB)[0]


def _contrasting_brightness(
    rng: np.random.Generator, backgrounds: np.ndarray, masks: np.ndarray
) -> np.ndarray:
    """Per image, a brightness 0.35-0.55 away from the background's mean under the object."""
    area = masks.sum(axis=(1, 2))
    under = (backgrounds.mean(axis=3) * masks).sum(axis=(1, 2)) / np.maximum(area, 1)
    offset = rng.uniform(0.35, 0.55, len(under)).astype(np.float32)
    return np.where(under > 0.5, under - offset, under + offset).clip(0.05, 0.95)


def _crops(rng: np.random.Generator, spec: SceneSpec, count: int) -> np.ndarray:
    """Random crops of the spec's photographs, resized, flipped and contrast-reduced."""
    pool = _photographs(spec.backgrounds, spec.channels)
    out = np.empty((count, spec.size, spec.size, spec.channels), np.float32)
    for i in range(count):
        photo = pool[rng.integers(len(pool))]
        side = int(rng.uniform(spec.size, min(photo.shape[:2]) / 2))
        top = rng.integers(photo.shape[0] - side + 1)
        left = rng.integers(photo.shape[1] - side + 1)
        crop = photo[top : top + side, left : left + side]
        crop = cv2.resize(crop, (spec.size, spec.size), interpolation=cv2.INTER_AREA)
        out[i] = crop.reshape(out.shape[1:])[:, :: rng.choice((1, -1))]
    out *= 1 / 255
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    out -= mean
    out *= _uniform(rng, 0.5, 1.0, count)
    out += mean
    return out


def _uniform(rng: np.random.Generator, low: float, high: float, count: int) -> np.ndarray:
    """One float32 draw per image, shaped (count, 1, 1, 1) to scale image batches."""
    return rng.uniform(low, high, (count, 1, 1, 1)).astype(np.float32)


def _draw_distractors(rng: np.random.Generator, images: np.ndarray, max_count: int) -> None:
    """Draws 1..max_count small lines or blobs (never a class shape) onto ``images`` in place."""
    size = images.shape[1]
    for image in images:
        for _ in range(rng.integers(1, max_count + 1)):
            colour = tuple(rng.uniform(0, 1, image.shape[2]).tolist())
            start = rng.uniform(0, size, 2)
            if rng.random() < 0.5:
                end = start + rng.uniform(0.1, 0.3) * size * _unit_vector(rng)
                width = int(rng.integers(1, 1 + size // 32))
                cv2.line(image, _int_point(start), _int_point(end), colour, width)
            else:
                blob = start + _regular(5) * rng.uniform(0.5, 1.0, (5, 1)) * size * 0.06
                cv2.fillPoly(image, [np.round(blob).astype(np.int32)], colour)


def _unit_vector(rng: np.random.Generator) -> np.ndarray:
    angle = rng.uniform(0, 2 * np.pi)
    return np.array([np.cos(angle), np.sin(angle)])


def _int_point(point: np.ndarray) -> tuple[int, int]:
    return int(round(point[0])), int(round(point[1]))


@functools.lru_cache(maxsize=8)
def _photographs(names: tuple[str, ...], channels: int) -> tuple[np.ndarray, ...]:
    """Loads bundled ``skimage.data`` images as uint8 with ``channels`` channels."""
    import skimage.data

    photos = []
    for name in names:
        photo = getattr(skimage.data, name)()
        if photo.ndim == 3:
            photo = photo[..., :3]
        if photo.ndim == 2 and channels == 3:
            photo = np.repeat(photo[..., None], 3, axis=2)
        elif photo.ndim == 3 and channels == 1:
            photo = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
        photos.append(np.ascontiguousarray(photo))
    return tuple(photos)


_PHOTOS = (
    "coffee",
    "chelsea",
    "astronaut",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "grass",
    "brick",
    "gravel",
)
SHAPES64 = SceneSpec(
    "shapes64", ("circle", "square", "triangle", "star", "cross", "ring", "ellipse", "arrow",
                 "crescent", "heart"),
    size=64, channels=3, fill="solid", backgrounds=_PHOTOS, num_train=4000, num_test=1000,
    radius=(0.2, 0.4))
OBJECTS32 = SceneSpec(
    "objects32", ("crescent", "diamond", "house", "lightning", "semicircle", "ell", "tee",
                  "frame", "chevron", "hourglass"),
    size=32, channels=3, fill="solid", backgrounds=_PHOTOS, num_train=6000, num_test=1000,
    radius=(0.3, 0.46), max_distractors=3)
TEXTURES = SceneSpec(
    "textures", ("circle", "square", "triangle", "star", "cross", "ring", "arrow", "crescent",
                 "heart", "lightning"),
    size=48, channels=1, fill="texture",
    backgrounds=("grass", "brick", "gravel", "moon", "camera", "coffee"), num_train=6000,
    num_test=1000, radius=(0.28, 0.45))
PATTERNS32 = SceneSpec(
    "patterns32", ("star", "ring", "diamond", "house", "tee", "frame", "arrow", "cross", "heart",
                   "hourglass"),
    size=32, channels=3, fill="texture",
    backgrounds=("rocket", "astronaut", "chelsea", "coffee", "immunohistochemistry"),
    num_train=4000, num_test=1000, radius=(0.3, 0.46), max_distractors=2)
"""Textured colour objects on photographs: a dissimilar-semantics set that no reproduction
strategy trains on (the paper's unseen Cats vs Dogs)."""
