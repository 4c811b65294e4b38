"""The papers' own datasets ("paper:NAME"): where they come from, their semantics, stroke masks."""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import tensorflow as tf

from cnn_explain_tf.data.base import DatasetInfo, DatasetNotPreparedError, check_split
from cnn_explain_tf.data.folder import FolderIndex, folder_dataset, in_test_share, scan_folder
from cnn_explain_tf.data.tfds_source import tfds_dataset

__all__ = ["DATA_ROOT_ENV", "PAPER_SETS", "PAPER_SPLITS", "STROKE_THRESHOLD", "PaperSet",
           "check_prepared", "data_root", "paper_info", "paper_source", "stroke_masks"]

DATA_ROOT_ENV = "CNN_EXPLAIN_TF_DATA"
PAPER_SPLITS = ("train", "test")
STROKE_THRESHOLD = 0.5
"""A pixel is stroke when its intensity differs from the background (the median of the image's
border pixels) by at least half the full range: the anti-aliased edge of a pen stroke is cut
where the pixel is half covered by ink, the level at which the evaluation also binarises the
maps (127/255, Tables 1-2 of arXiv 2301.08067). For MNIST-like sets (background 0) the mask is
``image >= 0.5``; the rule also holds for dark ink on a light scan."""
_CHINESE_FILE = re.compile(r"input_\d+_\d+_(\d+)\.jpg$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class PaperSet:
    """One of the papers' datasets, described without reading it.

    Attributes:
        title: the dataset's usual name.
        class_names: one name per label (labels are ``0 .. len - 1``).
        image_shape: native ``(H, W, C)``; ``None`` sizes differ from image to image.
        semantics: "similar" (glyphs, strategy 1) or "dissimilar" (scenes, strategy 2).
        strokes: whether foreground masks are derived from the strokes (``stroke_masks``).
        page: where it is downloaded from.
        tfds: ``(tfds name, {split: tfds split})`` of a TensorFlow Datasets source.
        folders: ``{split: (path under the data root, folder split)}`` of a folder source.
        layout: "classes" (one sub-folder per class) or "chinese-mnist" (flat files
            ``input_<suite>_<sample>_<code>.jpg``, class ``code - 1``).
        label_offset: subtracted from the source's labels (EMNIST letters count from 1).
        transposed: the source stores images transposed (tfds's EMNIST, as the original
            files do: tensorflow/datasets#812); they are transposed back upright.
    """

    title: str
    class_names: tuple[str, ...]
    image_shape: tuple[int | None, int | None, int]
    semantics: str
    strokes: bool
    page: str
    tfds: tuple[str, dict[str, str]] | None = None
    folders: dict[str, tuple[str, str]] | None = None
    layout: str = "classes"
    label_offset: int = 0
    transposed: bool = False


_TFDS_SPLITS = {"train": "train", "test": "test"}
_KAGGLE = "https://www.kaggle.com/datasets/"
PAPER_SETS: dict[str, PaperSet] = {
    "mnist": PaperSet("MNIST", tuple("0123456789"), (28, 28, 1), "similar", True,
                      "https://www.tensorflow.org/datasets/catalog/mnist",
                      tfds=("mnist", _TFDS_SPLITS)),
    "emnist-letters": PaperSet(
        "EMNIST letters", tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), (28, 28, 1), "similar", True,
        "https://www.tensorflow.org/datasets/catalog/emnist", tfds=("emnist/letters", _TFDS_SPLITS),
        label_offset=1, transposed=True),
    "chinese-mnist": PaperSet(
        "Chinese MNIST", (*"0123456789", "10", "100", "1000", "10000", "100000000"),
        (64, 64, 1), "similar", True, _KAGGLE + "gpreda/chinese-mnist",
        folders={"train": ("chinese-mnist", "train"), "test": ("chinese-mnist", "test")},
        layout="chinese-mnist"),
    "kmnist": PaperSet("Kuzushiji-MNIST", ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re",
                                           "wo"), (28, 28, 1), "similar", True,
                       "https://www.tensorflow.org/datasets/catalog/kmnist",
                       tfds=("kmnist", _TFDS_SPLITS)),
    "cifar10": PaperSet("CIFAR-10", ("airplane", "automobile", "bird", "cat", "deer", "dog",
                                     "frog", "horse", "ship", "truck"), (32, 32, 3),
                        "dissimilar", False, "https://www.tensorflow.org/datasets/catalog/cifar10",
                        tfds=("cifar10", _TFDS_SPLITS)),
    "animals10": PaperSet(
        "Animals-10", ("cane", "cavallo", "elefante", "farfalla", "gallina", "gatto", "mucca",
                       "pecora", "ragno", "scoiattolo"), (None, None, 3), "dissimilar", False,
        _KAGGLE + "alessiocorrado99/animals10",
        folders={"train": ("animals10/raw-img", "train"), "test": ("animals10/raw-img", "test")}),
    "food11": PaperSet(
        "Food-11", ("Bread", "Dairy product", "Dessert", "Egg", "Fried food", "Meat",
                    "Noodles-Pasta", "Rice", "Seafood", "Soup", "Vegetable-Fruit"),
        (None, None, 3), "dissimilar", False, _KAGGLE + "trolukovich/food11-image-dataset",
        folders={"train": ("food11/training", "all"), "test": ("food11/evaluation", "all")}),
    "cats-vs-dogs": PaperSet("Cats vs Dogs", ("cat", "dog"), (None, None, 3), "dissimilar",
                             False, "https://www.tensorflow.org/datasets/catalog/cats_vs_dogs",
                             tfds=("cats_vs_dogs", {"train": "train[:80%]",
                                                    "test": "train[80%:]"})),
}
"""The SFT-GAN paper's datasets (Sec. 4.1 of arXiv 2301.08067: strategy 1 on MNIST, EMNIST and
Chinese MNIST, strategy 2 on CIFAR-10, Animals-10 and Food-11; Cats vs Dogs is one of its unseen
sets, Sec. 4.3.4) and Kuzushiji-MNIST (an unseen glyph set standing in for the paper's Tamil
characters, which no registry serves)."""


