"""Runs the Fill in the blanks study end to end over the job driver."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from cnn_explain_tf.studies.driver import Job, run_job
from cnn_explain_tf.studies.fill_in_the_blanks import sections
from cnn_explain_tf.studies.fill_in_the_blanks.config import PRESETS, STAGES, StudyConfig
from cnn_explain_tf.studies.fill_in_the_blanks.layout import Study
from cnn_explain_tf.studies.fill_in_the_blanks.stages import build_chain, classifier_identity
from cnn_explain_tf.validation import InputError, check_choice

__all__ = ["run_study"]


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
    return run_job(Job(
        "fill-in-the-blanks", f"Fill in the blanks (arXiv 2411.10273), preset {config.preset}",
        study.out_dir, run_config, config.preset, STAGES, functools.partial(build_chain, study),
        lambda header: sections.build(study, header["fresh_run_seconds"])), verbose)
