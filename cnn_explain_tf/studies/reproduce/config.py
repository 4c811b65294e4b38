"""The reproduction's config and its presets, composed from the training jobs' own presets."""

from __future__ import annotations

import dataclasses

from cnn_explain_tf import data
from cnn_explain_tf._version import __version__
from cnn_explain_tf.data.cgma_shards import ShardSpec
from cnn_explain_tf.models import zoo
from cnn_explain_tf.models.sft import GeneratorSize
from cnn_explain_tf.protocols.sft_gan import NOISE_AMOUNTS
from cnn_explain_tf.training import classifiers, sft_gan
from cnn_explain_tf.training.classifiers import TrainConfig
from cnn_explain_tf.training.sft_gan import GANConfig
from cnn_explain_tf.validation import InputError, check_config

__all__ = ["CORE_METHODS", "FIG7_HELDOUT", "FIG7_SHOWN", "LEADERBOARD_METHODS", "PRESETS",
           "STRATEGIES", "STAGES",
           "STRATEGY_ONE_LSFT", "VARIANTS", "ReproduceConfig"]

STAGES = ("classifiers", "cgma", "gan", "evaluate", "fig7", "report")
"""The steps of a reproduction, in order; all but the report are cached pipeline stages (Fig. 7
last, so adding it to a finished run keeps the other stages cached)."""
FIG7_HELDOUT = 128
"""Fig. 7: held-out examples per pair on which each epoch's reconstruction error is measured."""
FIG7_SHOWN = 2
"""Fig. 7: held-out images of the single dataset shown for each of the two LSFTs."""
STRATEGIES = ("similar", "dissimilar")
"""The paper's training strategies by the semantics of their datasets: strategy 1 trains the
GANs on similar-semantics datasets, strategy 2 on dissimilar ones (Sec. 4.1)."""
VARIANTS = ("gsft", "lsft")
"""The two SFT-GAN generators: global and local SFT layers."""
CORE_METHODS = ("gradcam", "gsft", "lsft")
"""The paper's comparison: Grad-CAM and the two SFT-GAN variants (of the pair's strategy; the
strategy-2 GANs on the unseen pairs, as in Sec. 4.3.4)."""
STRATEGY_ONE_LSFT = "lsft_similar"
"""The strategy-1 LSFT on the unseen pairs, compared with strategy 2's for Fig. 9."""
LEADERBOARD_METHODS = ("saliency", "smoothgrad", "vargrad", "squaregrad", "gradient_shap",
                       "guided_backprop", "deconvnet", "gradient_x_input",
                       "integrated_gradients", "deeplift", "lrp_epsilon", "lrp_zplus",
                       "lrp_alpha_beta", "lrp_gamma", "lrp_epsilon_plus_flat",
                       "lrp_epsilon_alpha2_beta1", "lrp_epsilon_gamma_box", "occlusion", "rise",
                       "lime", "kernel_shap", "sobol", "hsic", "gradcam", "gradcam++",
                       "xgradcam", "hirescam", "layercam", "eigencam", "fullgrad", "fem",
                       "ablationcam", "scorecam", "guided_gradcam", *VARIANTS)
"""Every explainer of the library that applies to a CNN (gradients and attributions, LRP rules,
perturbations, CAMs, then the SFT-GANs), in the order of the report's leaderboard and sanity
check; the attention methods need a transformer."""
_POSITIVE = ("eval_count", "noise_count", "leaderboard_count", "sanity_count",
             "sanity_checkpoints", "rise_masks", "resamples")


