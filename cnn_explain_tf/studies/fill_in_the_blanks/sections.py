"""The study's results: goals, Table 1 with its intervals, Figs. 2-6, as report sections."""

from __future__ import annotations

from cnn_explain_tf import artifacts, metrics
from cnn_explain_tf.studies.fill_in_the_blanks.layout import Study

__all__ = ["GOALS", "PAPER", "accuracy_verdict", "build"]

PAPER = {"random": 0.99, "progressive": 0.93}
"""Table 1 of the paper (MNIST, "ResNet5"): accuracy = macro F1 = weighted F1."""
GOALS = {"random": 0.95, "progressive": 0.90, "quick_minutes": 10}
"""Issue 15's goals: Table 1 accuracy on digits per mode, and the quick preset's minutes."""
_TABLE1_TEXT = """For each test image the label is ŷ, the class the model predicts for the
masked input (Section 4.3): the most frequent class over the first 256 random masks M(x)
(random mode) or the class of M_1(x) (progressive mode). The blanks are filled for ŷ and the
same model classifies the prototype; accuracy and F1 score that class against ŷ. The image
classified is named in the "classified" column: random mode, M(x) + T(E[dx]) (Eq. 3 with Eq. 5,
the image the paper shows: x with the fill in one kept mask's blanks) and, stricter, T(E[dx])
alone; progressive mode, the image after the k-th fill, every pixel a fill. An image with no
kept mask has no prototype and counts as wrong. Brackets: bootstrap 95 % intervals over the
test images. "ŷ = truth" is how often ŷ is the ground truth."""
_FIGURES = {
    "fig2": ("Fig. 2: a prototype per class", "The first test image of each class ŷ (random "
             "masks) with M(x) + T(E[dx]) and T(E[dx])."),
    "fig3": ("Fig. 3: progressive filling", "One sequence of k disjoint masks per image; each "
             "step fills its blanks conditioned on the fills before it. Row labels: ŷ and the "
             "class predicted at each step."),
    "fig4": ("Fig. 4: mask ratio x patch size", "T(E[dx]) of the first test image; a black "
             "cell kept no mask."),
    "fig5": ("Fig. 5: first vs second order", "T(E[dx]) from the negative gradient and from a "
             "few BFGS steps; the agreement is the fraction of equal prototype values."),
    "fig6": ("Fig. 6: binarised vs not", "Both modes binarised at each threshold of Eq. 4 and "
             "not binarised; the on-fraction is the mean prototype value."),
}


def build(study: Study, fresh_seconds: float | None) -> dict:
    """{"classifiers", "table1", "figures", "goals", "sections"} from the cached stages."""
    classifiers, table1, figures = [], [], {}
    for pair in study.pairs:
        record = artifacts.read_json(study.model_path(pair).with_suffix(".json"))
        classifiers.append({"pair": pair.name, "dataset": pair.dataset, "arch": pair.arch,
                            "test_accuracy": record["test_accuracy"],
                            "input": "x".join(map(str, record["input_shape"])),
                            "note": record["input_note"] or "-"})
        table1 += [{"pair": pair.name, "dataset": pair.dataset, "arch": pair.arch, **row}
                   for row in artifacts.read_json(study.table_path(pair))["rows"]]
        saved = artifacts.read_json(study.figure_path(pair, "fig2").with_name(f"{pair.name}.json"))
        figures[pair.name] = {k: v for k, v in saved.items() if k != "config_hash"}
    return {"classifiers": classifiers, "table1": table1, "figures": figures,
            "goals": _goals(study, table1, fresh_seconds),
            "sections": [_classifier_section(classifiers), _table1_section(table1),
                         *[_figure_section(study, kind, figures) for kind in _FIGURES]]}


def _interval(row: dict, metric: str) -> str:
    return f"{row[metric]:.3f} [{row[f'{metric}_low']:.3f}, {row[f'{metric}_high']:.3f}]"


