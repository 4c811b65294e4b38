"""Running the architecture study over the job driver: its stages, goals and sections."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from cnn_explain_tf import pipeline
from cnn_explain_tf.studies.architectures import sections
from cnn_explain_tf.studies.architectures.config import PRESETS, STAGES, StudyConfig
from cnn_explain_tf.studies.architectures.layout import Study
from cnn_explain_tf.studies.architectures.stages import build_chain
from cnn_explain_tf.studies.driver import Job, run_job

__all__ = ["QUICK_MINUTES", "compare_architectures"]

QUICK_MINUTES = 20
"""The quick preset's goal: from an empty folder in at most this many minutes on 2 CPU cores."""


def compare_architectures(out_dir: str | Path, config: StudyConfig | str = "quick", *,
                          verbose: int = 1) -> dict:
    """Runs (or resumes) the architecture study into `out_dir`; returns the results dict.

    Stages: models (train the lite models with one recipe, or describe the pretrained ones) ->
    explain (every model x method map in common form) -> similarity (SSIM matrices, Ward trees,
    readings, family tests) -> perturbation (AOPC beside a random map) -> report. Each stage is
    cached in its folder (`stage.json`, chained hashes); a rerun of the same config reuses every
    finished stage, a folder of another config is refused. Writes `results.json` (every number)
    and the self-contained `report.html`.

    Raises:
        InputError: unknown preset, a folder of another run, bad images or weight files.

    References: "An Evaluation of Explainability of CNN Architectures Based on Heat Maps".
    """
    config = pipeline.resolve_preset(config, PRESETS)
    study = Study(Path(out_dir), config, verbose)
    return run_job(Job(
        "compare-architectures", f"Heat maps across CNN architectures (preset {config.preset})",
        study.out_dir, dataclasses.asdict(config), config.preset, STAGES,
        functools.partial(build_chain, study), functools.partial(_sections, study)), verbose)


def _sections(study: Study, header: dict) -> dict:
    (study.out_dir / "figures").mkdir(exist_ok=True)
    return {"goals": _goals(study.config, header["fresh_run_seconds"]), **sections.build(study)}


def _goals(config: StudyConfig, fresh_seconds: float | None) -> list[dict]:
    if config.preset != "quick" or fresh_seconds is None:
        return []
    minutes = fresh_seconds / 60
    return [{"goal": f"quick preset from an empty folder in <= {QUICK_MINUTES} min (2 CPU cores)",
             "ours": f"{minutes:.1f} min", "paper": "-", "met": bool(minutes <= QUICK_MINUTES)}]

