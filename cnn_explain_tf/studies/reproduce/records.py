"""A reproduction's per-pair record: every number the report needs about one classifier, as JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from cnn_explain_tf.protocols.leaderboard import LeaderboardRow, SanityRow
from cnn_explain_tf.protocols.sft_gan import DiceRow, FaithfulnessRow, LocalizationRow, NoiseRow

__all__ = ["Figure", "PairRecord", "SanityCurve", "plain"]

_ROWS = {"localization": LocalizationRow, "dice": DiceRow, "faithfulness": FaithfulnessRow,
         "faithfulness_predicted": FaithfulnessRow, "noise": NoiseRow,
         "leaderboard": LeaderboardRow, "sanity": SanityRow}


@dataclasses.dataclass(frozen=True)
class Figure:
    """A figure written by the evaluation.

    Attributes:
        kind: one of `pairs.PAIR_FIGURES`, e.g. "fig5".
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