def _goals(study: Study, table1: list[dict], fresh_seconds: float | None) -> list[dict]:
    goals = [{"goal": f"Table 1 {row['mode']} accuracy >= {GOALS[row['mode']]} on digits "
                      f"({row['arch']}, {row['classified']})",
              "ours": _interval(row, "accuracy"), "paper": f"{PAPER[row['mode']]} (MNIST)",
              "verdict": accuracy_verdict(row, GOALS[row["mode"]])}
             for row in table1 if row["dataset"] == "digits"
             and row["classified"] != "T(E[dx])"]
    if study.config.preset == "quick" and fresh_seconds is not None:
        in_time = fresh_seconds <= 60 * GOALS["quick_minutes"]
        goals.append({"goal": f"quick preset <= {GOALS['quick_minutes']} min (2 shared cores)",
                      "ours": f"{fresh_seconds / 60:.1f} min", "paper": "-",
                      "verdict": "met" if in_time else "not met"})
    return [{**goal, "met": goal["verdict"] == "met"} for goal in goals]


def accuracy_verdict(row: dict, goal: float) -> str:
    """A Table 1 row's accuracy against `goal` from its interval, never its point estimate alone:
    `metrics.verdict` of "at least `goal`" (an interval touching the goal from above is met)."""
    interval = metrics.Interval(row["accuracy"], row["accuracy_low"], row["accuracy_high"])
    return metrics.verdict(interval, "higher", goal, inclusive=True)


def _classifier_section(classifiers: list[dict]) -> dict:
    return {"id": "classifiers", "title": "Classifiers",
            "text": "Each classifier's accuracy on its dataset's test split (all of it).",
            "tables": [{"id": "classifiers", "caption": "classifiers", "rows": classifiers}]}


def _table1_section(table1: list[dict]) -> dict:
    rows = [{"dataset": r["dataset"], "model": r["arch"], "masking": r["mode"],
             "classified": r["classified"], "images": r["images"],
             "accuracy [95 % CI]": _interval(r, "accuracy"),
             "macro F1 [95 % CI]": _interval(r, "macro_f1"),
             "weighted F1 [95 % CI]": _interval(r, "weighted_f1"),
             "without prototype [95 % CI]": _interval(r, "without_prototype"),
             "ŷ = truth": r["label_is_truth"]} for r in table1]
    paper = [{"dataset": "MNIST", "model": "ResNet5", "masking": mode, "accuracy": value,
              "macro F1": value, "weighted F1": value} for mode, value in PAPER.items()]
    return {"id": "table1", "title": "Table 1: the model classifies its own prototypes",
            "text": _TABLE1_TEXT,
            "tables": [{"id": "table1", "caption": "ours", "rows": rows},
                       {"id": "table1_paper", "caption": "the paper's Table 1", "rows": paper}]}


def _figure_section(study: Study, kind: str, figures: dict) -> dict:
    title, text = _FIGURES[kind]
    section = {"id": kind, "title": title, "text": text,
               "figures": [{"path": str(study.figure_path(pair, kind).relative_to(
                   study.out_dir)), "caption": f"{title} ({pair.name})"}
                   for pair in study.pairs]}
    if kind == "fig5":
        section["tables"] = [{"id": "fig5", "caption": "agreement of the two orders", "rows": [
            {"pair": name, "agreement": numbers["fig5_agreement"]}
            for name, numbers in figures.items()]}]
    if kind == "fig6":
        section["tables"] = [{"id": "fig6", "caption": "on-fraction of the prototypes", "rows": [
            {"pair": name, "mode": mode, **by_setting}
            for name, numbers in figures.items()
            for mode, by_setting in numbers["fig6_on_fraction"].items()]}, {
            "id": "probe_notes", "caption": "Figs. 3-6: probes that kept fewer masks than N* "
            "(their expectation uses those)", "rows": [
                {"pair": name, "note": note} for name, numbers in figures.items()
                for note in numbers.get("probe_notes", [])]}]
    return section
