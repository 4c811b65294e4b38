"""The architecture study's config and its presets (smoke, quick, paper)."""

from __future__ import annotations

import dataclasses

from cnn_explain_tf import data, explain
from cnn_explain_tf._version import __version__
from cnn_explain_tf.models import families, zoo
from cnn_explain_tf.protocols.architectures import AOPC_STEPS, PAPER_METHODS
from cnn_explain_tf.training import classifiers
from cnn_explain_tf.training.classifiers import TrainConfig
from cnn_explain_tf.validation import InputError, check_config

__all__ = ["LITE_13", "PAPER_12", "PRESETS", "STAGES", "StudyConfig"]

STAGES = ("models", "explain", "similarity", "perturbation", "report")
"""The steps of a study, in order; all but the report are cached pipeline stages."""
LITE_13 = ("alexnet_lite", "inception_lite", "vgg13_lite", "vgg16_lite", "vgg19_lite",
           "resnet50_lite", "resnet101_lite", "resnet152_lite", "densenet121_lite",
           "densenet169_lite", "densenet201_lite", "squeezenet1_0_lite", "squeezenet1_1_lite")
"""The 13 CPU-sized stand-ins of the paper's models, 6 families."""
PAPER_12 = ("alexnet", "inceptionv3", "vgg16", "vgg19", "resnet50", "resnet101", "resnet152",
            "densenet121", "densenet169", "densenet201", "squeezenet1_0", "squeezenet1_1")
"""The paper's Table 3.1 (keras.applications with ImageNet weights; AlexNet and SqueezeNet from
weight files)."""
_POSITIVE = ("image_count", "aopc_count", "permutations", "bootstrap_rounds", "aopc_steps",
             "patch_size")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """Everything a study depends on; its hash names the run.

    Attributes:
        archs: zoo architectures, each with a family and Grad-CAM layer declared in
            `models.families.MEMBERS` (at least 3, no duplicates).
        dataset: the embedded dataset the lite models are trained on and whose test images are
            explained; ignored with `images_dir`.
        classifier: the one training recipe of every lite model; None for pretrained models.
        image_count: images explained by every model x method.
        methods: the compared methods (registered explainer names).
        aopc_methods: the methods of the perturbation test; aopc_count images each.
        map_size: the common (H, W) every map is resized to before SSIM.
        permutations, bootstrap_rounds: of the family-hypothesis test and stability.
        aopc_steps, patch_size: perturbation steps and patch side (pixels at the model input).
        images_dir: a folder of images (paper preset: e.g. the paper's 20 ImageNet images);
            each is resized to every model's input size.
        weight_files: (arch, path) of the Keras weight files of architectures that Keras has
            no ImageNet weights for (AlexNet, SqueezeNet); with `classifier` None every other
            arch uses weights="imagenet".
        seed: seeds training, image choice, permutations, bootstrap and random maps.
        preset: the preset's name (titles the report); not part of any stage's config.

    Raises:
        InputError: fewer than 3 archs, duplicates, an arch without a declared family,
            an unknown dataset or method, or counts below 1.
    """

    archs: tuple[str, ...]
    classifier: TrainConfig | None
    dataset: str = "digits"
    image_count: int = 32
    methods: tuple[str, ...] = PAPER_METHODS
    aopc_methods: tuple[str, ...] = (*PAPER_METHODS, "lrp_epsilon")
    aopc_count: int = 32
    map_size: tuple[int, int] = (32, 32)
    permutations: int = 1000
    bootstrap_rounds: int = 200
    aopc_steps: int = AOPC_STEPS
    patch_size: int = 4
    images_dir: str | None = None
    weight_files: tuple[tuple[str, str], ...] = ()
    seed: int = 0
    preset: str = "custom"

    def __post_init__(self):
        if len(self.archs) < 3:
            raise InputError(f"archs: expected at least 3 models to compare, got "
                             f"{len(self.archs)} ({list(self.archs)})")
        duplicates = sorted({a for a in self.archs if self.archs.count(a) > 1})
        if duplicates:
            raise InputError(f"archs: expected distinct model names, got {duplicates} twice")
        for arch in self.archs:
            if arch not in zoo.list_archs():
                raise InputError(f"archs: expected names of {zoo.list_archs()}, got {arch!r}")
            families.member(arch)  # raises for an arch without a declared family / layer
        if self.images_dir is None:
            data.info(self.dataset)
        for method in (*self.methods, *self.aopc_methods):
            explain.get(method)
        check_config(self, positive=_POSITIVE)

    def stage_configs(self) -> dict[str, dict]:
        """Each cached stage's own config; every one names the library version."""
        as_dict = dataclasses.asdict(self)
        own = {"models": {k: as_dict[k] for k in ("archs", "classifier", "dataset",
                                                  "weight_files", "seed")},
               "explain": {k: as_dict[k] for k in ("image_count", "methods", "map_size",
                                                   "images_dir")},
               "similarity": {k: as_dict[k] for k in ("permutations", "bootstrap_rounds")},
               "perturbation": {k: as_dict[k] for k in ("aopc_methods", "aopc_count",
                                                        "aopc_steps", "patch_size")}}
        return {stage: {**config, "version": __version__} for stage, config in own.items()}


_RECIPE = classifiers.PRESETS["quick"]
PRESETS: dict[str, StudyConfig] = {
    "smoke": StudyConfig(
        archs=("alexnet_lite", "vgg13_lite", "vgg16_lite"),
        classifier=dataclasses.replace(_RECIPE, epochs=1, max_examples=512),
        image_count=4, methods=("saliency", "gradcam"), aopc_methods=("gradcam",),
        aopc_count=4, permutations=200, bootstrap_rounds=20, preset="smoke"),
    "quick": StudyConfig(archs=LITE_13, classifier=_RECIPE, preset="quick"),
    "paper": StudyConfig(archs=PAPER_12, classifier=None, image_count=20, aopc_count=20,
                         map_size=(224, 224), patch_size=16, images_dir="images",
                         preset="paper"),
}
"""smoke: the test suite (3 models, 2 families, a few minutes); quick: the 13 lite models on
digits (2 CPU cores, under 20 minutes); paper: the 12 keras.applications / classic models with
ImageNet weights on a folder of images (set `images_dir` and the AlexNet / SqueezeNet
`weight_files`; see the README)."""
