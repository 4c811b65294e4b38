"""The report's goals and sections, built from the typed per-pair records of the evaluation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from cnn_explain_tf import artifacts, viz
from cnn_explain_tf.protocols.common import average_rows
from cnn_explain_tf.studies.reproduce import columns, uncertainty
from cnn_explain_tf.studies.reproduce.config import STRATEGIES, VARIANTS
from cnn_explain_tf.studies.reproduce.layout import Run
from cnn_explain_tf.studies.reproduce.prose import (
    CHARTS,
    FIG7_READING,
    FIGURE_CAPTIONS,
    RELEVANCE_READING,
    SECTIONS,
    label,
    strategy_label,
)
from cnn_explain_tf.studies.reproduce.records import PairRecord

__all__ = ["build"]


def build(run: Run, records: Sequence[PairRecord], fresh_seconds: float | None) -> dict:
    """The results' "goals", "headline" and "sections" (writes the report's charts).

    Args:
        run: the reproduction.
        records: every pair's record, in `run.classifier_paths()` order.
        fresh_seconds: the stage time of the run from an empty folder, for the quick goal.
    """
    seen = [r for r in records if r.kind == "seen"]
    unseen = [r for r in records if r.kind == "unseen"]
    board = [r for r in seen if r.leaderboard]
    numbers = uncertainty.headline(records, run.config.resamples, run.config.seed)
    return {"goals": uncertainty.goals(numbers, run.config.preset, fresh_seconds),
            "headline": numbers,
            "sections": [_section("headline", [numbers]), _classifiers(run, records),
                         _table1(seen), _table2(seen), _table3(seen), _noise(run, seen),
                         _relevance(run, seen, unseen), _unseen(unseen), _fig7(run),
                         _leaderboard(board),
                         _sanity(run, board)]}


def _with_strategy(records: Sequence[PairRecord], table: str, row_columns) -> list[dict]:
    """Per-pair rows of one table, each headed by the pair's strategy."""
    return [{"strategy": strategy_label(r.semantics), **row_columns(row)}
            for r in records for row in getattr(r, table)]


def _classifiers(run: Run, records: Sequence[PairRecord]) -> dict:
    rows = [{"pair": r.pair, "kind": r.kind, "semantics": r.semantics, "dataset": r.dataset,
             "arch": r.arch, "test accuracy": r.test_accuracy} for r in records]
    gans = []
    for semantics in STRATEGIES:
        for variant in VARIANTS:
            meta = artifacts.read_json(run.gan_dir(semantics, variant) / "generator.json")
            gans.append({"strategy": strategy_label(semantics), "variant": label(variant),
                         "pairs": len(meta["pairs"]), "epochs": meta["epochs"],
                         "steps": meta["steps"], "final reconstruction MSE": (
                             meta["losses"].get("rec_loss") or [float("nan")])[-1],
                         "seconds": meta["seconds"]})
    return _section("classifiers", [rows, gans])


def _table1(seen: Sequence[PairRecord]) -> dict:
    rows = _with_strategy(seen, "localization", columns.localization)
    return _section("table1", [rows, average_rows(rows, ("strategy", "method"))])


def _table2(seen: Sequence[PairRecord]) -> dict:
    """Dice vs Grad-CAM for every pair; Dice vs mask NaN for the pairs without masks."""
    rows = [{"strategy": strategy_label(r.semantics), **columns.dice(r.dice)} for r in seen]
    titles = dict.fromkeys(title for row in rows for title in row)
    rows = [{title: row.get(title, float("nan")) for title in titles} for row in rows]
    return _section("table2", [rows, average_rows(rows, ("strategy",))], _figures("fig5", seen))


def _table3(seen: Sequence[PairRecord]) -> dict:
    rows = _with_strategy(seen, "faithfulness", columns.faithfulness)
    predicted = _with_strategy(seen, "faithfulness_predicted", columns.faithfulness)
    return _section("table3", [rows, average_rows(rows, ("strategy", "method")),
                               average_rows(predicted, ("strategy", "method"))])


def _noise(run: Run, seen: Sequence[PairRecord]) -> dict:
    rows, figures = [], []
    for semantics in STRATEGIES:
        average = average_rows([dataclasses.asdict(row) for r in seen if r.semantics == semantics
                                for row in r.noise], ("amount", "method"))
        if not average:
            continue
        amounts = sorted({row["amount"] for row in average})
        methods = list(dict.fromkeys(row["method"] for row in average))
        value = {(row["amount"], row["method"]): row["background_error"] for row in average}
        rows += [{"strategy": strategy_label(semantics), "amount": a,
                  **{m: value[a, m] for m in methods}} for a in amounts]
        curve = run.report_figure(f"noise_background_error_{semantics}")
        chart = CHARTS["noise"]
        viz.line_chart(amounts, {label(m): [value[a, m] for a in amounts] for m in methods},
                       run.out_dir / curve, title=f"{chart['title']}, "
                       f"{strategy_label(semantics)}", xlabel=chart["xlabel"],
                       ylabel=chart["ylabel"])
        figures.append({"path": str(curve), "caption": FIGURE_CAPTIONS["noise_curve"].format(
            strategy=strategy_label(semantics))})
    return _section("noise", [rows], [*figures, *_figures("noise", seen)])


