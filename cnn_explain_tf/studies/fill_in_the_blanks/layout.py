"""Where a Fill in the blanks study keeps its files, and the classifiers (pairs) it measures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cnn_explain_tf.studies.fill_in_the_blanks.config import StudyConfig

__all__ = ["Pair", "Study"]


@dataclasses.dataclass(frozen=True)
class Pair:
    """One classifier of the study: its dataset, its architecture ("given" for --classifier)."""

    dataset: str
    arch: str

    @property
    def name(self) -> str:
        """"dataset__arch", with a tfds dataset's "tfds:" dropped, e.g. "digits__cnn3"."""
        return f"{self.dataset.split(':')[-1].replace('/', '_')}__{self.arch}"


@dataclasses.dataclass(frozen=True)
class Study:
    """One study run: its folder, config, an optional given classifier and how much it prints.

    The folder holds `run.json`, `classifiers/` (<pair>.keras and .json), `table1/` (<pair>.json
    and .npz), `figures/` (<pair>_fig{2..6}.png and <pair>.json), `results.json` and
    `report.html`.
    """

    out_dir: Path
    config: StudyConfig
    classifier: Path | None = None
    verbose: int = 1

    @property
    def pairs(self) -> list[Pair]:
        """Every dataset x architecture; with a given classifier, it on the first dataset."""
        if self.classifier is not None:
            return [Pair(self.config.datasets[0], "given")]
        return [Pair(d, a) for d in self.config.datasets for a in self.config.archs]

    def model_path(self, pair: Pair) -> Path:
        return self.out_dir / "classifiers" / f"{pair.name}.keras"

    def table_path(self, pair: Pair) -> Path:
        return self.out_dir / "table1" / f"{pair.name}.json"

    def figure_path(self, pair: Pair, figure: str) -> Path:
        """A figure of one pair, e.g. figure "fig3"."""
        return self.out_dir / "figures" / f"{pair.name}_{figure}.png"
