"""AOPC of each model x method beside a random map's AOPC (Sec. 3.3, 4.3-4.4)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import keras
import numpy as np

from cnn_explain_tf import metrics

__all__ = ["AOPCRow", "AOPC_STEPS", "aopc_by_method", "aopc_rows"]


AOPC_STEPS = 15
"""The paper's perturbation steps (Sec. 4.3)."""


@dataclasses.dataclass(frozen=True)
class AOPCRow:
    """AOPC of one model x method (Sec. 4.3) beside the same model's AOPC for random maps.

    `difference = aopc - random_aopc` answers the paper's objection (Sec. 4.4) that AOPC compares
    models as much as maps: the random baseline absorbs how fragile the model is to
    perturbation, so differences are comparable across architectures. `curve` and
    `random_curve` are the mean MoRF curves (steps + 1 target probabilities).
    """

    model: str
    method: str
    aopc: float
    random_aopc: float
    difference: float
    difference_interval: tuple[float, float]
    curve: tuple[float, ...]
    random_curve: tuple[float, ...]


def aopc_rows(model: keras.Model, images: np.ndarray, maps_by_method: Mapping[str, np.ndarray],
              model_name: str, steps: int = AOPC_STEPS, patch_size: int = 4,
              seed: int = 0) -> list[AOPCRow]:
    """One `AOPCRow` per method: AOPC (most relevant first, `steps` patches, uniform-noise fill)
    of its (N, H, W) maps and of seeded uniform random maps on the same model and images, their
    difference with a 95 % interval (`metrics.difference_interval` over images). The random maps'
    curves and the compiled perturbation step are computed once per model and shared by every
    method.
    """
    metric = metrics.AOPC(model, patch_size=patch_size, steps=steps, fill="uniform", seed=seed)
    shape = np.shape(images)[:3]
    random_curves, _ = metric.curves(
        images, np.random.default_rng(seed).random(shape).astype(np.float32))
    random_scores = metric.summarize(random_curves, None)
    rows = []
    for method, maps in maps_by_method.items():
        curves, _ = metric.curves(images, maps)
        scores = metric.summarize(curves, None)
        interval = metrics.difference_interval([scores], [random_scores])
        rows.append(AOPCRow(model_name, method, float(scores.mean()),
                            float(random_scores.mean()),
                            float(scores.mean() - random_scores.mean()),
                            (float(interval.low), float(interval.high)),
                            tuple(curves.mean(axis=0).tolist()),
                            tuple(random_curves.mean(axis=0).tolist())))
    return rows


def aopc_by_method(rows: Sequence[Mapping]) -> list[dict]:
    """Per method over the models of `aopc_rows` rows (as dicts): mean AOPC and random-map AOPC,
    the mean difference with a 95 % bootstrap interval over the models (`metrics.mean_interval`,
    seed 0), and how many models' paired intervals lie above / below 0."""
    summary = []
    for method in dict.fromkeys(row["method"] for row in rows):
        mine = [row for row in rows if row["method"] == method]
        gain = metrics.mean_interval([np.array([row["difference"] for row in mine])])
        summary.append({"method": method, "models": len(mine),
                        "AOPC": float(np.mean([row["aopc"] for row in mine])),
                        "random-map AOPC": float(np.mean([row["random_aopc"] for row in mine])),
                        "difference": gain.estimate, "interval": (gain.low, gain.high),
                        "above random": sum(row["difference_interval"][0] > 0 for row in mine),
                        "below random": sum(row["difference_interval"][1] < 0 for row in mine)})
    return summary