def _relevance(run: Run, seen: Sequence[PairRecord], unseen: Sequence[PairRecord]) -> dict:
    rows = [{"pair": r.pair, "kind": r.kind, "variant": label(variant),
             **{f"CGMA {j + 1}": v for j, v in enumerate(r.relevance[variant])}}
            for r in (*seen, *unseen) for variant in VARIANTS]
    charts = [_relevance_chart(run, seen, "dataset", variant, "seen") for variant in VARIANTS]
    readings: list[str] = []
    if unseen:  # Sec. 5.2-5.3 read the strategy-2 LSFT on unseen pairs, per architecture
        charts.append(_relevance_chart(run, unseen, "arch", "lsft", "unseen"))
        readings = charts[-1]["readings"]
    return _section("relevance", [rows], [chart["figure"] for chart in charts],
                    text=" ".join([SECTIONS["relevance"].text, *readings]))


def _relevance_chart(run: Run, records: Sequence[PairRecord], group: str, variant: str,
                     kind: str) -> dict:
    """A bar chart of the mean relevance per `group` ("dataset" or "arch"); with the reading of
    Sec. 5.3 (are the first and last CGMAs the most relevant?) per group."""
    k = len(records[0].relevance[variant])
    per_group = average_rows([{group: getattr(r, group), **{str(j): v for j, v in enumerate(
        r.relevance[variant])}} for r in records], (group,))
    bars = {row[group]: [row[str(j)] for j in range(k)] for row in per_group}
    path = run.report_figure(f"relevance_{kind}_{variant}")
    viz.bar_chart(bars, run.out_dir / path, [f"CGMA {j + 1}" for j in range(k)],
                  title=CHARTS["relevance"]["title"].format(label=label(variant), kind=kind,
                                                            group=group),
                  ylabel=CHARTS["relevance"]["ylabel"])
    readings = [_reading(label(variant), name, np.asarray(values)) for name, values in bars.items()]
    return {"figure": {"path": str(path), "caption": FIGURE_CAPTIONS["relevance"].format(
        label=label(variant), kind=kind, group=group)}, "readings": readings}


def _reading(method: str, arch: str, shares: np.ndarray) -> str:
    if np.all(np.isnan(shares)):
        return f"{method}, {arch}: no relevance (the generator ignores every CGMA)."
    top = sorted(int(j) + 1 for j in np.argsort(-np.nan_to_num(shares))[:2])
    ends = float(shares[0] + shares[-1])
    return RELEVANCE_READING.format(
        label=method, arch=arch, top=" and ".join(f"CGMA {j}" for j in top), k=len(shares),
        ends=ends, uniform=2 / len(shares),
        reading="so here too" if top == [1, len(shares)] else "not here")


def _unseen(unseen: Sequence[PairRecord]) -> dict:
    rows = []
    for r in unseen:
        row = {"semantics": r.semantics, "dataset": r.dataset, "arch": r.arch,
               "test accuracy": r.test_accuracy}
        dice = {(d.method, d.reference): d.dice for d in r.dice}
        for m in r.faithfulness:
            row[f"{label(m.method)} Dice vs mask"] = dice.get((m.method, "mask"), float("nan"))
            row[f"{label(m.method)} average drop %"] = m.average_drop
            row[f"{label(m.method)} win %"] = m.win_rate
        rows.append(row)
    return _section("unseen", [rows], _figures("fig9", unseen))


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


def _fig7(run: Run) -> dict:
    """The two LSFTs' held-out error per epoch (a row per LSFT and epoch), its chart, the maps
    and the measured reading."""
    one, many = artifacts.read_json(run.out_dir / "fig7" / "curves.json")
    rows = [{"trained on": ", ".join(curve["trained_on"]), "epoch": epoch + 1,
             **{f"MSE {dataset}": values[epoch] for dataset, values in curve["mse"].items()}}
            for curve in (one, many) for epoch in range(len(curve["mse"][one["trained_on"][0]]))]
    dataset = one["trained_on"][0]
    series = {f"on {', '.join(c['trained_on'])}, {name}": values
              for c in (one, many) for name, values in c["mse"].items()}
    path, chart = run.report_figure("fig7_mse"), CHARTS["fig7"]
    viz.line_chart(list(range(1, len(one["mse"][dataset]) + 1)), series, run.out_dir / path,
                   title=chart["title"], xlabel=chart["xlabel"], ylabel=chart["ylabel"])
    first, curve = many["mse"][dataset][0], one["mse"][dataset]
    reached = [epoch + 1 for epoch, value in enumerate(curve) if value <= first]
    reading = FIG7_READING.format(
        dataset=dataset, many=", ".join(many["trained_on"]), many_first=first,
        one_first=curve[0], reaches=f"first matches it after epoch {reached[0]}" if reached
        else f"does not match it in the epochs trained ({len(curve)})")
    figures = [{"path": str(path), "caption": FIGURE_CAPTIONS["fig7_curve"]},
               {"path": "fig7/fig7.png", "caption": FIGURE_CAPTIONS["fig7"].format(
                   dataset=dataset)}]
    return _section("fig7", [rows], figures, text=f"{SECTIONS['fig7'].text} {reading}")


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
