"""Runs the Fill in the blanks study end to end: claim the folder, run the stages, report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cnn_explain_tf import artifacts, pipeline, report
from cnn_explain_tf.fill_blanks_study import sections
from cnn_explain_tf.fill_blanks_study.config import PRESETS, STAGES, StudyConfig
from cnn_explain_tf.fill_blanks_study.layout import Study
from cnn_explain_tf.fill_blanks_study.stages import build_chain, classifier_identity
from cnn_explain_tf.validation import InputError, check_choice

__all__ = ["result_line", "run_study"]


def run_study(out_dir: str | Path, config: StudyConfig | str = "quick", *,
              classifier: str | Path | None = None, verbose: int = 1) -> dict:
    """Runs (or resumes) the study into `out_dir`; returns the results dict.

    Stages: classifiers (train each dataset x architecture, or copy `classifier`) -> Table 1
    (both modes, bootstrap intervals) -> Figs. 2-6 -> report. A stage whose config hash and
    artifacts match is skipped (a second run is fully cached), one whose config changed is
    rebuilt; within a stage, finished classifiers are kept. Writes `results.json` and
    `report.html`.

    Args:
        out_dir: the run folder; new, empty, or holding a run of this same config.
        config: a `StudyConfig` or a preset name: "smoke" (seconds), "quick" (2 CPU cores,
            minutes) or "paper" (MNIST / Fashion-MNIST through tfds, N* = 10,000).
        classifier: a .keras classifier to measure instead of training (on the first dataset;
            its input size wins: the images are resized to it, other channels are refused).
        verbose: 0 silences; 1 prints each stage and progress bars.

    Raises:
        InputError: an unknown preset, a folder of another config, a missing or mismatched
            classifier, a patch size that does not divide its input size.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", arXiv 2411.10273.
    """
    if isinstance(config, str):
        config = PRESETS[check_choice("preset", config, list(PRESETS))]
    if classifier is not None and not Path(classifier).is_file():
        raise InputError(f"classifier: expected a .keras file, got {classifier} (no such file)")
    study = Study(Path(out_dir), config, None if classifier is None else Path(classifier),
                  verbose)
    run_config = {**dataclasses.asdict(config), "classifier": classifier_identity(study.classifier)}
    claimed = pipeline.claim(study.out_dir, "fill-in-the-blanks", run_config, config.preset)
    records = pipeline.run_stages(build_chain(study), verbose, total=len(STAGES))
    fresh_seconds = pipeline.record_fresh_seconds(claimed, records)
    if verbose:
        print(f"[{len(STAGES)}/{len(STAGES)}] report", flush=True)
    results = {"title": f"Fill in the blanks (arXiv 2411.10273), preset {config.preset}",
               "preset": config.preset, "config_hash": claimed.config_hash,
               "config": run_config, "versions": artifacts.library_versions(),
               "created": pipeline.now(), "fresh_run_seconds": fresh_seconds,
               "stages": records, **sections.build(study, fresh_seconds)}
    report.write_report(results, study.out_dir)
    artifacts.write_json(results, study.out_dir / "results.json", sort_keys=False)
    return results


def result_line(out_dir: str | Path) -> str:
    """The one line a run prints last (and alone with --quiet)."""
    return f"wrote {Path(out_dir) / 'report.html'} and {Path(out_dir) / 'results.json'}"
