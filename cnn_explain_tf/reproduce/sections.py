"""The report's goals and sections, built from the typed per-pair records of the evaluation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from cnn_explain_tf import artifacts, viz
from cnn_explain_tf.protocols.common import average_rows
from cnn_explain_tf.reproduce import columns
from cnn_explain_tf.reproduce.config import VARIANTS
from cnn_explain_tf.reproduce.layout import Run
from cnn_explain_tf.reproduce.pairs import PairRecord
from cnn_explain_tf.reproduce.prose import (
    CHARTS,
    FIGURE_CAPTIONS,
    GOALS,
    PAPER,
    QUICK_MINUTES,
    SECTIONS,
    TABLE3_VERDICT,
    label,
)

__all__ = ["build"]


def build(run: Run, records: Sequence[PairRecord], fresh_seconds: float | None) -> dict:
    """The results' "goals" and "sections" (tables, texts, figures; writes the report's charts).

    Args:
        run: the reproduction.
        records: every pair's record, in `run.classifier_paths()` order.
        fresh_seconds: the stage time of the run from an empty folder, for the quick goal.
    """
    seen = [r for r in records if r.kind == "seen"]
    unseen = [r for r in records if r.kind == "unseen"]
    faithfulness = _by_method([row for r in seen for row in r.faithfulness])
    return {"goals": _goals(run.config.preset, fresh_seconds, faithfulness),
            "sections": [_classifiers(run, records), _table1(seen), _table2(seen),
                         _table3(seen, faithfulness), _noise(run, seen), _relevance(run, seen),
                         _unseen(run, unseen), _leaderboard(seen), _sanity(run, seen)]}


def _by_method(rows: Sequence) -> dict[str, dict]:
    """method -> the mean of each numeric field of its typed rows over the pairs."""
    averaged = average_rows([dataclasses.asdict(row) for row in rows], ("method",))
    return {row["method"]: row for row in averaged}


def _goals(preset: str, fresh_seconds: float | None, faithfulness: dict) -> list[dict]:
    drop = {m: faithfulness[m]["average_drop"] for m in ("lsft", "gradcam")}
    win = faithfulness["lsft"]["win_rate"]
    goals = [{"goal": GOALS["drop"],
              "ours": f"{_percent(drop['lsft'])} vs {_percent(drop['gradcam'])}",
              "paper": f"{PAPER['drop']['lsft']} % vs {PAPER['drop']['gradcam']} %",
              "met": bool(drop["lsft"] < drop["gradcam"])},
             {"goal": GOALS["win"], "ours": _percent(win, 1), "paper": f"{PAPER['win']} %",
              "met": bool(win > 50)}]
    if preset == "quick" and fresh_seconds is not None:
        minutes = fresh_seconds / 60
        goals.append({"goal": GOALS["quick"], "ours": GOALS["quick_ours"].format(minutes=minutes),
                      "paper": "-", "met": bool(minutes <= QUICK_MINUTES)})
    return goals


def _classifiers(run: Run, records: Sequence[PairRecord]) -> dict:
    rows = [{"pair": r.pair, "kind": r.kind, "dataset": r.dataset, "arch": r.arch,
             "test accuracy": r.test_accuracy} for r in records]
    gans = []
    for variant in VARIANTS:
        meta = artifacts.read_json(run.gan_dir(variant) / "generator.json")
        gans.append({"variant": label(variant), "pairs": len(meta["pairs"]),
                     "epochs": meta["epochs"], "steps": meta["steps"],
                     "final reconstruction MSE": (meta["losses"].get("rec_loss")
                                                  or [float("nan")])[-1],
                     "seconds": meta["seconds"]})
    return _section("classifiers", [rows, gans])


def _table1(seen: Sequence[PairRecord]) -> dict:
    rows = [columns.localization(row) for r in seen for row in r.localization]
    return _section("table1", [rows, average_rows(rows, ("method",))])


def _table2(seen: Sequence[PairRecord]) -> dict:
    rows = [columns.dice(r.dice) for r in seen]
    return _section("table2", [rows, average_rows(rows, ())], _figures("fig5", seen))


def _table3(seen: Sequence[PairRecord], faithfulness: dict) -> dict:
    rows = [columns.faithfulness(row) for r in seen for row in r.faithfulness]
    lsft, gradcam = faithfulness["lsft"], faithfulness["gradcam"]
    verdict = TABLE3_VERDICT.format(
        lsft=_percent(lsft["average_drop"]), gradcam=_percent(gradcam["average_drop"]),
        verdict="lower than" if lsft["average_drop"] < gradcam["average_drop"]
        else "not lower than",
        win=_percent(lsft["win_rate"], 1), paper_lsft=PAPER["drop"]["lsft"],
        paper_gradcam=PAPER["drop"]["gradcam"], paper_win=PAPER["win"])
    return _section("table3", [rows, average_rows(rows, ("method",))],
                    text=SECTIONS["table3"].text + verdict)


def _noise(run: Run, seen: Sequence[PairRecord]) -> dict:
    average = average_rows([dataclasses.asdict(row) for r in seen for row in r.noise],
                           ("amount", "method"))
    amounts = sorted({row["amount"] for row in average})
    methods = list(dict.fromkeys(row["method"] for row in average))
    value = {(row["amount"], row["method"]): row["background_error"] for row in average}
    rows = [{"amount": a, **{m: value[a, m] for m in methods}} for a in amounts]
    curve = run.report_figure("noise_background_error")
    viz.line_chart(amounts, {m: [value[a, m] for a in amounts] for m in methods},
                   run.out_dir / curve, **CHARTS["noise"])
    return _section("noise", [rows],
                    [{"path": str(curve), "caption": FIGURE_CAPTIONS["noise_curve"]},
                     *_figures("noise", seen)])


def _relevance(run: Run, seen: Sequence[PairRecord]) -> dict:
    rows, figures = [], []
    for variant in VARIANTS:
        k = len(seen[0].relevance[variant])
        rows += [{"pair": r.pair, "variant": label(variant),
                  **{f"CGMA {j + 1}": v for j, v in enumerate(r.relevance[variant])}}
                 for r in seen]
        per_dataset = average_rows(
            [{"dataset": r.dataset, **{str(j): v for j, v in enumerate(r.relevance[variant])}}
             for r in seen], ("dataset",))
        path = run.report_figure(f"relevance_{variant}")
        viz.bar_chart({row["dataset"]: [row[str(j)] for j in range(k)] for row in per_dataset},
                      run.out_dir / path, [f"CGMA {j + 1}" for j in range(k)],
                      title=CHARTS["relevance"]["title"].format(label=label(variant)),
                      ylabel=CHARTS["relevance"]["ylabel"])
        figures.append({"path": str(path),
                        "caption": FIGURE_CAPTIONS["relevance"].format(label=label(variant))})
    return _section("relevance", [rows], figures)


def _unseen(run: Run, unseen: Sequence[PairRecord]) -> dict:
    rows = []
    for r in unseen:
        row = {"dataset": r.dataset, "arch": r.arch,
               "unseen": "dataset" if r.arch in run.config.archs else "dataset and architecture",
               "test accuracy": r.test_accuracy}
        dice = {d.method: d.dice for d in r.dice}
        reference = label(r.dice[0].reference)
        for m in r.faithfulness:
            row[f"{m.method} Dice vs {reference}"] = dice.get(m.method, float("nan"))
        for loc in r.localization:
            row[f"{loc.method} TP %"] = loc.tp
        for m in r.faithfulness:
            row[f"{m.method} average drop %"] = m.average_drop
            row[f"{m.method} win %"] = m.win_rate
        rows.append(row)
    return _section("unseen", [rows], _figures("fig5", unseen))


def _leaderboard(seen: Sequence[PairRecord]) -> dict:
    rows = average_rows([columns.leaderboard(row) for r in seen for row in r.leaderboard],
                        ("dataset", "method"))
    return _section("leaderboard", [rows, average_rows(rows, ("method",))],
                    _figures("methods", seen))


def _sanity(run: Run, seen: Sequence[PairRecord]) -> dict:
    rows = [{**dataclasses.asdict(row), "passed": float(row.passed)}
            for r in seen for row in r.sanity]
    rows = [{"dataset": row["dataset"], "method": row["method"], "sanity SSIM": row["ssim"],
             "pairs passed": f"{passed}/{row['pairs']}", "passed": passed == row["pairs"]}
            for row in average_rows(rows, ("dataset", "method"))
            for passed in [round(row["passed"] * row["pairs"])]]
    curves = [{"pair": r.pair, "method": method,
               "layers randomised up to": ", ".join(curve.layers),
               **{f"SSIM {j + 1}": v for j, v in enumerate(curve.similarity)}}
              for r in seen for method, curve in r.sanity_curves.items()]
    return _section("sanity", [rows, curves], _sanity_charts(run, seen))


def _sanity_charts(run: Run, seen: Sequence[PairRecord]) -> list[dict]:
    """One chart of every method's curve for the first pair of each dataset."""
    figures = []
    for r in {record.dataset: record for record in reversed(seen)}.values():
        series = {m: c.similarity for m, c in r.sanity_curves.items()}
        length = len(next(iter(series.values())))
        path = run.report_figure(f"sanity_{r.pair}")
        chart = CHARTS["sanity"]
        viz.line_chart(list(range(1, length + 1)), series, run.out_dir / path,
                       title=chart["title"].format(pair=r.pair), xlabel=chart["xlabel"],
                       ylabel=chart["ylabel"])
        figures.append({"path": str(path), "caption": FIGURE_CAPTIONS["sanity"].format(
            pair=r.pair)})
    return figures


def _figures(kind: str, records: Sequence[PairRecord]) -> list[dict]:
    return [{"path": f.path, "caption": f.caption}
            for r in records for f in r.figures if f.kind == kind]


def _section(section_id: str, tables: Sequence[list[dict]], figures: list[dict] | None = None,
             text: str | None = None) -> dict:
    """A section with its declared title, text and table captions (`text` overrides the text)."""
    prose = SECTIONS[section_id]
    return {"id": section_id, "title": prose.title, "text": prose.text if text is None else text,
            "tables": [{"id": table_id, "caption": caption, "rows": rows}
                       for (table_id, caption), rows in zip(prose.captions.items(), tables)],
            "figures": figures or []}


def _percent(value: float, decimals: int = 2) -> str:
    """"12.34 %", or "n/a" for NaN (e.g. an average drop where every image was excluded)."""
    return "n/a" if np.isnan(value) else f"{value:.{decimals}f} %"
