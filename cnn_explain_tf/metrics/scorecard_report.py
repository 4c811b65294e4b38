"""A scorecard's files: an HTML page (`cnn_explain_tf.report`), a CSV and a JSON of the results."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping
from pathlib import Path

from cnn_explain_tf import report
from cnn_explain_tf.artifacts import atomic_path, write_json
from cnn_explain_tf.metrics.scoring import FAMILIES, Scorecard

__all__ = ["noise_section", "report_results", "scorecard_csv", "write_scorecard"]


def scorecard_csv(card: Scorecard) -> str:
    """One line per method and metric: method, family, metric, higher_is_better, estimate, low,
    high, images counted, the method's rank in the family."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["method", "family", "metric", "higher_is_better", "estimate", "low", "high",
                     "counted", "family_rank"])
    for method in card.methods:
        for metric, family in card.families.items():
            result = card.results[method][metric]
            writer.writerow([method, family, metric, result.higher_is_better,
                             result.interval.estimate, result.interval.low, result.interval.high,
                             int((result.scores == result.scores).sum()),
                             card.ranks[method][family]])
    return buffer.getvalue()


def report_results(card: Scorecard, title: str = "Explanation scorecard",
                   config: Mapping | None = None) -> dict:
    """The `report.write_report` results: a rank table, then one table per family (one row per
    method, one column per metric as "estimate [95 % interval]", the family rank last)."""
    families = [family for family in FAMILIES if family in card.families.values()]
    ranks = [{"method": method, **{family: card.ranks[method][family] for family in families}}
             for method in card.methods]
    sections = [{"id": "ranks", "title": "Ranks per family",
                 "text": "Each method's mean rank over the family's metrics (1 is best), each "
                         "metric ranked in its better direction.",
                 "tables": [{"id": "ranks", "caption": "mean rank per family", "rows": ranks}]}]
    for family in families:
        metrics = [m for m, f in card.families.items() if f == family]
        first = card.results[card.methods[0]]
        arrows = {m: f"{m} ({'higher' if first[m].higher_is_better else 'lower'} is better)"
                  for m in metrics}
        decimals = {m: _decimals([card.results[method][m].interval.estimate
                                  for method in card.methods]) for m in metrics}
        rows = [{"method": method,
                 **{arrows[m]: card.results[method][m].interval.text(decimals[m])
                    for m in metrics},
                 "rank": card.ranks[method][family]} for method in card.methods]
        sections.append({"id": family, "title": family.capitalize(),
                         "tables": [{"id": family, "caption": f"{family} (mean [95 % "
                                     f"bootstrap interval over images])", "rows": rows}]})
    sections.append(noise_section(card))
    return {"title": title, "sections": sections, "config": dict(config or {})}


def _decimals(estimates) -> int:
    """Decimals that show a column's largest estimate with 3 significant digits (at least 3), so
    that small metrics such as infidelity (about 0.01) do not print as equal numbers."""
    largest = max((abs(e) for e in estimates if math.isfinite(e) and e != 0), default=1.0)
    return max(3, 2 - math.floor(math.log10(largest)))


def noise_section(card: Scorecard) -> dict:
    """One row per metric: its best method, the methods within noise of it (the paired 95 %
    interval of the difference contains 0) and the methods it beats beyond noise."""
    rows = []
    for metric, family in card.families.items():
        best, tied = card.within_noise_of_best(metric)
        if best:
            beaten = [m for m in card.methods if m not in (best, *tied)]
            rows.append({"metric": metric, "family": family, "better": "higher" if card.results[
                best][metric].higher_is_better else "lower", "best": best,
                "within noise of the best": ", ".join(tied) or "-",
                "behind beyond noise": ", ".join(beaten) or "-"})
    return {"id": "noise", "title": "Differences beyond noise",
            "text": "Per metric, the method with the best mean, the methods whose paired 95 % "
                    "bootstrap interval of the difference to it (the same images resampled for "
                    "both) contains 0, and the methods it beats beyond that interval.",
            "tables": [{"id": "noise", "caption": "best method per metric", "rows": rows}]}


def write_scorecard(card: Scorecard, out_dir: str | os.PathLike, title: str = "Explanation "
                    "scorecard", config: Mapping | None = None) -> dict[str, Path]:
    """Writes report.html, scorecard.csv, scorecard.json and results.json (the page's tables,
    which `python docs/gen_results.py record` takes) atomically into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = report_results(card, title, config)
    paths = {"html": report.write_report(results, out_dir), "csv": out_dir / "scorecard.csv",
             "json": out_dir / "scorecard.json", "results": out_dir / "results.json"}
    write_json(results, paths["results"], sort_keys=False)
    with atomic_path(paths["csv"]) as temporary:
        temporary.write_text(scorecard_csv(card), encoding="utf-8")
    write_json({**card.as_dict(), "config": dict(config or {})}, paths["json"])
    return paths