def data_root() -> Path:
    """The folder holding the folder-based paper sets: ``$CNN_EXPLAIN_TF_DATA`` or ``./data``."""
    return Path(os.environ.get(DATA_ROOT_ENV) or "data").expanduser()


def paper_info(name: str) -> DatasetInfo:
    """The metadata of ``paper:NAME``, known without reading the data."""
    spec = PAPER_SETS[name]
    return DatasetInfo(name=f"paper:{name}", num_classes=len(spec.class_names),
                       class_names=spec.class_names, image_shape=spec.image_shape,
                       semantics=spec.semantics, has_masks=spec.strokes)


def paper_source(name: str, split: str, with_masks: bool, classes: tuple[int, ...] | None,
                 data_dir: str | None = None) -> tf.data.Dataset:
    """``(image, label[, mask])`` of ``paper:NAME``'s split (images not yet resized).

    Raises:
        DatasetNotPreparedError: the tfds set is not prepared or the folder is missing (the
            message names the download page and the expected path).
        ValueError: bad split, or a folder whose class sub-folders are not the expected ones.
    """
    spec = PAPER_SETS[name]
    check_split(split, PAPER_SPLITS, f"paper:{name}")
    if spec.tfds:
        dataset = tfds_dataset(spec.tfds[0], spec.tfds[1][split], data_dir)
        dataset = dataset.map(lambda image, label: (image, tf.cast(label, tf.int32)))
    else:
        dataset = folder_dataset(_folder_index(name, split), spec.folders[split][1], None)
    dataset = dataset.map(lambda image, label: _adjust(spec, image, label))
    keep = tf.constant(classes if classes else range(len(spec.class_names)), tf.int32)
    dataset = dataset.filter(lambda image, label: tf.reduce_any(label == keep))
    if with_masks:
        dataset = dataset.map(lambda image, label: (image, label, stroke_masks(image[None])[0]))
    return dataset


def stroke_masks(images: tf.Tensor) -> tf.Tensor:
    """Foreground masks (B, H, W, 1) float32 in {0, 1} of glyph images (B, H, W, C).

    A pixel is foreground when its intensity (mean over channels, in [0, 1]) is at least
    `STROKE_THRESHOLD` away from the image's background, the median of its border pixels.
    """
    gray = tf.reduce_mean(tf.image.convert_image_dtype(images, tf.float32), -1)
    border = tf.concat([gray[:, 0], gray[:, -1], gray[:, :, 0], gray[:, :, -1]], axis=1)
    background = tf.sort(border)[:, tf.shape(border)[1] // 2]
    return tf.cast(tf.abs(gray - background[:, None, None]) >= STROKE_THRESHOLD,
                   tf.float32)[..., None]


def check_prepared(names: Iterable[str], data_dir: str | None = None) -> None:
    """Raises `DatasetNotPreparedError` unless every ``paper:`` set among ``names`` is readable
    (other names are ignored); a run checks this before it trains anything."""
    for name in names:
        if name.startswith("paper:"):
            paper_source(name[len("paper:"):], "test", False, None, data_dir)


def _adjust(spec: PaperSet, image: tf.Tensor, label: tf.Tensor):
    if spec.transposed:
        image = tf.transpose(image, [1, 0, 2])
    return image, label - spec.label_offset


def _folder_index(name: str, split: str) -> FolderIndex:
    spec = PAPER_SETS[name]
    root = data_root() / spec.folders[split][0]
    if not root.is_dir():
        raise DatasetNotPreparedError(
            f"paper:{name}: expected {spec.title} in {root} (under the data root "
            f"{data_root()}, set by --data-root or ${DATA_ROOT_ENV}); download it from "
            f"{spec.page} and unpack it there (see the data guide's 'paper datasets')")
    index = _scanned(str(root.resolve()), spec.layout)
    if index.class_names != spec.class_names:
        raise ValueError(f"paper:{name}: expected the class folders {list(spec.class_names)} "
                         f"in {root}, got {list(index.class_names)}")
    return index


@functools.lru_cache(maxsize=8)
def _scanned(root: str, layout: str) -> FolderIndex:
    """The folder's index, scanned once per process: a run reads each split many times, and
    scanning decodes every image of a folder (about 26,000 in Animals-10)."""
    return _chinese_mnist_index(Path(root)) if layout == "chinese-mnist" else scan_folder(root)


def _chinese_mnist_index(root: Path) -> FolderIndex:
    """The Kaggle Chinese MNIST files (``input_<suite>_<sample>_<code>.jpg``, anywhere under
    ``root``); class ``code - 1``, codes 1-15 for 0-9, 10, 100, 1000, 10^4, 10^8."""
    names = PAPER_SETS["chinese-mnist"].class_names
    found = sorted((path, int(match.group(1)) - 1) for path in root.rglob("*.jpg")
                   if (match := _CHINESE_FILE.search(path.name)))
    found = [(path, label) for path, label in found if 0 <= label < len(names)]
    if not found:
        raise DatasetNotPreparedError(f"paper:chinese-mnist: expected input_*_*_*.jpg files "
                                      f"under {root}, found none")
    paths, labels = zip(*found, strict=True)
    return FolderIndex(paths=tuple(map(str, paths)), labels=np.array(labels, np.int32),
                       class_names=names, image_shape=(64, 64, 1),
                       in_test=np.array([in_test_share(p.relative_to(root)) for p in paths]))
