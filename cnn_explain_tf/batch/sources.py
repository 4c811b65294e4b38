"""Streamed image sources of `explain_dataset`: `tfds:NAME`, `folder:PATH`, `tfrecord:GLOB`, `.npy`.

Every source numbers its images 0..N-1 in a fixed order and streams any range of them as a
`tf.data.Dataset` of batched records {"position", "id", "image", "label", "error"}: the images are
float32 (B, H, W, C) in [0, 1] at the model's input size; an image that cannot be read has a
non-empty "error" (and a zero image), so one bad file never stops a run. Each batch is decoded by
one Python call (a whole `.npy` block at once), batches in parallel. Files are checked against a
pixel limit from their header before they are decoded (`data.image_limits`).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from cnn_explain_tf.batch.decode import decoded, fit_block, fit_image, read_each
from cnn_explain_tf.data.folder import IMAGE_EXTENSIONS
from cnn_explain_tf.data.image_limits import MAX_PIXELS, check_image_file, image_size, limit_text
from cnn_explain_tf.validation import InputError

__all__ = ["SCHEMES", "Source", "fit_image", "open_source"]

SCHEMES = "tfds:NAME[:SPLIT], folder:PATH, tfrecord:GLOB or FILE.npy"
TFRECORD_IMAGE_KEYS = ("image", "image/encoded")
TFRECORD_LABEL_KEYS = ("label", "image/class/label")
TFRECORD_ID_KEYS = ("id", "image/filename")


def open_source(spec: str, input_shape: tuple, max_pixels: int = MAX_PIXELS) -> Source:
    """The source named by `spec` for a model taking (H, W, C) = `input_shape` images.

    Raises:
        InputError: an unknown scheme, or a path, glob or dataset that holds no images.
    """
    spec = str(spec)
    kinds = {"tfds:": TfdsSource, "folder:": FolderSource, "tfrecord:": TFRecordSource}
    for prefix, kind in kinds.items():
        if spec.startswith(prefix):
            return kind(spec, tuple(input_shape), max_pixels)
    if spec.endswith(".npy"):
        return NpySource(spec, tuple(input_shape), max_pixels)
    raise InputError(f"data: expected {SCHEMES}, got {spec!r}")


class Source:
    """A numbered, streamable set of images; subclasses implement `__len__`, `_payloads`
    and `_read` (and `_read_batch` where a batch reads faster as a whole).

    Attributes:
        spec: the `--data` string it was opened from.
        input_shape: the model's (H, W, C).
        max_pixels: the pixel limit of encoded images.
    """

    def __init__(self, spec: str, input_shape: tuple, max_pixels: int = MAX_PIXELS):
        self.spec, self.input_shape, self.max_pixels = spec, input_shape, max_pixels
        self.location = spec.split(":", 1)[1] if ":" in spec and not spec.endswith(".npy") \
            else spec

    def __len__(self) -> int:
        raise NotImplementedError

    def batches(self, start: int, stop: int, batch_size: int) -> tf.data.Dataset:
        """Records of the images numbered `start` to `stop - 1`, in order, in batches of
        `batch_size` (the last one shorter), each batch decoded by one call, batches in
        parallel."""
        shape = self.input_shape

        def read(payloads):
            images, errors = self._read_batch(payloads)
            return images, np.asarray(errors, dtype=object)

        @tf.autograph.experimental.do_not_convert  # (no Python control flow: traced as it is)
        def decode(position, name, payload, label):  # (numpy_function: no eager tensors made)
            images, errors = tf.numpy_function(read, [payload], (tf.float32, tf.string),
                                               stateful=False)  # (a payload's image is fixed)
            return {"position": position, "id": name,
                    "image": tf.ensure_shape(images, (None, *shape)), "label": label,
                    "error": tf.ensure_shape(errors, (None,))}

        return self._payloads(int(start), int(stop)).batch(batch_size).map(
            decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    def records(self, start: int, stop: int) -> tf.data.Dataset:
        """Records of the images numbered `start` to `stop - 1`, one by one, in order."""
        return self.batches(start, stop, 32).unbatch()

    def _payloads(self, start: int, stop: int) -> tf.data.Dataset:
        """(position, id, payload, label) of each image, undecoded."""
        raise NotImplementedError

    def _read(self, payload) -> np.ndarray:
        """One decoded image (H, W, C) from its payload; raises `decode.READ_ERRORS`."""
        raise NotImplementedError

    def _read_batch(self, payloads: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """(images (B, H, W, C), errors (B,)) of a batch of payloads."""
        return read_each(self._read, payloads, self.input_shape)

    def describe(self) -> dict:
        """What the manifest records about the source."""
        return {"spec": self.spec, "images": len(self)}

    def _check_bytes(self, contents: bytes) -> bytes:
        size = image_size(contents)
        if size is not None and (size.pixels > self.max_pixels or size.format == "animated webp"):
            raise InputError(f"expected a still image of at most {limit_text(self.max_pixels)}, "
                             f"got {size.format} {size.width} x {size.height}")
        return contents


class FolderSource(Source):
    """Image files under a folder, in sorted path order; files in a class sub-folder
    (`PATH/<class>/...`, the convention of `data.folder`) are labelled by the class's index in
    the sorted sub-folder names, files directly in PATH get label -1. Ids are relative paths."""

    def __init__(self, spec: str, input_shape: tuple, max_pixels: int = MAX_PIXELS):
        super().__init__(spec, input_shape, max_pixels)
        root = Path(self.location).expanduser()
        if not root.is_dir():
            raise InputError(f"data: expected a folder after 'folder:', got {str(root)!r}")
        self.root = root
        self.paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS
                            and p.is_file() and not p.name.startswith("."))
        if not self.paths:
            raise InputError(f"data: expected image files ({', '.join(IMAGE_EXTENSIONS)}) under "
                             f"{root}, found none")
        self.classes = sorted({p.relative_to(root).parts[0] for p in self.paths
                               if len(p.relative_to(root).parts) > 1})

    def __len__(self) -> int:
        return len(self.paths)

    def describe(self) -> dict:
        return {**super().describe(), "classes": self.classes}

    def _label(self, path: Path) -> int:
        parts = path.relative_to(self.root).parts
        return self.classes.index(parts[0]) if len(parts) > 1 else -1

    def _payloads(self, start, stop):
        paths = self.paths[start:stop]
        ids = [p.relative_to(self.root).as_posix() for p in paths]
        labels = [self._label(p) for p in paths]
        return tf.data.Dataset.from_tensor_slices((
            tf.range(start, start + len(paths), dtype=tf.int64), tf.constant(ids, tf.string),
            tf.constant([str(p) for p in paths], tf.string), tf.constant(labels, tf.int64)))

    def _read(self, path: bytes) -> np.ndarray:
        path = os.fsdecode(path)
        check_image_file(path, self.max_pixels)
        with open(path, "rb") as handle:
            return decoded(handle.read(), self.input_shape)


class TFRecordSource(Source):
    """TFRecord files (sorted glob matches) of tf.train.Examples with an encoded image under
    "image" or "image/encoded", and optionally an int64 "label" / "image/class/label" and a
    bytes "id" / "image/filename" (default id: "record-<number>")."""

    def __init__(self, spec: str, input_shape: tuple, max_pixels: int = MAX_PIXELS):
        super().__init__(spec, input_shape, max_pixels)
        self.files = sorted(glob.glob(os.path.expanduser(self.location)))
        if not self.files:
            raise InputError(f"data: expected TFRecord files matching {self.location!r}, "
                             "found none")
        self._length = None

    def __len__(self) -> int:
        if self._length is None:  # counted once, reading only record boundaries
            self._length = int(tf.data.TFRecordDataset(self.files).reduce(
                tf.constant(0, tf.int64), lambda count, _: count + 1))
        return self._length

    def _payloads(self, start, stop):
        raw = tf.data.TFRecordDataset(self.files).skip(start).take(stop - start)
        positions = tf.data.Dataset.range(start, stop)
        return tf.data.Dataset.zip((positions, raw)).map(_parse_example)

    def _read(self, contents: bytes) -> np.ndarray:
        return decoded(self._check_bytes(contents), self.input_shape)


def _parse_example(position, serialized):
    bytes_feature = tf.io.FixedLenFeature([], tf.string, default_value="")
    features = {key: bytes_feature for key in (*TFRECORD_IMAGE_KEYS, *TFRECORD_ID_KEYS)}
    features.update({key: tf.io.FixedLenFeature([], tf.int64, default_value=-1)
                     for key in TFRECORD_LABEL_KEYS})
    parsed = tf.io.parse_single_example(serialized, features)

    def first(keys, empty):
        value = parsed[keys[-1]]
        for key in reversed(keys[:-1]):
            value = tf.where(tf.equal(parsed[key], empty), value, parsed[key])
        return value

    default_id = tf.strings.join(["record-", tf.strings.as_string(position)])
    name = first(TFRECORD_ID_KEYS, "")
    name = tf.where(tf.equal(name, ""), default_id, name)
    return position, name, first(TFRECORD_IMAGE_KEYS, ""), first(TFRECORD_LABEL_KEYS, -1)


class NpySource(Source):
    """A .npy batch (B, H, W, C) or (B, H, W) of floats in [0, 1] (or 8-bit), memory-mapped so
    only the streamed images are read; ids are "<file>_<index>"."""

    def __init__(self, spec: str, input_shape: tuple, max_pixels: int = MAX_PIXELS):
        super().__init__(spec, input_shape, max_pixels)
        path = Path(spec).expanduser()
        try:
            self.array = np.load(path, mmap_mode="r")
        except (ValueError, OSError, EOFError) as error:
            raise InputError(f"data: could not read {path} as a .npy array ({error})") from error
        if self.array.dtype.kind not in "buif" or self.array.ndim not in (3, 4):
            raise InputError(f"data: expected a numeric (B, H, W, C) or (B, H, W) array in "
                             f"{path}, got dtype {self.array.dtype} and shape {self.array.shape}")
        self.name = path.name

    def __len__(self) -> int:
        return len(self.array)

    def _payloads(self, start, stop):
        ids = [f"{self.name}_{index}" for index in range(start, stop)]
        return tf.data.Dataset.from_tensor_slices((
            tf.range(start, stop, dtype=tf.int64), tf.constant(ids, tf.string),
            tf.range(start, stop, dtype=tf.int64),
            tf.fill([stop - start], tf.constant(-1, tf.int64))))

    def _read(self, index) -> np.ndarray:
        image = np.array(self.array[int(index)])
        if image.dtype.kind == "f" and not (np.isfinite(image).all() and image.min() >= 0
                                            and image.max() <= 1):
            raise InputError(f"expected finite values in [0, 1], got [{image.min():g}, "
                             f"{image.max():g}]")
        return fit_image(image, self.input_shape)

    def _read_batch(self, indices):
        """The batch's rows read as one block and fitted at once (the same values as `_read`);
        images out of [0, 1] or needing a resize go through `_read` one by one."""
        first, stop = int(indices[0]), int(indices[-1]) + 1
        if stop - first != len(indices):
            return super()._read_batch(indices)
        block = np.asarray(self.array[first:stop])
        valid = np.ones(len(block), bool)
        if block.dtype.kind == "f":  # NaN fails both comparisons, so they also check finiteness
            axes = tuple(range(1, block.ndim))
            valid = (block.min(axis=axes) >= 0) & (block.max(axis=axes) <= 1)
        fitted = fit_block(block if valid.all() else block[valid], self.input_shape)
        if fitted is None:
            return super()._read_batch(indices)
        if valid.all():
            return fitted, [""] * len(block)
        images = np.zeros((len(block), *self.input_shape), np.float32)
        images[valid] = fitted
        return read_each(self._read, indices, self.input_shape, np.flatnonzero(~valid), images)


class TfdsSource(Source):
    """A prepared TensorFlow Datasets split, `tfds:NAME` (split "test") or `tfds:NAME:SPLIT`;
    never downloaded (see `data.tfds_source`). Ids are "<name>:<split>:<number>"."""

    def __init__(self, spec: str, input_shape: tuple, max_pixels: int = MAX_PIXELS):
        super().__init__(spec, input_shape, max_pixels)
        from cnn_explain_tf.data.tfds_source import _builder

        self.name, _, split = self.location.partition(":")
        self.split = split or "test"
        self.info = _builder(self.name, None).info
        if self.split not in self.info.splits:
            raise InputError(f"data: expected a prepared split of tfds:{self.name} "
                             f"({', '.join(self.info.splits) or 'none prepared'}), got "
                             f"{self.split!r}")

    def __len__(self) -> int:
        return int(self.info.splits[self.split].num_examples)

    def _payloads(self, start, stop):
        from cnn_explain_tf.data.tfds_source import tfds_dataset

        pairs = tfds_dataset(self.name, self.split).skip(start).take(stop - start)
        positions = tf.data.Dataset.range(start, stop)
        prefix = f"{self.name}:{self.split}:"
        return tf.data.Dataset.zip((positions, pairs)).map(lambda position, pair: (
            position, tf.strings.join([prefix, tf.strings.as_string(position)]),
            tf.io.serialize_tensor(pair[0]), tf.cast(pair[1], tf.int64)))

    def _read(self, data: bytes) -> np.ndarray:
        return fit_image(tf.io.parse_tensor(data, tf.uint8).numpy(), self.input_shape)
