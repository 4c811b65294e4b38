"""Where an architecture study keeps its files, and how it gets its models and images back."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import artifacts, data, graph
from cnn_explain_tf.models import families, zoo
from cnn_explain_tf.studies.architectures.config import StudyConfig
from cnn_explain_tf.validation import InputError

__all__ = ["IMAGE_SUFFIXES", "Study", "folder_images", "pretrained_model"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
_APPLICATIONS = {"inceptionv3": "InceptionV3", "vgg16": "VGG16", "vgg19": "VGG19",
                 "resnet50": "ResNet50", "resnet101": "ResNet101", "resnet152": "ResNet152",
                 "densenet121": "DenseNet121", "densenet169": "DenseNet169",
                 "densenet201": "DenseNet201"}
_PREPROCESSING = {"inception": "tf", "vgg": "caffe", "resnet": "caffe", "densenet": "torch"}


@dataclasses.dataclass(frozen=True)
class Study:
    """One study: its run folder, config and verbosity.

    The folder holds `run.json`, the stage folders `models/` (trained lite models and
    `models.json`), `explain/` (`maps.npz`, `explain.json`), `similarity/`
    (`similarity.npz`, `similarity.json`), `perturbation/` (`aopc.json`), then `figures/`,
    `results.json` and `report.html`.
    """

    out_dir: Path
    config: StudyConfig
    verbose: int = 1
    loaded: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def model(self, arch: str) -> keras.Model:
        """A trained lite model (from `models/`, loaded once per study and kept in `loaded`)
        or a pretrained one (built, weights loaded, at every call: ImageNet models are too
        large to keep twelve)."""
        if self.config.classifier is None:
            return pretrained_model(arch, dict(self.config.weight_files).get(arch))
        if arch not in self.loaded:
            path = self.out_dir / "models" / f"{self.config.dataset}__{arch}.keras"
            self.loaded[arch] = artifacts.load_model(path, "classifier")
        return self.loaded[arch]

    def images(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(images (N, H, W, C) in [0, 1], labels (N,) (-1: unknown), names) to explain."""
        config = self.config
        if config.images_dir is not None:
            images, names = folder_images(config.images_dir, config.image_count)
            return images, np.full(len(images), -1), names
        images, labels = data.load_arrays(config.dataset, "test", seed=config.seed)[:2]
        chosen = np.sort(np.random.default_rng(config.seed).choice(
            len(images), min(config.image_count, len(images)), replace=False))
        return images[chosen], labels[chosen], [f"test #{i}" for i in chosen]

    def figure(self, name: str) -> Path:
        """A report figure's path, relative to the run folder."""
        return Path("figures") / f"{name}.png"


def at_input_size(model: keras.Model, images: np.ndarray) -> tuple[np.ndarray, bool]:
    """`images` resized (bilinear) and converted to the model's input size and channels;
    returns (images, whether they were resized)."""
    height, width, channels = graph.input_shape(model)
    resized = images.shape[1:3] != (height, width)
    if resized:
        images = tf.image.resize(images, (height, width)).numpy()
    if images.shape[-1] != channels:
        images = np.repeat(images.mean(axis=-1, keepdims=True), channels, axis=-1)
    return np.clip(images, 0, 1).astype(np.float32), resized


def folder_images(folder: str | Path, limit: int) -> tuple[np.ndarray, list[str]]:
    """Up to `limit` image files of `folder` (sorted by name), as (N, 299, 299, 3) in [0, 1].

    Raises:
        InputError: a folder that does not exist or holds no image file.
    """
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) \
        if folder.is_dir() else []
    if not files:
        found = "no images in it" if folder.is_dir() else "not a folder"
        raise InputError(f"images_dir: expected a folder holding {'/'.join(IMAGE_SUFFIXES)} "
                         f"images, got {folder} ({found})")
    loaded = [keras.utils.img_to_array(keras.utils.load_img(p, target_size=(299, 299)))
              for p in files[:limit]]
    return np.stack(loaded).astype(np.float32) / 255.0, [p.name for p in files[:limit]]


def pretrained_model(arch: str, weights_file: str | None = None) -> keras.Model:
    """The paper preset's ImageNet classifier of `arch`, taking [0, 1] RGB images: a
    keras.applications model with its top (weights="imagenet", needs network once), or our
    AlexNet / SqueezeNet builder with a weights file (`zoo.build`)."""
    if zoo.list_archs("classic").count(arch):
        if weights_file is None:
            raise InputError(f"weight_files: expected a .weights.h5 file for {arch!r} (Keras has "
                             "no ImageNet weights for it), got none")
        return zoo.build(arch, (224, 224, 3), 1000, weights=weights_file)
    if arch not in _APPLICATIONS:
        raise InputError(f"archs: expected a keras.applications or classic architecture for "
                         f"pretrained models, got {arch!r}")
    network = getattr(keras.applications, _APPLICATIONS[arch])(weights="imagenet")
    size = network.input.shape[1:3]
    inputs = keras.Input((*size, 3), name="image")
    mode = _PREPROCESSING[families.member(arch).family]
    x = zoo.ImageNetPreprocessing(mode, name="imagenet_preprocessing")(inputs)
    return keras.Model(inputs, network(x), name=f"{arch}_imagenet")
