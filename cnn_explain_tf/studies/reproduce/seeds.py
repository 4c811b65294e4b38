"""`reproduce --seeds`: one cached run per seed, and the seed section over their results."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts, pipeline, report
from cnn_explain_tf.studies.reproduce.config import PRESETS, ReproduceConfig
from cnn_explain_tf.studies.reproduce.records import plain
from cnn_explain_tf.studies.reproduce.stages import reproduce
from cnn_explain_tf.validation import InputError, describe

__all__ = ["check_seeds", "reproduce_seeds", "seed_dir", "seed_section"]

SEED_SECTION = {
    "title": "Seeds: mean +- std over independent runs",
    "text": "The whole pipeline ran once per seed (classifiers, CGMA shards, GANs, evaluation), "
            "each in its own cached sub-folder seed_<n>/ with its own report. Every headline "
            "number's mean and sample standard deviation over the seeds, each seed's estimate, "
            "and each goal's verdict per seed (from that seed's 95 % intervals).",
    "captions": {"seed_headline": "Headline numbers over seeds",
                 "seed_goals": "Goals: verdict of each seed"},
}
"""The words of the seed section."""


def check_seeds(seeds: Sequence[int]) -> tuple[int, ...]:
    """The seeds as a tuple of distinct ints >= 0.

    Raises:
        InputError: no seeds, a negative seed or a seed given twice.
        TypeError: a seed that is not an int.
    """
    seeds = tuple(seeds)
    if not seeds:
        raise InputError("seeds: expected at least one seed, got none")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seeds: expected ints >= 0, got {describe(seed)}")
    negative = [seed for seed in seeds if seed < 0]
    twice = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if negative or twice:
        raise InputError(f"seeds: expected distinct ints >= 0, got {list(seeds)} "
                         f"(negative: {negative}, given twice: {twice})")
    return tuple(int(seed) for seed in seeds)


def seed_dir(out_dir: str | Path, seed: int) -> Path:
    """The sub-folder of one seed's run."""
    return Path(out_dir) / f"seed_{seed}"


def reproduce_seeds(out_dir: str | Path, config: ReproduceConfig | str, seeds: Sequence[int], *,
                    verbose: int = 1) -> dict:
    """Runs (or resumes) the reproduction once per seed and writes the seed section.

    Each seed's run lives in `out_dir/seed_<n>` (cached and resumable like any `reproduce` run;
    a sub-folder holding another config's run is refused); `out_dir` gets `results.json` and
    `report.html` with the seed section. `out_dir` is claimed for the config without its seed,
    so a later call with more seeds reuses the finished ones.

    Raises:
        InputError: bad seeds, or a folder (or seed sub-folder) holding another config's run.
    """
    seeds, config = check_seeds(seeds), pipeline.resolve_preset(config, PRESETS)
    with pipeline.claim(out_dir, "reproduce --seeds", {**dataclasses.asdict(config),
                                                       "seed": None}, config.preset) as claimed:
        per_seed = {seed: reproduce(seed_dir(out_dir, seed),
                                    dataclasses.replace(config, seed=seed), verbose=verbose)
                    for seed in seeds}
        results = {"title": f"cnn_explain_tf reproduction of arXiv 2301.08067 (preset "
                            f"{config.preset}, seeds {', '.join(map(str, seeds))})",
                   "preset": config.preset, "config_hash": claimed.config_hash,
                   "seeds": list(seeds), "created": pipeline.now(),
                   "versions": artifacts.library_versions(), **seed_section(per_seed)}
        report.write_report(results, out_dir)
        artifacts.write_json(plain(results, nan=None), Path(out_dir) / "results.json",
                             sort_keys=False)
    return results


def seed_section(per_seed: Mapping[int, Mapping]) -> dict:
    """The "goals" (verdicts over seeds) and the "seeds" section from each seed's results.

    Args:
        per_seed: seed -> that run's results (with "headline" and "goals").
    """
    seeds = list(per_seed)
    numbers = [{row["id"]: row for row in per_seed[seed]["headline"]} for seed in seeds]
    headline = []
    for row_id, first in numbers[0].items():
        values = np.array([_number(n[row_id]["estimate"]) for n in numbers if row_id in n])
        headline.append({"scope": first["scope"], "quantity": first["quantity"],
                         "mean": float(np.nanmean(values)) if np.any(~np.isnan(values))
                         else float("nan"),
                         "std": _std(values), "seeds": len(values),
                         **{f"seed {s}": _number(n[row_id]["estimate"]) if row_id in n
                            else float("nan") for s, n in zip(seeds, numbers)}})
    goals = []
    for index, goal in enumerate(per_seed[seeds[0]]["goals"]):
        verdicts = [per_seed[seed]["goals"][index]["verdict"] for seed in seeds]
        counts = Counter(verdicts)
        goals.append({"goal": goal["goal"], "paper": goal["paper"],
                      "ours": ", ".join(f"{name} {count}/{len(seeds)}"
                                        for name, count in counts.items()),
                      **{f"seed {s}": v for s, v in zip(seeds, verdicts)},
                      "met": counts["met"] == len(seeds)})
    section = {"id": "seeds", "title": SEED_SECTION["title"], "text": SEED_SECTION["text"],
               "figures": [],
               "tables": [{"id": table_id, "caption": caption, "rows": rows}
                          for (table_id, caption), rows in zip(
                              SEED_SECTION["captions"].items(), (headline, goals))]}
    return {"goals": goals, "sections": [section]}


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def _std(values: np.ndarray) -> float:
    """Sample standard deviation over the seeds with a number (0 for a single seed)."""
    counted = values[~np.isnan(values)]
    return float(np.std(counted, ddof=1)) if len(counted) > 1 else 0.0
