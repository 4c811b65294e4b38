"""The typed result of every evaluation metric: per-image scores, an interval, a direction."""

from __future__ import annotations

import dataclasses

import numpy as np

from cnn_explain_tf.metrics.intervals import Interval, mean_interval

__all__ = ["MetricResult", "summarise"]


@dataclasses.dataclass(frozen=True, eq=False)
class MetricResult:
    """One metric over a set of images.

    Attributes:
        name: the metric's name, e.g. "road_morf".
        scores: (B,) float32 per-image scores; NaN for an image the metric does not count.
        interval: the mean over the counted images with its 95 % percentile bootstrap interval
            (`metrics.intervals.mean_interval`).
        higher_is_better: the direction of the metric.
        details: optional extra arrays (curves, per-layer similarities) by name.
    """

    name: str
    scores: np.ndarray
    interval: Interval
    higher_is_better: bool
    details: dict = dataclasses.field(default_factory=dict)

    @property
    def mean(self) -> float:
        """The mean score over the counted images (the interval's estimate)."""
        return self.interval.estimate

    def better_than(self, other: MetricResult) -> bool:
        """Whether this result beats `other` beyond both intervals (they do not overlap)."""
        if self.higher_is_better:
            return self.interval.low > other.interval.high
        return self.interval.high < other.interval.low

    def as_dict(self) -> dict:
        """JSON-ready: name, direction, estimate, low, high and the per-image scores."""
        return {"name": self.name, "higher_is_better": self.higher_is_better,
                "estimate": self.interval.estimate, "low": self.interval.low,
                "high": self.interval.high,
                "scores": [None if np.isnan(v) else float(v) for v in self.scores]}


def summarise(name: str, scores, higher_is_better: bool, resamples: int = 1000, seed: int = 0,
              **details) -> MetricResult:
    """A `MetricResult` of per-image `scores`, its interval drawn by `mean_interval`."""
    scores = np.asarray(scores, np.float32).reshape(-1)
    if np.all(np.isnan(scores)):
        interval = Interval(float("nan"), float("nan"), float("nan"))
    else:
        interval = mean_interval([scores], resamples=resamples, seed=seed)
    return MetricResult(name, scores, interval, bool(higher_is_better), dict(details))
