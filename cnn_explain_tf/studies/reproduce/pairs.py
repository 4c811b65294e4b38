"""Per-pair evaluation of a reproduction: every protocol on one classifier, cached per pair."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from cnn_explain_tf import artifacts, data, explain, viz
from cnn_explain_tf.protocols.common import EvalSet, explain_all, head
from cnn_explain_tf.protocols.leaderboard import (
    leaderboard_rows,
    sanity_rows,
)
from cnn_explain_tf.protocols.sft_gan import (
    NoiseFigure,
    cgma_relevance,
    dice_rows,
    faithfulness_rows,
    localization_rows,
    noise_robustness,
)
from cnn_explain_tf.studies.reproduce.config import (
    CORE_METHODS,
    STRATEGIES,
    STRATEGY_ONE_LSFT,
    VARIANTS,
    ReproduceConfig,
)
from cnn_explain_tf.studies.reproduce.layout import Run
from cnn_explain_tf.studies.reproduce.prose import FIGURE_CAPTIONS, label
from cnn_explain_tf.studies.reproduce.records import Figure, PairRecord, SanityCurve

__all__ = ["GRID_IMAGES", "PAIR_FIGURES", "evaluate_pairs"]

GRID_IMAGES = 4
"""Images per row of the Fig. 5 style comparison grid."""
PAIR_FIGURES = {"board": ("fig5", "noise", "methods"), "seen": ("fig5", "noise"),
                "unseen": ("fig9",)}
"""The figures the evaluation writes for a seen pair with the leaderboard (strategy 1's, see
`ReproduceConfig.leaderboard_datasets`), another seen pair and an unseen pair."""


def evaluate_pairs(run: Run, digest: str) -> list[Path]:
    """Evaluates every classifier whose record is missing, of another config or lacks a figure.

    Args:
        run: the reproduction.
        digest: the evaluate stage's config hash, saved in each record.

    Returns:
        The records and figures of every pair.
    """
    gans = {(s, v): _sft_gan_factory(run.gan_dir(s, v), v) for s in STRATEGIES for v in VARIANTS}
    outputs = []
    with _tf_errors_only():
        for kind, path in tqdm(run.classifier_paths(), desc="evaluate", unit="pair",
                               disable=not run.verbose):
            record_path = run.pair_record(path.stem)
            figures = [run.out_dir / run.pair_figure(name, path.stem)
                       for name in PAIR_FIGURES[_figure_set(run.config, kind, path)]]
            if artifacts.reusable(record_path, digest, figures) is None:
                record = _PairEvaluation(run, path, kind, gans).evaluate()
                artifacts.write_json({**record.to_json(), "config_hash": digest}, record_path,
                                     sort_keys=False)
            outputs += [record_path, *figures]
    return outputs


@contextlib.contextmanager
def _tf_errors_only() -> Iterator[None]:
    """The sanity check builds (and traces) an explainer per randomised model on purpose:
    TensorFlow's retracing warnings are silenced while it runs."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)


def _figure_set(config: ReproduceConfig, kind: str, path: Path) -> str:
    """The `PAIR_FIGURES` key of a classifier: "unseen", "board" (a pair with the leaderboard)
    or "seen"."""
    dataset = path.stem.split("__")[0]
    if kind == "unseen":
        return kind
    return "board" if dataset in (config.leaderboard_datasets or config.datasets) else "seen"


