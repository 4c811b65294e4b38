"""The GAN balance study: every variant x seed trained and scored, summarized with verdicts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts
from cnn_explain_tf.metrics import intervals
from cnn_explain_tf.studies.gan_balance.config import (
    BASELINE,
    DEFAULT,
    LOSSES,
    SCORES,
    BalanceConfig,
    BalanceRow,
)
from cnn_explain_tf.studies.gan_balance.scoring import PairScorer, eval_sets, train_and_score

__all__ = ["markdown_table", "run_study", "summarize"]


def summarize(records: Mapping[tuple[str, int], dict], config: BalanceConfig
              ) -> list[BalanceRow]:
    """One row per variant from the `train_and_score` records keyed by (variant, seed).

    A variant "improves" a score when the 95 % paired interval of its difference from the
    baseline lies wholly on the better side of 0 and every seed's difference does too; "worse"
    when both lie wholly on the other side; else "within noise".
    """
    seeds, rows = config.seeds, []
    for variant in config.variants:
        runs = [records[variant, seed] for seed in seeds]
        bases = [records[BASELINE, seed] for seed in seeds]
        per_seed = {s: [_pair_mean(run, s) for run in runs] for s in SCORES}
        seed_diff = {s: [a - b for a, b in zip(per_seed[s], (_pair_mean(r, s) for r in bases))]
                     for s in SCORES}
        differences = {s: intervals.difference_interval(
            _strata(runs, s), _strata(bases, s), resamples=config.resamples, seed=0)
            for s in SCORES}
        rows.append(BalanceRow(
            variant, {n: _mean_std([run["losses"][n] for run in runs]) for n in LOSSES},
            {s: _mean_std(per_seed[s]) for s in SCORES}, per_seed, differences, seed_diff,
            {s: _verdict(differences[s], seed_diff[s], better)
             for s, better in SCORES.items()},
            float(np.mean([_pair_mean(run, "gradcam_drop") for run in runs]))))
    return rows


def run_study(classifiers_dir: str | Path, shards_dir: str | Path, out_dir: str | Path,
              config: BalanceConfig = DEFAULT, verbose: int = 1) -> list[BalanceRow]:
    """Trains every variant x seed under `out_dir/<variant>/seed_<s>` (finished runs are
    reused, so the study can run in pieces), then writes `gan_balance.json` and
    `gan_balance.md` (the table of `markdown_table`) in `out_dir`.

    Args:
        classifiers_dir: the classifiers the shards were built from (`<pair>.keras`).
        shards_dir: the `build-cgma` output (the pairs of `config.semantics` are used).
        out_dir: the study's folder.
        config: variants, seeds and the base recipe.
        verbose: 0 silences, 1 prints each run, 2 also Keras's per-epoch lines.
    """
    out_dir = Path(out_dir)
    sets = eval_sets(classifiers_dir, shards_dir, config.semantics, config.eval_count)
    scorers, records = [PairScorer(eval_set) for eval_set in sets], {}
    for seed in config.seeds:  # seed by seed: a study cut short has every variant of a seed
        for variant in config.variants:
            if verbose:
                print(f"gan_balance: {variant} seed {seed}", flush=True)
            records[variant, seed] = train_and_score(
                shards_dir, out_dir / variant / f"seed_{seed}", config, variant, seed, scorers,
                max(0, verbose - 1) * 2)
    rows = summarize(records, config)
    artifacts.write_json({"config": dataclasses.asdict(config),
                          "rows": [dataclasses.asdict(row) for row in rows]},
                         out_dir / "gan_balance.json", sort_keys=False)
    (out_dir / "gan_balance.md").write_text(markdown_table(rows, config))
    return rows


def markdown_table(rows: Sequence[BalanceRow], config: BalanceConfig) -> str:
    """The study's table: per variant the end losses, LSFT's average drop and win % vs Grad-CAM
    (mean +- std over seeds), each difference from the baseline with its interval, verdicts."""
    lines = [f"{len(config.seeds)} seeds ({', '.join(map(str, config.seeds))}); Grad-CAM's "
             f"average drop {rows[0].gradcam_drop:.2f} %.", "",
             "| variant | D loss | G adv loss | avg drop % | diff [95 % CI] | verdict | win % "
             "| diff [95 % CI] | verdict |", "|" + " --- |" * 9]
    for row in rows:
        cells = [row.variant, _pm(row.losses["d_loss"], 3), _pm(row.losses["adv_loss"], 2)]
        for score in SCORES:
            same = row.variant == BASELINE
            cells += [_pm(row.scores[score], 2), "-" if same else row.differences[score].text(),
                      "-" if same else row.verdicts[score]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _pair_mean(record: dict, score: str) -> float:
    """The mean over pairs of each pair's mean (NaN images not counted)."""
    return float(np.mean([np.nanmean(pair[score]) for pair in record["pairs"].values()]))


def _strata(records: Sequence[dict], score: str) -> list[np.ndarray]:
    return [np.asarray(pair[score], np.float64) for record in records
            for pair in record["pairs"].values()]


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    return float(np.mean(values)), (float(np.std(values, ddof=1)) if len(values) > 1 else 0.0)


def _verdict(interval: intervals.Interval, seed_differences: Sequence[float], better: str) -> str:
    sign = 1.0 if better == "higher" else -1.0
    outcome = intervals.verdict(interval, better)
    if outcome == "met" and all(sign * d > 0 for d in seed_differences):
        return "improves"
    if outcome == "not met" and all(sign * d < 0 for d in seed_differences):
        return "worse"
    return "within noise"


def _pm(mean_std: tuple[float, float], decimals: int) -> str:
    return f"{mean_std[0]:.{decimals}f} +- {mean_std[1]:.{decimals}f}"
