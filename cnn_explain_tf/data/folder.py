"""Kaggle-style image folders (``"folder:PATH"``): one sub-folder of images per class."""

from __future__ import annotations

import dataclasses
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np
import tensorflow as tf

from cnn_explain_tf.data.base import DatasetInfo, check_split
from cnn_explain_tf.data.image_limits import MAX_PIXELS, check_image_file
from cnn_explain_tf.validation import InputError

__all__ = ["FOLDER_SPLITS", "FolderIndex", "folder_dataset", "folder_info", "in_test_share",
           "scan_folder"]

IMAGE_EXTENSIONS = (".bmp", ".jpeg", ".jpg", ".png")
FOLDER_SPLITS = ("train", "test", "all")
TEST_SHARE = 5  # one file in TEST_SHARE goes to "test", chosen by a hash of its relative path


@dataclasses.dataclass(frozen=True)
class FolderIndex:
    """The readable images of a folder dataset.

    Attributes:
        paths: Image file paths, class by class.
        labels: Class index of each path (int32).
        class_names: Sorted class sub-folder names that hold at least one readable image.
        image_shape: ``(H, W, C)``; ``H``/``W`` are ``None`` when sizes differ; ``C`` is 3 when
            any image has colour, else 1.
        in_test: Whether each path belongs to the "test" split.
    """

    paths: tuple[str, ...]
    labels: np.ndarray
    class_names: tuple[str, ...]
    image_shape: tuple[int | None, int | None, int]
    in_test: np.ndarray


def scan_folder(root: str | Path, max_pixels: int = MAX_PIXELS) -> FolderIndex:
    """Lists and validates the images under ``root/<class>/``.

    Every candidate file (``.bmp``, ``.jpeg``, ``.jpg``, ``.png``, searched recursively inside
    each class folder) is decoded once. Unreadable or corrupt files, and files whose header
    claims more than ``max_pixels`` pixels (checked before decoding), are skipped with a
    ``UserWarning`` naming each file; other file types are ignored.

    Raises:
        ValueError: ``root`` is not a directory, or fewer than 2 class folders hold images.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ValueError(f"folder dataset path must be a directory, got {str(root)!r}")
    found = {d.name: _readable_images(d, max_pixels)
             for d in sorted(root.iterdir()) if _is_class_dir(d)}
    found = {name: images for name, images in found.items() if images}
    if len(found) < 2:
        raise ValueError(
            f"folder dataset {str(root)!r} needs at least 2 class sub-folders with images "
            f"({', '.join(IMAGE_EXTENSIONS)}), found {len(found)}: {sorted(found)}"
        )
    entries = [
        (path, label, shape)
        for label, images in enumerate(found.values())
        for path, shape in images
    ]
    paths, labels, shapes = zip(*entries, strict=True)
    return FolderIndex(
        paths=paths,
        labels=np.array(labels, np.int32),
        class_names=tuple(found),
        image_shape=_common_shape(shapes),
        in_test=np.array([in_test_share(Path(p).relative_to(root)) for p in paths]),
    )


def folder_info(root: str | Path) -> DatasetInfo:
    """Returns the metadata of a folder dataset (scans and validates the folder)."""
    index = scan_folder(root)
    return DatasetInfo(
        name=f"folder:{root}",
        num_classes=len(index.class_names),
        class_names=index.class_names,
        image_shape=index.image_shape,
        semantics=None,
        has_masks=False,
    )


def folder_dataset(
    index: FolderIndex, split: str, classes: tuple[int, ...] | None
) -> tf.data.Dataset:
    """Returns ``(image float32 (H,W,C) in [0,1], label int32)`` pairs of ``split``.

    "test" is a fixed 1-in-5 share of the files (by a hash of each relative path, so it is
    independent of the seed and stable when files are added); "train" is the rest; "all" is all.
    """
    check_split(split, FOLDER_SPLITS, "folder datasets")
    keep = np.ones(len(index.paths), bool) if split == "all" else index.in_test == (split == "test")
    if classes is not None:
        keep &= np.isin(index.labels, classes)
    paths = tf.constant(np.array(index.paths, dtype=object)[keep].astype(str))
    dataset = tf.data.Dataset.from_tensor_slices((paths, index.labels[keep]))
    return dataset.map(lambda path, label: (_decode(path, index.image_shape), label))


def _decode(path: tf.Tensor, shape: tuple[int | None, int | None, int]) -> tf.Tensor:
    """Decodes any supported image as float32 RGB, keeping one channel for grayscale sets."""
    image = tf.io.decode_image(
        tf.io.read_file(path), channels=3, expand_animations=False, dtype=tf.float32
    )
    return tf.ensure_shape(image[..., : shape[2]], shape)


def _is_class_dir(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".")


def _readable_images(class_dir: Path, max_pixels: int) -> list[tuple[str, tuple[int, ...]]]:
    """(path, decoded shape) of each image file under ``class_dir``; warns on unreadable ones
    and on ones over the pixel limit (not decoded)."""
    images = []
    for path in sorted(class_dir.rglob("*")):
        if path.suffix.lower() not in IMAGE_EXTENSIONS or not path.is_file():
            continue
        try:
            check_image_file(path, max_pixels)
        except InputError as error:
            warnings.warn(f"skipping image file: {error}", stacklevel=4)
            continue
        except OSError:
            pass  # cv2 below reports the file as unreadable
        decoded = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if decoded is None:
            warnings.warn(f"skipping unreadable or corrupt image file: {path}", stacklevel=4)
            continue
        images.append((str(path), decoded.shape))
    return images


def _common_shape(shapes: tuple[tuple[int, ...], ...]) -> tuple[int | None, int | None, int]:
    channels = 3 if any(len(s) == 3 and s[2] >= 3 for s in shapes) else 1
    sizes = {s[:2] for s in shapes}
    height, width = sizes.pop() if len(sizes) == 1 else (None, None)
    return (height, width, channels)


def in_test_share(relative_path: Path) -> bool:
    """Whether a file belongs to the "test" split: 1 in `TEST_SHARE`, by a hash of its path
    relative to the dataset's root."""
    return zlib.crc32(relative_path.as_posix().encode()) % TEST_SHARE == 0
