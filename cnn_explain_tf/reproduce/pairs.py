"""Per-pair evaluation of a reproduction: every protocol on one classifier, cached per pair."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from cnn_explain_tf import artifacts, data, explain, viz
from cnn_explain_tf.protocols.common import EvalSet, explain_all, head
from cnn_explain_tf.protocols.leaderboard import (
    LeaderboardRow,
    SanityRow,
    leaderboard_rows,
    sanity_rows,
)
from cnn_explain_tf.protocols.sft_gan import (
    DiceRow,
    FaithfulnessRow,
    LocalizationRow,
    NoiseFigure,
    NoiseRow,
    cgma_relevance,
    dice_rows,
    faithfulness_rows,
    localization_rows,
    noise_robustness,
)
from cnn_explain_tf.reproduce.config import (
    CORE_METHODS,
    STRATEGIES,
    STRATEGY_ONE_LSFT,
    VARIANTS,
    ReproduceConfig,
)
from cnn_explain_tf.reproduce.layout import Run
from cnn_explain_tf.reproduce.prose import FIGURE_CAPTIONS, label

__all__ = ["GRID_IMAGES", "PAIR_FIGURES", "Figure", "PairRecord", "SanityCurve",
           "evaluate_pairs", "plain"]

GRID_IMAGES = 4
"""Images per row of the Fig. 5 style comparison grid."""
PAIR_FIGURES = {"board": ("fig5", "noise", "methods"), "seen": ("fig5", "noise"),
                "unseen": ("fig9",)}
"""The figures the evaluation writes for a seen pair with the leaderboard (strategy 1's, see
`ReproduceConfig.leaderboard_datasets`), another seen pair and an unseen pair."""
_ROWS = {"localization": LocalizationRow, "dice": DiceRow, "faithfulness": FaithfulnessRow,
         "faithfulness_predicted": FaithfulnessRow, "noise": NoiseRow,
         "leaderboard": LeaderboardRow, "sanity": SanityRow}


@dataclasses.dataclass(frozen=True)
class Figure:
    """A figure written by the evaluation.

    Attributes:
        kind: one of `PAIR_FIGURES`, e.g. "fig5".
        path: where it is, relative to the run folder.
        caption: its caption in the report (also its title).
    """

    kind: str
    path: str
    caption: str


@dataclasses.dataclass(frozen=True)
class SanityCurve:
    """One method's similarity to the trained model's maps at each checkpoint of the cascade."""

    layers: list[str]
    similarity: list[float]


@dataclasses.dataclass(frozen=True)
class PairRecord:
    """Every number the report needs about one classifier; saved as evaluate/pairs/<pair>.json.

    Attributes:
        pair, dataset, arch, kind: the classifier ("dataset__arch", "seen" or "unseen").
        semantics: its dataset's semantics; a seen pair's is its strategy's.
        test_accuracy: the classifier's test accuracy.
        images: evaluation images of Tables 1-3.
        localization, dice, faithfulness: Tables 1-3 rows of Grad-CAM, GSFT and LSFT (of the
            pair's strategy; strategy 2's and strategy 1's LSFT on unseen pairs), with their
            per-image values; Dice against Grad-CAM and against the mask; Table 3 with the
            ground-truth class's confidence, `faithfulness_predicted` with the predicted one's.
        figures: the pair's figures.
        relevance: variant -> Eq. 10 shares of each CGMA.
        noise, leaderboard, sanity, sanity_curves: seen pairs only: Fig. 12-13 rows; strategy
            1's pairs only: every explainer's metrics, the sanity check.
    """

    pair: str
    dataset: str
    arch: str
    kind: str
    semantics: str
    test_accuracy: float
    images: int
    localization: list[LocalizationRow]
    dice: list[DiceRow]
    faithfulness: list[FaithfulnessRow]
    faithfulness_predicted: list[FaithfulnessRow]
    figures: list[Figure]
    relevance: dict[str, list[float]]
    noise: list[NoiseRow] = dataclasses.field(default_factory=list)
    leaderboard: list[LeaderboardRow] = dataclasses.field(default_factory=list)
    sanity: list[SanityRow] = dataclasses.field(default_factory=list)
    sanity_curves: dict[str, SanityCurve] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict:
        """The record as JSON-ready data (NaN kept as NaN)."""
        return plain(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, saved: Mapping) -> PairRecord:
        """The record saved by `to_json`."""
        names = {field.name for field in dataclasses.fields(cls)}
        values = {key: value for key, value in saved.items() if key in names}
        values.update({key: [row(**item) for item in values.get(key, [])]
                       for key, row in _ROWS.items()})
        values["figures"] = [Figure(**item) for item in values["figures"]]
        values["sanity_curves"] = {method: SanityCurve(**curve) for method, curve in
                                   values.get("sanity_curves", {}).items()}
        return cls(**values)


def evaluate_pairs(run: Run, digest: str) -> list[Path]:
    """Evaluates every classifier whose record is missing, of another config or lacks a figure.

    Args:
        run: the reproduction.
        digest: the evaluate stage's config hash, saved in each record.

    Returns:
        The records and figures of every pair.
    """
    gans = {(s, v): explain.SFTGANExplainer.load(run.gan_dir(s, v), v)
            for s in STRATEGIES for v in VARIANTS}
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
        the leaderboard and sanity check for strategy 1's pairs."""
        eval_set = self._eval_set()
        maps, seconds = explain_all(eval_set, self.core)
        tables = {"localization": localization_rows(eval_set, maps),
                  "dice": dice_rows(eval_set, maps) + dice_rows(eval_set, maps, "mask"),
                  "faithfulness": faithfulness_rows(eval_set, maps),
                  "faithfulness_predicted": faithfulness_rows(eval_set, maps,
                                                              target="predicted")}
        grid = "fig9" if self.kind == "unseen" else "fig5"
        self._grid(grid, eval_set.images[:GRID_IMAGES],
                   {label(m): maps[m][:GRID_IMAGES] for m in self.core},
                   FIGURE_CAPTIONS[grid].format(pair=self.pair, kind=self.kind))
        relevance = {v: cgma_relevance(eval_set, gan).tolist() for v, gan in self.gans.items()}
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
        """Test images (held-out classes for seen pairs, all for unseen ones), shuffled, capped."""
        spec, dataset = self.config.shards, self.meta["dataset"]
        classes = None
        if self.kind == "seen":  # the classes held out of GAN training
            classes = data.class_split(data.info(dataset).num_classes, spec.held_out_fraction,
                                       spec.seed)[1]
        images, labels, masks = data.load_arrays(dataset, "test",
                                                 tuple(self.meta["input_shape"][:2]),
                                                 with_masks=True, seed=spec.seed, classes=classes)
        order = np.random.default_rng(self.config.seed).permutation(len(images))
        order = order[:self.config.eval_count]
        return EvalSet(dataset, self.meta["arch"], self.model, images[order], labels[order],
                       masks[order, ..., 0])

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


def _factory(name: str, rise_masks: int):
    """The registered explainer `name`; RISE with `rise_masks` masks."""
    if name == "rise":
        return functools.partial(explain.get(name), num_masks=rise_masks)
    return explain.get(name)


def plain(value, nan=float("nan")):
    """`value` with numpy scalars and arrays as Python numbers and lists, NaN as `nan`."""
    if isinstance(value, Mapping):
        return {str(key): plain(item, nan) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(item, nan) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return nan if np.isnan(value) else float(value)
    return value
