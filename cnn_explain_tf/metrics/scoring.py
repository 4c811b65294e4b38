"""The scorecard: every metric family on every method, with intervals and a rank per family."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np
from scipy.stats import rankdata
from tqdm import tqdm

from cnn_explain_tf.metrics import localisation
from cnn_explain_tf.metrics.base import ModelMetric
from cnn_explain_tf.metrics.faithfulness import curves, ordered, sampled
from cnn_explain_tf.metrics.intervals import Interval, difference_interval, verdict
from cnn_explain_tf.metrics.localization import pointing_game
from cnn_explain_tf.metrics.map_complexity import complexity, effective_complexity, sparseness
from cnn_explain_tf.metrics.randomisation import model_parameter_randomisation, random_logit
from cnn_explain_tf.metrics.robustness import explanation_changes, robustness_family
from cnn_explain_tf.metrics.summary import MetricResult, summarise
from cnn_explain_tf.validation import InputError

__all__ = ["FAMILIES", "Scorecard", "scorecard"]

FAMILIES = ("faithfulness", "robustness", "complexity", "randomisation", "localisation")
"""The metric families, in the order of the scorecard's columns."""


@dataclasses.dataclass
class _Context:
    model: keras.Model
    images: np.ndarray
    targets: np.ndarray
    masks: np.ndarray | None
    factory: Callable
    explainer: Callable
    maps: np.ndarray
    options: Mapping
    batch_size: int

    def option(self, metric: str) -> dict:
        return dict(self.options.get(metric, {}))


def _faithfulness(c: _Context) -> dict[str, MetricResult]:
    args = (c.model, c.images, c.maps, c.targets)
    steps = {"steps": 16, **c.option("deletion")}
    return {
        "road": ordered.road(*args, order="combined", batch_size=c.batch_size, **c.option("road")),
        "pixel_flipping": ordered.pixel_flipping(*args, batch_size=c.batch_size,
                                                 **c.option("pixel_flipping")),
        "region_perturbation": ordered.region_perturbation(
            *args, batch_size=c.batch_size, **{"steps": 16, **c.option("region_perturbation")}),
        "irof": ordered.irof(*args, batch_size=c.batch_size, **c.option("irof")),
        "faithfulness_correlation": sampled.faithfulness_correlation(
            *args, batch_size=c.batch_size, **c.option("faithfulness_correlation")),
        "infidelity": sampled.infidelity(*args, batch_size=c.batch_size,
                                         **c.option("infidelity")),
        "deletion": summarise("deletion", curves.DeletionAUC(
            c.model, c.batch_size, **steps).detailed_evaluate(*args[1:]), False),
        "insertion": summarise("insertion", curves.InsertionAUC(
            c.model, c.batch_size, **steps).detailed_evaluate(*args[1:]), True),
    }


def _robustness(c: _Context) -> dict[str, MetricResult]:
    options = {"num_samples": 4, **c.option("robustness")}
    return robustness_family(explanation_changes(c.model, c.images, c.explainer, c.targets,
                                                 batch_size=c.batch_size, **options))


def _complexity(c: _Context) -> dict[str, MetricResult]:
    return {metric.__name__: metric(c.maps)
            for metric in (sparseness, complexity, effective_complexity)}


def _randomisation(c: _Context) -> dict[str, MetricResult]:
    options = {"checkpoints": 3, **c.option("mprt")}
    found = {f"mprt_{mode}": model_parameter_randomisation(
        c.factory, c.model, c.images, c.targets, mode=mode, **options).result
        for mode in ("cascading", "independent")}
    found["random_logit"] = random_logit(c.model, c.images, c.explainer, c.targets,
                                         **c.option("random_logit"))
    return found


def _localisation(c: _Context) -> dict[str, MetricResult]:
    if c.masks is None:
        return {}
    names = ("relevance_mass", "relevance_rank", "top_k_intersection", "auc",
             "attribution_localisation")
    found = {name: getattr(localisation, name)(c.maps, c.masks) for name in names}
    found["pointing_game"] = summarise("pointing_game", pointing_game(
        c.maps, c.masks, per_sample=True), True)
    return found


RUNNERS = {"faithfulness": _faithfulness, "robustness": _robustness,
           "complexity": _complexity, "randomisation": _randomisation,
           "localisation": _localisation}