@dataclasses.dataclass(frozen=True)
class ReproduceConfig:
    """Everything a reproduction depends on; its hash names the run.

    Attributes:
        datasets: strategy 1's GAN training datasets (similar semantics), at least two.
        dissimilar_datasets: strategy 2's (dissimilar semantics), at least two.
        archs: classifier architectures trained on each of them.
        classifier: the classifiers' training recipe.
        shards: CGMA dataset spec (GAN resolution, k, class split, caps).
        gan: the LSFT and GSFT training recipe (each strategy trains both on its own pairs).
        unseen_datasets, unseen_archs: classifiers neither strategy saw (every pair of the two),
            trained with `classifier`, explained by the strategy-2 GANs (and strategy 1's LSFT
            for Fig. 9); a dataset of either strategy is refused.
        eval_count: test images of each pair's held-out classes for Tables 1-3.
        noise_amounts: salt-and-pepper fractions of Fig. 12-13.
        noise_count: images per pair for the noise protocol.
        leaderboard_count: images per pair explained by every method.
        sanity_count: images per pair of the cascading-randomisation sanity check.
        sanity_checkpoints: comparisons along the cascade (evenly spaced, the fully randomised
            model last); each builds every explainer anew.
        rise_masks: random masks of RISE in the leaderboard and the sanity check.
        leaderboard_datasets: strategy 1's datasets whose pairs get the leaderboard and the
            sanity check (every explainer, the slowest protocols); None: all of them.
        leaderboard_methods: the explainers of the leaderboard and the sanity check, some of
            `LEADERBOARD_METHODS`; all of them but in the smoke preset.
        resamples: bootstrap resamples of every 95 % interval of the report.
        seed: seeds training, splits, noise, randomisation and the bootstrap.
        preset: the name of the preset this config is (or was derived from); it titles the
            report and turns on the quick preset's time goal. Not part of any stage's config.

    Raises:
        InputError: an empty name list, a strategy with fewer than two datasets, an unknown
            dataset or architecture, a strategy's dataset of the other semantics, an unseen
            dataset that a strategy has seen, an unknown leaderboard method, a count below 1 or
            a noise amount outside (0, 1].
        TypeError: a count that is not an int.
    """

    datasets: tuple[str, ...]
    dissimilar_datasets: tuple[str, ...]
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
    rise_masks: int = 1000
    leaderboard_datasets: tuple[str, ...] | None = None
    leaderboard_methods: tuple[str, ...] = LEADERBOARD_METHODS
    resamples: int = 2000
    seed: int = 0
    preset: str = "custom"

    def __post_init__(self):
        for name in ("archs", "unseen_datasets", "unseen_archs"):
            if not getattr(self, name):
                raise InputError(f"{name}: expected at least one name, got none")
        for name in (*self.seen_datasets(), *self.unseen_datasets):
            data.info(name)  # raises ValueError naming the unknown dataset
        for semantics in STRATEGIES:
            self._check_strategy(semantics)
        outside = [n for n in self.leaderboard_datasets or () if n not in self.datasets]
        if outside or self.leaderboard_datasets == ():
            raise InputError(f"leaderboard_datasets: expected some of the datasets "
                             f"{list(self.datasets)} or None, got {self.leaderboard_datasets!r}")
        unknown = [n for n in self.leaderboard_methods if n not in LEADERBOARD_METHODS]
        if unknown or not self.leaderboard_methods:
            raise InputError(f"leaderboard_methods: expected some of {list(LEADERBOARD_METHODS)}"
                             f", got {self.leaderboard_methods!r}")
        seen = [name for name in self.unseen_datasets if name in self.seen_datasets()]
        if seen:
            raise InputError(f"unseen_datasets: expected datasets that neither strategy trains "
                             f"on ({list(self.seen_datasets())}), got {seen}: they would not be "
                             "unseen")
        for name in (*self.archs, *self.unseen_archs):
            if name not in zoo.list_archs():
                raise InputError(f"archs: expected names of {zoo.list_archs()}, got {name!r}")
        check_config(self, positive=_POSITIVE)
        if not self.noise_amounts or not all(0 < a <= 1 for a in self.noise_amounts):
            raise InputError(f"noise_amounts: expected fractions in (0, 1], got "
                             f"{self.noise_amounts!r}")

    def strategy_datasets(self, semantics: str) -> tuple[str, ...]:
        """The GAN training datasets of one strategy ("similar" or "dissimilar")."""
        return self.datasets if semantics == "similar" else self.dissimilar_datasets

    def seen_datasets(self) -> tuple[str, ...]:
        """Every GAN training dataset, strategy 1's first."""
        return (*self.datasets, *self.dissimilar_datasets)

    def _check_strategy(self, semantics: str) -> None:
        field = "datasets" if semantics == "similar" else "dissimilar_datasets"
        names = self.strategy_datasets(semantics)
        if len(names) < 2:
            raise InputError(f"{field}: expected at least two datasets of {semantics} semantics "
                             f"(a strategy trains its GANs on several datasets), got "
                             f"{list(names)}")
        for name in names:
            if data.info(name).semantics != semantics:
                raise InputError(f"{field}: expected datasets of {semantics} semantics, got "
                                 f"{name!r} ({data.info(name).semantics or 'unknown'} semantics)")

    def stage_configs(self) -> dict[str, dict]:
        """Each cached stage's own config (the pipeline chains each with its upstream's hash).

        Every stage's config names the library version, so a new version rebuilds the run.
        """
        as_dict = dataclasses.asdict(self)
        own = {
            "classifiers": {key: as_dict[key] for key in (
                "datasets", "dissimilar_datasets", "archs", "classifier", "unseen_datasets",
                "unseen_archs", "seed")},
            "cgma": {"shards": as_dict["shards"]},
            "gan": {"gan": as_dict["gan"], "seed": self.seed},
            "evaluate": {key: as_dict[key] for key in (
                *_POSITIVE, "noise_amounts", "leaderboard_datasets", "leaderboard_methods")
                if key != "resamples"},  # the report draws the intervals
            "fig7": {"heldout": FIG7_HELDOUT, "shown": FIG7_SHOWN},
        }
        return {stage: {**config, "version": __version__} for stage, config in own.items()}


