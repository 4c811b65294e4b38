"""Evaluating trained Perception Visualization decoders: Figs. 2 and 7 with a JSON report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts
from cnn_explain_tf.protocols import perception

__all__ = ["evaluate_decoders", "summary"]


def evaluate_decoders(run: str | os.PathLike, out_dir: str | os.PathLike,
                      second_run: str | os.PathLike | None = None, count: int = 256) -> dict:
    """Runs `protocols.perception.evaluate` and writes its report as `out_dir/report.json`.

    Writes fig2_reconstructions.png (and, with a `second_run` that inverts the same classifier,
    fig7_invariance.png) and report.json (atomically) under `out_dir`; returns the report.

    Args:
        run: a `cnn-explain train-decoder` output folder.
        out_dir: the folder for the figures and the report.
        second_run: a decoder of the same classifier trained on another dataset (Fig. 7).
        count: test images used.
    """
    report = perception.evaluate(run, out_dir, second_run, count)
    artifacts.write_json(report, Path(out_dir) / "report.json")
    return report


def summary(report: dict) -> str:
    """The report without its library versions as indented JSON (arrays as floats)."""
    return json.dumps({k: v for k, v in report.items() if k != "versions"}, indent=2,
                      default=lambda value: float(np.asarray(value)))