@dataclasses.dataclass(frozen=True, eq=False)
class Scorecard:
    """Every metric of the chosen families on every method.

    Attributes:
        methods: the methods, in the order given.
        families: metric name -> its family, in column order.
        results: method -> metric name -> `MetricResult`.
        ranks: method -> family -> the method's mean rank over the family's metrics (1 best).
    """

    methods: tuple[str, ...]
    families: dict[str, str]
    results: dict[str, dict[str, MetricResult]]
    ranks: dict[str, dict[str, float]]

    def compare(self, metric: str, a: str, b: str) -> Interval:
        """Paired 95 % interval of method a's minus method b's mean on `metric`."""
        return difference_interval([self.results[a][metric].scores],
                                   [self.results[b][metric].scores])

    def within_noise_of_best(self, metric: str) -> tuple[str, list[str]]:
        """(the method with the best estimate on `metric`, the other methods whose paired 95 %
        interval of the difference to it (`compare`) contains 0); ("", []) when every estimate
        is NaN."""
        counted = [m for m in self.methods if not np.isnan(self.results[m][metric].mean)]
        if not counted:
            return "", []
        higher = self.results[counted[0]][metric].higher_is_better
        best = (max if higher else min)(counted, key=lambda m: self.results[m][metric].mean)
        better = "higher" if higher else "lower"
        return best, [m for m in counted if m != best and verdict(
            self.compare(metric, best, m), better) != "met"]

    @classmethod
    def from_dict(cls, data: Mapping) -> Scorecard:
        """The scorecard that `as_dict` wrote (e.g. the scorecard.json of `cnn-explain
        evaluate`), per-image scores and intervals as stored."""
        def result(entry: Mapping) -> MetricResult:
            scores = np.array([np.nan if v is None else v for v in entry["scores"]], np.float32)
            return MetricResult(entry["name"], scores, Interval(
                entry["estimate"], entry["low"], entry["high"]), entry["higher_is_better"])
        return cls(tuple(data["methods"]), dict(data["families"]),
                   {m: {k: result(e) for k, e in found.items()}
                    for m, found in data["results"].items()},
                   {m: dict(ranks) for m, ranks in data["ranks"].items()})

    def rows(self) -> list[dict]:
        """One row per method: each metric's "estimate [low, high]", then the family ranks."""
        return [{"method": method,
                 **{metric: self.results[method][metric].interval.text(3)
                    for metric in self.families},
                 **{f"rank {family}": rank for family, rank in self.ranks[method].items()}}
                for method in self.methods]

    def as_dict(self) -> dict:
        """JSON-ready: the families, every result (with per-image scores) and the ranks."""
        return {"methods": list(self.methods), "families": dict(self.families),
                "results": {m: {k: r.as_dict() for k, r in rs.items()}
                            for m, rs in self.results.items()},
                "ranks": self.ranks}


def scorecard(model: keras.Model, images, explainers, masks=None, targets=None,
              families: Sequence[str] = FAMILIES, options: Mapping | None = None,
              batch_size: int = 32, verbose: int = 1) -> Scorecard:
    """Runs every metric of `families` on every method and ranks the methods per family.

    Args:
        model: a classifier returning probabilities.
        images: (B, H, W, C) images in [0, 1].
        explainers: names of `cnn_explain_tf.explain` explainers, or {name: factory}, a factory
            being model -> explainer called as `explainer(images, targets)` -> (B, H, W) maps.
        masks: (B, H, W) ground-truth foreground masks; the localisation family needs them.
        targets: None (the predicted classes), an int or B ints.
        families: a subset of `FAMILIES`.
        options: metric name -> keyword overrides ("road", "pixel_flipping", "irof",
            "region_perturbation", "faithfulness_correlation", "infidelity", "deletion",
            "robustness", "mprt", "random_logit").
        batch_size: images per compiled call.
        verbose: 0 silences the progress bar.

    Returns:
        The `Scorecard`; a family's rank is the mean over its metrics of each method's rank by
        the metric's estimate in its better direction (ties share their mean rank, NaN last).
    """
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise InputError(f"families: expected names among {list(FAMILIES)}, got {unknown}")
    factories = _factories(explainers, batch_size)
    images, targets = ModelMetric(model, batch_size).check_inputs(images, targets)
    results = {}
    with tqdm(total=len(factories) * len(families), desc="scorecard", disable=not verbose) as bar:
        for method, factory in factories.items():
            explainer = factory(model)
            context = _Context(model, images, targets, masks, factory, explainer,
                               np.asarray(explainer(images, targets)), options or {}, batch_size)
            results[method] = {}
            for family in (f for f in FAMILIES if f in families):
                results[method].update(RUNNERS[family](context))
                bar.update()
    return _ranked(tuple(factories), results)


def _factories(explainers, batch_size: int) -> dict[str, Callable]:
    if isinstance(explainers, Mapping):
        return dict(explainers)
    from cnn_explain_tf import explain

    classes = {name: explain.get(name) for name in explainers}
    return {name: functools.partial(cls, batch_size=batch_size) for name, cls in classes.items()}


def _family_of(metric: str) -> str:
    return next(family for family, names in _NAMES.items() if metric in names)


_NAMES = {"faithfulness": ("road", "pixel_flipping", "region_perturbation", "irof",
                           "faithfulness_correlation", "infidelity", "deletion", "insertion"),
          "robustness": ("max_sensitivity", "average_sensitivity", "local_lipschitz_estimate"),
          "complexity": ("sparseness", "complexity", "effective_complexity"),
          "randomisation": ("mprt_cascading", "mprt_independent", "random_logit"),
          "localisation": ("relevance_mass", "relevance_rank", "top_k_intersection", "auc",
                           "attribution_localisation", "pointing_game")}


def _ranked(methods: tuple[str, ...], results: dict) -> Scorecard:
    metrics = list(results[methods[0]])
    families = {metric: _family_of(metric) for metric in metrics}
    ranks = {method: {} for method in methods}
    for family in dict.fromkeys(families.values()):
        per_metric = []
        for metric in (m for m in metrics if families[m] == family):
            sign = -1.0 if results[methods[0]][metric].higher_is_better else 1.0
            keys = np.array([sign * results[m][metric].mean for m in methods], np.float64)
            per_metric.append(rankdata(np.where(np.isnan(keys), np.inf, keys)))
        for method, rank in zip(methods, np.mean(per_metric, axis=0)):
            ranks[method][family] = float(rank)
    return Scorecard(methods, families, results, ranks)
