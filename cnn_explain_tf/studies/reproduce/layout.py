"""Where a reproduction keeps its files: one folder per stage, pair records and figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cnn_explain_tf.studies.reproduce.config import ReproduceConfig

__all__ = ["Run"]


@dataclasses.dataclass(frozen=True)
class Run:
    """One reproduction: its run folder, its config and how much it prints.

    The folder holds `run.json`, one folder per stage (`classifiers/{seen,unseen}` (seen: both
    strategies' datasets), `cgma`, `gan/{similar,dissimilar}/{gsft,lsft}`,
    `evaluate/{pairs,figures}`, `fig7`), `figures/` of the report, `results.json` and
    `report.html`.
    """

    out_dir: Path
    config: ReproduceConfig
    verbose: int = 1

    def classifier_paths(self) -> list[tuple[str, Path]]:
        """("seen" or "unseen", classifier path) of every pair, seen pairs first."""
        config, root = self.config, self.out_dir / "classifiers"
        return [(kind, root / kind / f"{dataset}__{arch}.keras")
                for kind, datasets, archs in (
                    ("seen", config.seen_datasets(), config.archs),
                    ("unseen", config.unseen_datasets, config.unseen_archs))
                for dataset in datasets for arch in archs]

    def pairs_of(self, dataset: str) -> list[str]:
        """The seen pairs of one dataset, e.g. ["digits__vgg_lite", ...], in `archs` order."""
        return [f"{dataset}__{arch}" for arch in self.config.archs]

    def gan_dir(self, semantics: str, variant: str) -> Path:
        """The training folder of one strategy's SFT-GAN variant (generator.keras, .json,
        checkpoints); `semantics` names the strategy ("similar": 1, "dissimilar": 2)."""
        return self.out_dir / "gan" / semantics / variant

    def pair_record(self, pair: str) -> Path:
        """The cached evaluation record of one classifier, e.g. "digits__vgg_lite"."""
        return self.out_dir / "evaluate" / "pairs" / f"{pair}.json"

    @staticmethod
    def pair_figure(kind: str, pair: str) -> Path:
        """A per-pair figure of the evaluation, relative to the run folder."""
        return Path("evaluate") / "figures" / f"{kind}_{pair}.png"

    @staticmethod
    def report_figure(name: str) -> Path:
        """A figure of the report made from every pair's numbers, relative to the run folder."""
        return Path("figures") / f"{name}.png"
