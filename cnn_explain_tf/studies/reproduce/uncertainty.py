"""The report's headline numbers with 95 % bootstrap intervals, and the goals judged on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from cnn_explain_tf import metrics
from cnn_explain_tf.metrics import Interval
from cnn_explain_tf.studies.reproduce.config import CORE_METHODS, STRATEGIES, STRATEGY_ONE_LSFT
from cnn_explain_tf.studies.reproduce.prose import (
    GOALS,
    PAPER,
    QUICK_MINUTES,
    label,
    strategy_label,
)
from cnn_explain_tf.studies.reproduce.records import PairRecord

__all__ = ["goals", "headline"]

# (quantity, table, field, reference): the per-method numbers of Tables 1-3 with an interval.
_QUANTITIES = (("TP %", "localization", "tp", None), ("FP %", "localization", "fp", None),
               ("Dice vs Grad-CAM", "dice", "dice", "gradcam"),
               ("Dice vs mask", "dice", "dice", "mask"),
               ("average drop %", "faithfulness", "average_drop", None),
               ("increase in confidence % (Eq. 8)", "faithfulness", "increase_in_confidence", None),
               ("increase count %", "faithfulness", "increase_count", None),
               ("win % vs Grad-CAM", "faithfulness", "win_rate", None),
               ("tie % vs Grad-CAM", "faithfulness", "tie_rate", None))
Strata = Callable[[str], list[np.ndarray]]


def headline(records: Sequence[PairRecord], resamples: int, seed: int) -> list[dict]:
    """Every headline number with its 95 % interval (bootstrap over images, stratified by pair).

    Per strategy (its seen pairs): each core method's Tables 1-3 means, the paired differences
    LSFT - Grad-CAM and LSFT - GSFT of the average drop, and LSFT - GSFT of the background error
    at each noise amount; per unseen dataset: Grad-CAM, both strategies' LSFT, and the paired
    difference strategy 2 - strategy 1 of the LSFT average drop and Dice vs mask. The
    mask-based numbers (TP %, FP %, Dice vs mask, background error) count the pairs whose dataset
    has masks only; a scope without such pairs has none of them.

    Returns:
        Rows {"id", "scope", "quantity", "pairs", "estimate", "low", "high", "95 % interval"};
        ids such as "similar/lsft/average_drop" or "similar/lsft-gradcam/average_drop".
    """
    options = {"resamples": resamples, "seed": seed}
    rows = []
    for semantics in STRATEGIES:
        pairs = [r for r in records if r.kind == "seen" and r.semantics == semantics]
        rows += _scope(semantics, strategy_label(semantics), pairs, CORE_METHODS,
                       (("lsft", "gradcam"), ("lsft", "gsft")), options)
        rows += _noise(semantics, pairs, options)
    for dataset in dict.fromkeys(r.dataset for r in records if r.kind == "unseen"):
        pairs = [r for r in records if r.kind == "unseen" and r.dataset == dataset]
        rows += _scope(f"unseen {dataset}", f"unseen {dataset}", pairs,
                       ("gradcam", "lsft", STRATEGY_ONE_LSFT), (("lsft", STRATEGY_ONE_LSFT),),
                       options)
    return rows


def goals(rows: Sequence[dict], preset: str, fresh_seconds: float | None) -> list[dict]:
    """The paper's claims on strategy 1's pairs, judged from the intervals (never the point
    estimate alone): "met", "not met" or "within noise" (see `metrics.verdict`)."""
    by_id = {row["id"]: row for row in rows}
    drop = by_id["similar/lsft-gradcam/average_drop"]
    win = by_id["similar/lsft/win_rate"]
    gsft = by_id["similar/lsft-gsft/average_drop"]
    noise = [row for row in rows if row["id"].startswith("similar/lsft-gsft/background_error@")]
    found = [_goal(GOALS["drop"], drop, "lower", 0.0,
                   f"{PAPER['drop']['lsft'] - PAPER['drop']['gradcam']:+.2f}"),
             _goal(GOALS["win"], win, "higher", 50.0, f"{PAPER['win']} %"),
             _goal(GOALS["gsft"], gsft, "lower", 0.0,
                   f"{PAPER['drop']['lsft'] - PAPER['drop']['gsft']:+.2f}")]
    if noise:
        verdicts = [metrics.verdict(_interval(row), "lower") for row in noise]
        overall = ("met" if all(v == "met" for v in verdicts) else "not met"
                   if "not met" in verdicts else "within noise")
        found.append({"goal": GOALS["noise"], "ours": ", ".join(
            f"{row['id'].split('@')[1]}: {v}" for row, v in zip(noise, verdicts)),
            "paper": "lower at every amount", "verdict": overall, "met": overall == "met"})
    if preset == "quick" and fresh_seconds is not None:
        minutes = fresh_seconds / 60
        met = minutes <= QUICK_MINUTES
        found.append({"goal": GOALS["quick"], "ours": GOALS["quick_ours"].format(minutes=minutes),
                      "paper": "-", "verdict": "met" if met else "not met", "met": met})
    return found


def _scope(scope: str, title: str, pairs: Sequence[PairRecord], methods: Sequence[str],
           differences: Sequence[tuple[str, str]], options: dict) -> list[dict]:
    if not pairs:
        return []
    rows = []
    for quantity, table, field, reference in _QUANTITIES:
        counted = _with_rows(pairs, table, reference)
        strata = _strata_of(counted, table, field, reference)
        rows += [_row(f"{scope}/{m}/{field}{_suffix(reference)}", title,
                      f"{label(m)} {quantity}", len(counted),
                      metrics.mean_interval(strata(m), **options)) for m in methods if counted]
    for quantity, table, field, reference in (_QUANTITIES[3], _QUANTITIES[4]):
        counted = _with_rows(pairs, table, reference)
        strata = _strata_of(counted, table, field, reference)
        rows += [_row(f"{scope}/{a}-{b}/{field}{_suffix(reference)}", title,
                      f"{label(a)} - {label(b)} {quantity}", len(counted),
                      metrics.difference_interval(strata(a), strata(b), **options))
                 for a, b in differences if counted]
    return rows


def _with_rows(pairs: Sequence[PairRecord], table: str, reference: str | None
               ) -> list[PairRecord]:
    """The pairs with rows in `table` (against `reference`): for the mask-based tables, the
    pairs whose dataset has masks."""
    return [r for r in pairs if any(reference is None or row.reference == reference
                                    for row in getattr(r, table))]


def _noise(semantics: str, pairs: Sequence[PairRecord], options: dict) -> list[dict]:
    amounts = sorted({row.amount for r in pairs for row in r.noise})
    rows = []
    for amount in amounts:
        def strata(method, amount=amount):
            return [np.asarray(row.per_image["background_error"]) for r in pairs
                    for row in r.noise if row.method == method and row.amount == amount]
        rows.append(_row(f"{semantics}/lsft-gsft/background_error@{amount:g}",
                         strategy_label(semantics),
                         f"LSFT - GSFT background error at noise {amount:g}", len(pairs),
                         metrics.difference_interval(strata("lsft"), strata("gsft"), **options)))
    return rows


def _strata_of(pairs: Sequence[PairRecord], table: str, field: str,
               reference: str | None) -> Strata:
    """method -> per pair, the method's per-image values of `field` in `table`."""
    def strata(method: str) -> list[np.ndarray]:
        return [np.asarray(row.per_image[field], np.float64) for r in pairs
                for row in getattr(r, table) if row.method == method
                and (reference is None or row.reference == reference)]
    return strata


def _suffix(reference: str | None) -> str:
    return "" if reference is None else f"_vs_{reference}"


def _row(row_id: str, scope: str, quantity: str, pairs: int, interval: Interval) -> dict:
    return {"id": row_id, "scope": scope, "quantity": quantity, "pairs": pairs,
            "estimate": interval.estimate, "low": interval.low, "high": interval.high,
            "95 % interval": interval.text()}


def _interval(row: dict) -> Interval:
    return Interval(row["estimate"], row["low"], row["high"])


def _goal(goal: str, row: dict, better: str, threshold: float, paper: str) -> dict:
    found = metrics.verdict(_interval(row), better, threshold)
    return {"goal": goal, "ours": row["95 % interval"], "paper": paper, "verdict": found,
            "met": found == "met"}