_GLYPHS = ("digits", "letters", "symbols")
_SCENES = ("shapes64", "objects32", "textures")
_UNSEEN = ("lowercase", "patterns32")  # one of similar, one of dissimilar semantics
_CLASSIFIER, _GAN = classifiers.PRESETS, sft_gan.PRESETS
SMOKE_GENERATOR = GeneratorSize(channels=8, num_blocks=4, condition_filters=8,
                                condition_channels=4, downsample=4)
"""The smoke preset's generator: k = 4 SFT blocks, half the quick trunk (its time is tracing)."""
PRESETS: dict[str, ReproduceConfig] = {
    "smoke": ReproduceConfig(
        datasets=("digits", "symbols"), dissimilar_datasets=("objects32", "textures"),
        archs=("vgg_lite",),
        classifier=dataclasses.replace(_CLASSIFIER["quick"], epochs=1, max_examples=256),
        shards=ShardSpec(image_size=(32, 32), k=4, max_examples=32),
        gan=dataclasses.replace(_GAN["quick"], epochs=1, batch_size=16, max_examples=32,
                                generator_size=SMOKE_GENERATOR),
        unseen_datasets=_UNSEEN, unseen_archs=("resnet_lite",),
        eval_count=12, noise_amounts=(0.1, 0.5), noise_count=4, leaderboard_count=4,
        sanity_count=2, sanity_checkpoints=1, rise_masks=64, leaderboard_datasets=("digits",),
        leaderboard_methods=("saliency", "rise", "gradcam", *VARIANTS), resamples=200,
        preset="smoke"),
    "quick": ReproduceConfig(
        datasets=_GLYPHS, dissimilar_datasets=_SCENES,
        archs=("vgg_lite", "resnet_lite", "mobilenet_lite"),
        classifier=dataclasses.replace(_CLASSIFIER["quick"], max_examples=2048),
        shards=ShardSpec(image_size=(32, 32), k=8, max_examples=256),
        gan=_GAN["quick"],
        unseen_datasets=_UNSEEN, unseen_archs=("inception_lite", "resnet_lite"),
        eval_count=96, leaderboard_count=24, sanity_checkpoints=2, rise_masks=500,
        leaderboard_datasets=("digits",), preset="quick"),
    "paper": ReproduceConfig(
        datasets=_GLYPHS, dissimilar_datasets=_SCENES, archs=("vgg16", "resnet50", "mobilenet"),
        classifier=dataclasses.replace(_CLASSIFIER["paper"], image_size=(64, 64)),
        shards=ShardSpec(image_size=(64, 64), k=8),
        gan=_GAN["paper"],
        unseen_datasets=_UNSEEN, unseen_archs=("xception", "inceptionv3", "vgg19"),
        eval_count=512, noise_count=64, leaderboard_count=128, sanity_count=16, preset="paper"),
    "paper-data": ReproduceConfig(
        datasets=("paper:mnist", "paper:emnist-letters", "paper:chinese-mnist"),
        dissimilar_datasets=("paper:cifar10", "paper:animals10", "paper:food11"),
        archs=classifiers.PAPER_ARCHS,
        classifier=dataclasses.replace(_CLASSIFIER["paper"], image_size=(128, 128)),
        shards=ShardSpec(image_size=(64, 64), k=8, max_examples=10_000),
        gan=_GAN["paper"],
        unseen_datasets=("paper:kmnist", "paper:cats-vs-dogs"),
        unseen_archs=("inceptionv3", "xception", "vgg19"),
        eval_count=512, noise_count=64, leaderboard_count=128, sanity_count=16,
        preset="paper-data"),
}
"""The named reproductions: smoke (tests, minutes; k = 4 CGMAs and `SMOKE_GENERATOR`), quick
(2 CPU cores, under 30 minutes), paper (the paper's sizes and architectures with ImageNet
transfer, for a GPU machine; the paper's stated classifier recipe,
`training.classifiers.PRESETS["paper"]`; the GAN recipe is ours, see `training.sft_gan.PRESETS`)
and paper-data (paper's recipe on the paper's own datasets, `data.paper_sets`: Sec. 4.1 of
arXiv 2301.08067; classifiers at 128x128, a size the paper does not state, large enough for
ImageNet features on Animals-10 and Food-11 photographs; at most 10,000 CGMA examples per
pair and split, about 27 GB of shards at 196 kB each; unseen: Cats vs Dogs and
Kuzushiji-MNIST, one set of each semantics, with the paper's unseen InceptionV3, Xception and
VGG19 of Sec. 4.3.4)."""
