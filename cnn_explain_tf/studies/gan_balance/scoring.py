"""Scoring one trained variant: the held-out pairs, Table 3 per pair, one run trained and scored."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from cnn_explain_tf import artifacts, data, explain, metrics
from cnn_explain_tf.data import cgma_shards
from cnn_explain_tf.explain.sft_gan import read_generator
from cnn_explain_tf.protocols.common import EvalSet
from cnn_explain_tf.studies.gan_balance.config import LOSSES, BalanceConfig
from cnn_explain_tf.training import sft_gan
from cnn_explain_tf.training.options import RunOptions
from cnn_explain_tf.validation import InputError

__all__ = ["PairScorer", "eval_sets", "train_and_score"]


def eval_sets(classifiers_dir: str | Path, shards_dir: str | Path, semantics: str,
              count: int, seed: int = 0) -> list[EvalSet]:
    """Every pair of one semantics in the shards: its classifier and `count` test images of the
    classes held out of GAN training (shuffled with `seed`), with labels and masks."""
    sets = []
    for manifest in cgma_shards.read_manifests(shards_dir):
        if data.info(manifest["dataset"]).semantics != semantics:
            continue
        model = artifacts.load_model(Path(classifiers_dir) / f"{manifest['pair']}.keras",
                                     "classifiers")
        images, labels, masks = data.load_arrays(
            manifest["dataset"], "test", tuple(manifest["classifier_input_shape"][:2]),
            with_masks=True, seed=manifest["spec"]["seed"],
            classes=manifest["classes"]["heldout"])
        order = np.random.default_rng(seed).permutation(len(images))[:count]
        sets.append(EvalSet(manifest["dataset"], manifest["arch"], model, images[order],
                            labels[order], masks[order, ..., 0]))
    if not sets:
        raise InputError(f"shards: expected pairs of {semantics}-semantics datasets under "
                         f"{shards_dir}, found none")
    return sets


class PairScorer:
    """Table 3 of one pair for generator after generator: LSFT's average drop and win against
    Grad-CAM, with the confidences of the ground-truth class (the paper's definitions, as
    `protocols.sft_gan.faithfulness_rows` with target="label", the maps explaining the
    predicted class).

    The metrics, Grad-CAM's maps and the SFT explainer are built once: the explainer is the
    first scored generator's, and each later `score` loads its generator's weights into it (the
    study's variants share the generator's architecture), so no compiled step is traced again.

    Args:
        eval_set: the classifier, its images, labels and masks.
    """

    def __init__(self, eval_set: EvalSet):
        self.eval_set, model, images = eval_set, eval_set.model, eval_set.images
        self.drop, self.win = metrics.AverageDrop(model), metrics.WinRate(model)
        self.gradcam = explain.get("gradcam")(model)(images)
        self.gradcam_drop = self.drop.detailed_evaluate(images, self.gradcam, eval_set.labels)
        self.explainer = None

    def score(self, generator: keras.Model, variant: str | None = None) -> dict[str, list[float]]:
        """Per-image "average_drop" and "win_rate" of the maps of `generator` (an `[image, cgma]`
        SFT-GAN generator of `variant`), and "gradcam_drop"."""
        if self.explainer is None:
            self.explainer = explain.SFTGANExplainer(self.eval_set.model, generator, variant)
        else:
            self.explainer.generator.set_weights(generator.get_weights())
        images, labels = self.eval_set.images, self.eval_set.labels
        heat = self.explainer(images)
        return {"average_drop": self.drop.detailed_evaluate(images, heat, labels).tolist(),
                "win_rate": self.win.detailed_evaluate(images, heat, self.gradcam,
                                                       labels).tolist(),
                "gradcam_drop": self.gradcam_drop.tolist()}


def train_and_score(shards_dir: str | Path, run_dir: str | Path, config: BalanceConfig,
                    variant: str, seed: int, scorers: Sequence[PairScorer],
                    verbose: int = 0) -> dict:
    """Trains one variant with one seed (a finished run is reused) and scores Table 3.

    Returns (and writes as `run_dir/table3.json`, reused when the run is unchanged) the last
    epoch's `LOSSES` and, per pair, the `PairScorer.score` values.
    """
    meta = sft_gan.train_sft_gan(shards_dir, run_dir, config.generator, config.recipe(variant),
                                 semantics=config.semantics,
                                 options=RunOptions(resume=True, seed=seed, verbose=verbose))
    digest = artifacts.config_hash({"gan": meta["config_hash"], "eval_count": config.eval_count,
                                    "pairs": [s.eval_set.name for s in scorers]})
    saved = artifacts.reusable(Path(run_dir) / "table3.json", digest)
    if saved:
        return saved
    generator, generator_variant = read_generator(run_dir, config.generator)
    record = {"config_hash": digest, "variant": variant, "seed": seed,
              "losses": {name: meta["losses"][name][-1] for name in LOSSES},
              "pairs": {s.eval_set.name: s.score(generator, generator_variant) for s in scorers}}
    artifacts.write_json(record, Path(run_dir) / "table3.json")
    return record