class _PairEvaluation:
    """Every protocol on one classifier; figures are written to evaluate/figures/."""

    def __init__(self, run: Run, path: Path, kind: str, gans: Mapping):
        self.run, self.config, self.kind = run, run.config, kind
        self.model = artifacts.load_model(path, "classifier")
        self.meta = artifacts.read_json(path.with_suffix(".json"))
        self.pair = path.stem
        strategy = "dissimilar" if kind == "unseen" else data.info(self.meta["dataset"]).semantics
        self.gans = {v: gans[strategy, v] for v in VARIANTS}
        factories = {name: self.gans[name] if name in self.gans else explain.get(name)
                     for name in CORE_METHODS}
        if kind == "unseen":
            factories[STRATEGY_ONE_LSFT] = gans["similar", "lsft"]
        self.core = {name: _built(factory, self.model) for name, factory in factories.items()}
        self.figures: list[Figure] = []

    def evaluate(self) -> PairRecord:
        """Tables 1-3, relevance and Fig. 5 (Fig. 9 for unseen pairs); noise for seen pairs;
        the leaderboard and sanity check for strategy 1's pairs. A dataset without masks has
        no Table 1 rows, Dice vs mask rows or noise rows (as in the paper, Sec. 4.2.1)."""
        eval_set = self._eval_set()
        maps, seconds = explain_all(eval_set, self.core)
        masked = eval_set.masks is not None
        tables = {"localization": localization_rows(eval_set, maps) if masked else [],
                  "dice": dice_rows(eval_set, maps) + (dice_rows(eval_set, maps, "mask")
                                                       if masked else []),
                  "faithfulness": faithfulness_rows(eval_set, maps),
                  "faithfulness_predicted": faithfulness_rows(eval_set, maps,
                                                              target="predicted")}
        grid = "fig9" if self.kind == "unseen" else "fig5"
        self._grid(grid, eval_set.images[:GRID_IMAGES],
                   {label(m): maps[m][:GRID_IMAGES] for m in self.core},
                   FIGURE_CAPTIONS[grid].format(pair=self.pair, kind=self.kind))
        relevance = {v: cgma_relevance(eval_set, self.core[v]).tolist() for v in self.gans}
        seen = self._seen_protocols(eval_set, maps, seconds) if self.kind == "seen" else {}
        return PairRecord(self.pair, eval_set.dataset, eval_set.arch, self.kind,
                          data.info(eval_set.dataset).semantics, self.meta["test_accuracy"],
                          len(eval_set.images), **tables, figures=self.figures,
                          relevance=relevance, **seen)

    def _seen_protocols(self, eval_set: EvalSet, maps: Mapping[str, np.ndarray],
                        seconds: Mapping[str, float]) -> dict:
        config = self.config
        noise, shown = noise_robustness(head(eval_set, config.noise_count), self.core,
                                        config.noise_amounts, config.seed)
        self._noise_grid(shown)
        if eval_set.dataset not in (config.leaderboard_datasets or config.datasets):
            return {"noise": noise}
        return {"noise": noise, **self._leaderboard(eval_set, maps, seconds)}

    def _leaderboard(self, eval_set: EvalSet, core_maps: Mapping[str, np.ndarray],
                     core_seconds: Mapping[str, float]) -> dict:
        """Every explainer on the first images; the core methods' maps and explainers (built
        on this classifier) are reused, the others built once and reused by the sanity
        check for the trained model's reference maps."""
        config = self.config
        factories = {name: self.core[name] if name in self.core
                     else _built(_factory(name, config.rise_masks), self.model)
                     for name in config.leaderboard_methods}
        board = head(eval_set, config.leaderboard_count)
        board_maps, seconds = explain_all(board, {name: factory for name, factory in
                                                  factories.items() if name not in core_maps})
        board_maps.update({name: core_maps[name][:len(board.images)]
                           for name in factories if name in core_maps})
        seconds.update({name: core_seconds[name] for name in factories if name in core_maps})
        board_maps = {name: board_maps[name] for name in factories}  # the leaderboard's order
        self._grid("methods", board.images[:3],
                   {name: board_maps[name][:3] for name in factories},
                   FIGURE_CAPTIONS["methods"].format(pair=self.pair))
        sanity, curves = sanity_rows(eval_set, factories, config.sanity_count,
                                     config.seed, config.sanity_checkpoints)
        return {"leaderboard": leaderboard_rows(board, board_maps, seconds), "sanity": sanity,
                "sanity_curves": {name: SanityCurve(result.layers, result.similarity.tolist())
                                  for name, result in curves.items()}}

    def _eval_set(self) -> EvalSet:
        """Test images (held-out classes for seen pairs, all for unseen ones), shuffled, capped;
        with their masks when the dataset has them."""
        spec, dataset = self.config.shards, self.meta["dataset"]
        info = data.info(dataset)
        classes = None
        if self.kind == "seen":  # the classes held out of GAN training
            classes = data.class_split(info.num_classes, spec.held_out_fraction, spec.seed)[1]
        images, labels, *masks = data.load_arrays(dataset, "test",
                                                  tuple(self.meta["input_shape"][:2]),
                                                  with_masks=info.has_masks, seed=spec.seed,
                                                  classes=classes)
        order = np.random.default_rng(self.config.seed).permutation(len(images))
        order = order[:self.config.eval_count]
        return EvalSet(dataset, self.meta["arch"], self.model, images[order], labels[order],
                       masks[0][order, ..., 0] if masks else None)

    def _grid(self, name: str, images, maps: Mapping[str, np.ndarray], title: str) -> None:
        path = self.run.pair_figure(name, self.pair)
        viz.comparison_grid(list(images), maps, self.run.out_dir / path, title=title)
        self.figures.append(Figure(name, str(path), title))

    def _noise_grid(self, shown: NoiseFigure) -> None:
        """Fig. 12-13: one column per noise amount; the noisy image, then each method's map."""
        columns = {f"{amount:g}": [shown.images[amount][0]] + [
            viz.overlay(shown.images[amount][0], shown.maps[m][amount][0])
            for m in CORE_METHODS] for amount in shown.amounts}
        path = self.run.pair_figure("noise", self.pair)
        title = FIGURE_CAPTIONS["noise"].format(pair=self.pair)
        viz.image_grid(columns, self.run.out_dir / path,
                       row_labels=["noisy image", *(label(m) for m in CORE_METHODS)],
                       title=title)
        self.figures.append(Figure("noise", str(path), title))


def _built(factory, model):
    """`factory` whose explainer for `model` is built once, here (a tf.function is traced per
    explainer), and a fresh one for any other model (the sanity check's randomised copies)."""
    explainer = factory(model)
    return lambda other: explainer if other is model else factory(other)


def _sft_gan_factory(path: Path, variant: str):
    """model -> the `SFTGANExplainer` of the generator saved at `path` (read once, here)."""
    generator, variant = explain.sft_gan.read_generator(path, variant)
    return functools.partial(explain.SFTGANExplainer, generator=generator, variant=variant)


def _factory(name: str, rise_masks: int):
    """The registered explainer `name`; RISE with `rise_masks` masks."""
    if name == "rise":
        return functools.partial(explain.get(name), num_masks=rise_masks)
    return explain.get(name)
