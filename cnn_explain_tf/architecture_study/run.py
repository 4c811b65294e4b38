"""Running a whole study: claim the folder, build the cached stages, write the report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cnn_explain_tf import artifacts, pipeline, report
from cnn_explain_tf.architecture_study import sections
from cnn_explain_tf.architecture_study.config import PRESETS, STAGES, StudyConfig
from cnn_explain_tf.architecture_study.layout import Study
from cnn_explain_tf.architecture_study.stages import build_chain

__all__ = ["QUICK_MINUTES", "compare_architectures", "result_line"]

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
    claimed = pipeline.claim(study.out_dir, "compare-architectures", dataclasses.asdict(config),
                             config.preset)
    records = pipeline.run_stages(build_chain(study), verbose, total=len(STAGES))
    fresh_seconds = pipeline.record_fresh_seconds(claimed, records)
    if verbose:
        print(f"[{len(STAGES)}/{len(STAGES)}] report", flush=True)
    (study.out_dir / "figures").mkdir(exist_ok=True)
    results = {"title": f"Heat maps across CNN architectures (preset {config.preset})",
               "preset": config.preset, "config_hash": claimed.config_hash,
               "config": dataclasses.asdict(config), "versions": artifacts.library_versions(),
               "created": pipeline.now(), "fresh_run_seconds": fresh_seconds,
               "stages": records, "goals": _goals(config, fresh_seconds), **sections.build(study)}
    report.write_report(results, study.out_dir)
    artifacts.write_json(results, study.out_dir / "results.json", sort_keys=False)
    if verbose:
        print(result_line(study.out_dir))
    return results


def _goals(config: StudyConfig, fresh_seconds: float | None) -> list[dict]:
    if config.preset != "quick" or fresh_seconds is None:
        return []
    minutes = fresh_seconds / 60
    return [{"goal": f"quick preset from an empty folder in <= {QUICK_MINUTES} min (2 CPU cores)",
             "ours": f"{minutes:.1f} min", "paper": "-", "met": bool(minutes <= QUICK_MINUTES)}]


def result_line(out_dir: Path) -> str:
    """The one line a run prints last (and alone with --quiet)."""
    return f"wrote {Path(out_dir) / 'report.html'} and {Path(out_dir) / 'results.json'}"
