"""Public entry points: list, describe and load datasets as ``tf.data`` pipelines or arrays."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence

import numpy as np
import tensorflow as tf

from cnn_explain_tf.data.base import EMBEDDED_SPLITS, DatasetInfo, check_classes, check_split
from cnn_explain_tf.data.embedded import EMBEDDED, embedded_arrays, embedded_info
from cnn_explain_tf.data.folder import folder_dataset, folder_info, scan_folder
from cnn_explain_tf.data.paper_sets import PAPER_SETS, paper_info, paper_source
from cnn_explain_tf.data.tfds_source import tfds_dataset, tfds_info
from cnn_explain_tf.validation import InputError

__all__ = ["list_datasets", "info", "load", "load_arrays", "class_split"]

TFDS_PREFIX = "tfds:"
FOLDER_PREFIX = "folder:"
PAPER_PREFIX = "paper:"
SHUFFLE_BUFFER = 10_000  # upper bound; embedded datasets are shuffled over their whole split


def list_datasets() -> list[str]:
    """Returns the names of the embedded offline datasets (each has ground-truth masks).

    "similar" semantics (grayscale 32x32 glyphs): ``digits`` (scikit-learn's handwritten digits,
    augmented), ``letters`` (A-Z) and ``symbols`` (``+ - * = % # @ & ? !``), both drawn in
    Hershey fonts. "dissimilar" semantics (shapes with clutter on scikit-image photographs):
    ``shapes64`` (colour 64x64), ``objects32`` (colour 32x32) and ``textures`` (grayscale
    48x48, texture-filled objects).

    ``load`` and ``info`` also accept three other kinds of names:

    * ``"tfds:NAME"``: a prepared TensorFlow Datasets image classification dataset, e.g.
      ``"tfds:mnist"``, ``"tfds:emnist/letters"``, ``"tfds:cifar10"``. Nothing is downloaded.
    * ``"folder:PATH"``: a Kaggle-style folder, one sub-folder of images per class.
    * ``"paper:NAME"``: the papers' own datasets (``data.paper_sets.PAPER_SETS``: mnist,
      emnist-letters, chinese-mnist, kmnist, cifar10, animals10, food11, cats-vs-dogs), read
      from tfds or from folders under the data root, with their semantics and, for the glyph
      sets, foreground masks derived from the strokes.

    tfds and folder names have no masks and unknown semantics.

    Returns:
        The embedded dataset names.
    """
    return list(EMBEDDED)


def info(name: str, data_dir: str | None = None) -> DatasetInfo:
    """Returns the metadata of dataset ``name`` (see ``list_datasets`` for the naming rules).

    Args:
        name: An embedded name, ``"tfds:NAME"``, ``"folder:PATH"`` or ``"paper:NAME"``.
        data_dir: tfds data directory (tfds names only).

    Returns:
        The dataset's ``DatasetInfo``; embedded datasets are not generated to answer, paper
        datasets are described without reading them.
    """
    kind, target = _parse_name(name)
    if kind == "paper":
        return paper_info(target)
    if kind == "tfds":
        return tfds_info(target, data_dir)
    if kind == "folder":
        return folder_info(target)
    return embedded_info(target)


def load(
    name: str,
    split: str = "train",
    image_size: Sequence[int] | None = None,
    with_masks: bool = False,
    seed: int = 0,
    batch_size: int | None = None,
    shuffle: bool | None = None,
    classes: Iterable[int] | None = None,
    data_dir: str | None = None,
) -> tf.data.Dataset:
    """Loads a dataset split as a ``tf.data`` pipeline (cache, shuffle, batch, prefetch).

    Args:
        name: An embedded name (``list_datasets()``), ``"tfds:NAME"`` or ``"folder:PATH"``.
        split: Embedded: ``"train"`` or ``"test"`` (made from different originals/draws).
            tfds: any split of the dataset, slices such as ``"train[:10%]"`` included.
            Folders: ``"train"``, ``"test"`` (a fixed 1-in-5 share of files, by a hash of the
            relative path) or ``"all"``.
        image_size: ``(height, width)`` to resize to (bilinear with antialiasing; masks by
            nearest neighbour); ``None`` keeps the native size. Channels are always native.
        with_masks: Also yield the ground-truth foreground mask (embedded datasets and the
            paper's glyph sets, whose ``info(name).has_masks`` is True).
        seed: Seeds the shuffle order and the generation of embedded datasets (each seed is
            generated once, then cached on disk).
        batch_size: ``None`` yields single examples; otherwise batches (last one may be short).
        shuffle: Defaults to ``split == "train"``.
        classes: Class indices to keep; labels keep their original indices.
        data_dir: tfds data directory (tfds names and tfds-based paper names).

    Returns:
        Elements ``(image float32 (H,W,C) in [0,1], label int32 scalar)``, plus
        ``mask float32 (H,W,1) in {0,1}`` when ``with_masks``; batched if ``batch_size``.

    Raises:
        ValueError: Unknown name (the message lists the valid ones), bad split or argument,
            ``with_masks`` on a tfds/folder dataset, or a folder with fewer than 2 classes.
        DatasetNotPreparedError: A tfds dataset is not prepared locally (a FileNotFoundError).

    Folder datasets decode every image once up front; unreadable or corrupt files are skipped
    with a ``UserWarning`` naming each file.
    """
    size = _check_image_size(image_size)
    seed = _check_int(seed, "seed", minimum=0)
    dataset = _source(name, split, with_masks, seed, classes, data_dir)
    dataset = dataset.map(lambda *element: _standardise(element, size), tf.data.AUTOTUNE)
    dataset = dataset.cache()
    if shuffle is None:
        shuffle = split == "train"
    if shuffle:
        dataset = dataset.shuffle(_shuffle_buffer(dataset), seed=seed)
    if batch_size is not None:
        dataset = _batch(dataset, _check_int(batch_size, "batch_size", minimum=1), name)
    return dataset.prefetch(tf.data.AUTOTUNE)


def load_arrays(
    name: str,
    split: str,
    image_size: Sequence[int] | None = None,
    with_masks: bool = False,
    seed: int = 0,
    *,
    classes: Iterable[int] | None = None,
    data_dir: str | None = None,
) -> tuple[np.ndarray, ...]:
    """Returns a whole split, unshuffled, as numpy arrays (arguments as in ``load``).

    Returns:
        ``(images (N,H,W,C) float32, labels (N,) int32)``, plus ``masks (N,H,W,1) float32``
        when ``with_masks``.
    """
    dataset = load(
        name,
        split,
        image_size,
        with_masks,
        seed,
        batch_size=256,
        shuffle=False,
        classes=classes,
        data_dir=data_dir,
    )
    batches = list(dataset.as_numpy_iterator())
    if not batches:
        raise ValueError(f"split {split!r} of {name!r} (classes={classes}) has no images")
    return tuple(np.concatenate(parts) for parts in zip(*batches, strict=True))


def class_split(
    num_classes: int, held_out_fraction: float = 0.3, seed: int = 0
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Splits class indices into seen (train) and unseen (held-out) classes.

    Args:
        num_classes: Number of classes, at least 2.
        held_out_fraction: Share of classes held out, in (0, 1); rounded, at least one class
            on each side.
        seed: Seeds the choice; the same seed gives the same split.

    Returns:
        ``(train_classes, held_out_classes)``: disjoint sorted tuples covering all classes.

    References:
        "Interpreting CNN Predictions using Conditional GANs" (arXiv 2301.08067): the SFT-GAN
        is trained on some classes and evaluated on unseen ones.
    """
    num_classes = _check_int(num_classes, "num_classes", minimum=2)
    if not 0.0 < held_out_fraction < 1.0:
        raise ValueError(f"held_out_fraction must be in (0, 1), got {held_out_fraction!r}")
    held_out = min(max(round(num_classes * held_out_fraction), 1), num_classes - 1)
    order = np.random.default_rng(seed).permutation(num_classes)
    return tuple(sorted(order[held_out:].tolist())), tuple(sorted(order[:held_out].tolist()))


def _parse_name(name: str) -> tuple[str, str]:
    """Returns ``(kind, target)``: kind is "embedded", "tfds" or "folder"."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, got {type(name).__name__}")
    for prefix in (TFDS_PREFIX, FOLDER_PREFIX):
        if name.startswith(prefix) and len(name) > len(prefix):
            return prefix[:-1], name[len(prefix) :]
    if name.startswith(PAPER_PREFIX) and name[len(PAPER_PREFIX) :] in PAPER_SETS:
        return "paper", name[len(PAPER_PREFIX) :]
    if name in EMBEDDED:
        return "embedded", name
    raise InputError(
        f"unknown dataset {name!r}; valid names: {', '.join(EMBEDDED)}, "
        f"'{TFDS_PREFIX}NAME' (e.g. 'tfds:mnist'), '{FOLDER_PREFIX}PATH' or "
        f"{', '.join(PAPER_PREFIX + n for n in PAPER_SETS)}"
    )


def _source(
    name: str,
    split: str,
    with_masks: bool,
    seed: int,
    classes: Iterable[int] | None,
    data_dir: str | None,
) -> tf.data.Dataset:
    """The raw examples of ``name``: ``(image, label[, mask])``, images not yet resized."""
    kind, target = _parse_name(name)
    if with_masks and not (kind == "embedded" or kind == "paper" and paper_info(target).has_masks):
        raise ValueError(
            f"with_masks=True needs a dataset with ground-truth masks ({', '.join(EMBEDDED)} "
            f"or the paper's glyph sets); {name!r} has none"
        )
    if kind == "paper":
        return paper_source(target, split, with_masks,
                            check_classes(classes, paper_info(target).num_classes), data_dir)
    if kind == "tfds":
        selected = check_classes(classes, tfds_info(target, data_dir).num_classes)
        return _keep_classes(tfds_dataset(target, split, data_dir), selected)
    if kind == "folder":
        index = scan_folder(target)
        return folder_dataset(index, split, check_classes(classes, len(index.class_names)))
    return _embedded_source(target, split, with_masks, seed, classes)


def _embedded_source(
    name: str, split: str, with_masks: bool, seed: int, classes: Iterable[int] | None
) -> tf.data.Dataset:
    check_split(split, EMBEDDED_SPLITS, name)
    selected = check_classes(classes, len(EMBEDDED[name].class_names))
    arrays = embedded_arrays(name, split, seed)
    keep = np.isin(arrays["labels"], selected) if selected else slice(None)
    tensors = (arrays["images"][keep], arrays["labels"][keep])
    if with_masks:
        tensors += (arrays["masks"][keep][..., None],)
    return tf.data.Dataset.from_tensor_slices(tensors)


def _keep_classes(dataset: tf.data.Dataset, selected: tuple[int, ...] | None) -> tf.data.Dataset:
    if selected is None:
        return dataset
    kept = tf.constant(selected, tf.int64)
    return dataset.filter(lambda image, label: tf.reduce_any(tf.cast(label, tf.int64) == kept))


def _standardise(element: tuple[tf.Tensor, ...], size: tuple[int, int] | None):
    """Converts to float32 images in [0,1], int32 labels and float32 masks; resizes if asked."""
    image = tf.image.convert_image_dtype(element[0], tf.float32)
    if size is not None:
        image = tf.clip_by_value(tf.image.resize(image, size, antialias=True), 0.0, 1.0)
    standard = (image, tf.cast(element[1], tf.int32))
    if len(element) == 3:
        mask = tf.cast(element[2], tf.float32)
        standard += (mask if size is None else tf.image.resize(mask, size, "nearest"),)
    return standard


def _shuffle_buffer(dataset: tf.data.Dataset) -> int:
    cardinality = int(dataset.cardinality())
    return min(cardinality, SHUFFLE_BUFFER) if cardinality > 0 else SHUFFLE_BUFFER


def _batch(dataset: tf.data.Dataset, batch_size: int, name: str) -> tf.data.Dataset:
    if None in dataset.element_spec[0].shape[:2]:
        raise ValueError(
            f"images of {name!r} differ in size: pass image_size=(height, width) to batch them"
        )
    return dataset.batch(batch_size)


def _check_image_size(image_size: Sequence[int] | None) -> tuple[int, int] | None:
    if image_size is None:
        return None
    try:
        height, width = (operator.index(v) for v in image_size)
    except (TypeError, ValueError):
        height = width = 0
    if height <= 0 or width <= 0:
        raise ValueError(f"image_size must be None or (height, width) > 0, got {image_size!r}")
    return (height, width)


def _check_int(value: int, argument: str, minimum: int) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        number = minimum - 1
    if number < minimum or isinstance(value, bool):
        raise ValueError(f"{argument} must be an int >= {minimum}, got {value!r}")
    return number
