"""The reproduction's config and its presets, composed from the training jobs' own presets."""

from __future__ import annotations

import dataclasses

from cnn_explain_tf import __version__, data
from cnn_explain_tf.cgma_shards import ShardSpec
from cnn_explain_tf.models import zoo
from cnn_explain_tf.protocols.sft_gan import NOISE_AMOUNTS
from cnn_explain_tf.training import classifiers, sft_gan
from cnn_explain_tf.training.classifiers import TrainConfig
from cnn_explain_tf.training.sft_gan import GANConfig
from cnn_explain_tf.validation import InputError, check_config

__all__ = ["CORE_METHODS", "LEADERBOARD_METHODS", "PRESETS", "SEMANTICS", "STAGES", "VARIANTS",
           "ReproduceConfig"]

STAGES = ("classifiers", "cgma", "gan", "evaluate", "report")
"""The steps of a reproduction, in order; all but the report are cached pipeline stages."""
SEMANTICS = "similar"
"""The GANs are trained on the similar-semantics datasets (the paper's strategy 1)."""
VARIANTS = ("gsft", "lsft")
"""The two SFT-GAN generators: global and local SFT layers."""
CORE_METHODS = ("gradcam", "gsft", "lsft")
"""The paper's comparison: Grad-CAM and the two SFT-GAN variants."""
LEADERBOARD_METHODS = ("saliency", "smoothgrad", "guided_backprop", "deconvnet", "gradcam",
                       "gradcam++", "scorecam", "guided_gradcam", "lrp_epsilon", *VARIANTS)
"""Every explainer of the library, in the order of the report's leaderboard."""
_POSITIVE = ("eval_count", "noise_count", "leaderboard_count", "sanity_count",
             "sanity_checkpoints")


@dataclasses.dataclass(frozen=True)
class ReproduceConfig:
    """Everything a reproduction depends on; its hash names the run.

    Attributes:
        datasets: the GAN's training datasets (similar semantics, the paper's strategy 1).
        archs: classifier architectures trained on each of them.
        classifier: the classifiers' training recipe.
        shards: CGMA dataset spec (GAN resolution, k, class split, caps).
        gan: the LSFT and GSFT training recipe.
        unseen_datasets, unseen_archs: classifiers the GANs never saw (every pair of the two),
            trained with `classifier` and explained by the same GANs.
        eval_count: test images of each pair's held-out classes for Tables 1-3.
        noise_amounts: salt-and-pepper fractions of Fig. 12-13.
        noise_count: images per pair for the noise protocol.
        leaderboard_count: images per pair explained by every method.
        sanity_count: images per pair of the cascading-randomisation sanity check.
        sanity_checkpoints: comparisons along the cascade (evenly spaced, the fully randomised
            model last); each builds every explainer anew.
        seed: seeds training, splits, noise and randomisation.
        preset: the name of the preset this config is (or was derived from); it titles the
            report and turns on the quick preset's time goal. Not part of any stage's config.

    Raises:
        InputError: an empty name list, an unknown dataset or architecture, a GAN dataset of
            dissimilar semantics, a count below 1 or a noise amount outside (0, 1].
        TypeError: a count that is not an int.
    """

    datasets: tuple[str, ...]
    archs: tuple[str, ...]
    classifier: TrainConfig
    shards: ShardSpec
    gan: GANConfig
    unseen_datasets: tuple[str, ...]
    unseen_archs: tuple[str, ...]
    eval_count: int = 128
    noise_amounts: tuple[float, ...] = NOISE_AMOUNTS
    noise_count: int = 16
    leaderboard_count: int = 32
    sanity_count: int = 8
    sanity_checkpoints: int = 3
    seed: int = 0
    preset: str = "custom"

    def __post_init__(self):
        for name in ("datasets", "archs", "unseen_datasets", "unseen_archs"):
            if not getattr(self, name):
                raise InputError(f"{name}: expected at least one name, got none")
        for name in (*self.datasets, *self.unseen_datasets):
            data.info(name)  # raises ValueError naming the unknown dataset
        for name in self.datasets:
            if data.info(name).semantics != SEMANTICS:
                raise InputError(f"datasets: expected datasets of {SEMANTICS} semantics (the "
                                 f"GANs' semantics split), got {name!r} "
                                 f"({data.info(name).semantics or 'unknown'} semantics)")
        for name in (*self.archs, *self.unseen_archs):
            if name not in zoo.list_archs():
                raise InputError(f"archs: expected names of {zoo.list_archs()}, got {name!r}")
        check_config(self, positive=_POSITIVE)
        if not self.noise_amounts or not all(0 < a <= 1 for a in self.noise_amounts):
            raise InputError(f"noise_amounts: expected fractions in (0, 1], got "
                             f"{self.noise_amounts!r}")

    def stage_configs(self) -> dict[str, dict]:
        """Each cached stage's own config (the pipeline chains each with its upstream's hash).

        Every stage's config names the library version, so a new version rebuilds the run.
        """
        as_dict = dataclasses.asdict(self)
        own = {
            "classifiers": {key: as_dict[key] for key in (
                "datasets", "archs", "classifier", "unseen_datasets", "unseen_archs", "seed")},
            "cgma": {"shards": as_dict["shards"]},
            "gan": {"gan": as_dict["gan"], "seed": self.seed},
            "evaluate": {**{key: as_dict[key] for key in (*_POSITIVE, "noise_amounts")},
                         "methods": list(LEADERBOARD_METHODS)},
        }
        return {stage: {**config, "version": __version__} for stage, config in own.items()}


_GLYPHS = ("digits", "letters", "symbols")
_CLASSIFIER, _GAN = classifiers.PRESETS, sft_gan.PRESETS
PRESETS: dict[str, ReproduceConfig] = {
    "smoke": ReproduceConfig(
        datasets=("digits",), archs=("vgg_lite", "mobilenet_lite"),
        classifier=dataclasses.replace(_CLASSIFIER["quick"], epochs=1, max_examples=256),
        shards=ShardSpec(image_size=(32, 32), k=8, max_examples=48),
        gan=dataclasses.replace(_GAN["quick"], epochs=1, batch_size=16, max_examples=48),
        unseen_datasets=("objects32",), unseen_archs=("inception_lite",),
        eval_count=12, noise_amounts=(0.1, 0.5), noise_count=4, leaderboard_count=4,
        sanity_count=2, sanity_checkpoints=1, preset="smoke"),
    "quick": ReproduceConfig(
        datasets=_GLYPHS, archs=("vgg_lite", "resnet_lite", "mobilenet_lite"),
        classifier=_CLASSIFIER["quick"],
        shards=ShardSpec(image_size=(32, 32), k=8, max_examples=512),
        gan=dataclasses.replace(_GAN["quick"], epochs=8, max_examples=512),
        unseen_datasets=("objects32",), unseen_archs=("inception_lite", "resnet_lite"),
        preset="quick"),
    "paper": ReproduceConfig(
        datasets=_GLYPHS, archs=("vgg16", "resnet50", "mobilenet"),
        classifier=dataclasses.replace(_CLASSIFIER["paper"], image_size=(64, 64)),
        shards=ShardSpec(image_size=(64, 64), k=8),
        gan=_GAN["paper"],
        unseen_datasets=("objects32", "shapes64"),
        unseen_archs=("xception", "inceptionv3", "vgg19"),
        eval_count=512, noise_count=64, leaderboard_count=128, sanity_count=16, preset="paper"),
}
"""The named reproductions: smoke (tests, minutes), quick (2 CPU cores, under 30 minutes) and
paper (the paper's sizes and architectures with ImageNet transfer, for a GPU machine)."""
