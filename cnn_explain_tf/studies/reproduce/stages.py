"""The stages of `cnn-explain reproduce`, each an explicit function wired into a pipeline stage."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from cnn_explain_tf import artifacts, pipeline
from cnn_explain_tf.studies.driver import Job, run_job
from cnn_explain_tf.studies.reproduce import sections
from cnn_explain_tf.studies.reproduce.config import (
    PRESETS,
    STAGES,
    STRATEGIES,
    VARIANTS,
    ReproduceConfig,
)
from cnn_explain_tf.studies.reproduce.epochs import train_fig7
from cnn_explain_tf.studies.reproduce.layout import Run
from cnn_explain_tf.studies.reproduce.pairs import evaluate_pairs
from cnn_explain_tf.studies.reproduce.records import PairRecord, plain
from cnn_explain_tf.training.cgma_writer import build_cgma
from cnn_explain_tf.training.classifiers import train_classifiers
from cnn_explain_tf.training.options import RunOptions
from cnn_explain_tf.training.sft_gan import train_sft_gan

__all__ = ["build_chain", "reproduce", "summary"]


def train_all_classifiers(run: Run, stage: pipeline.Stage) -> list[Path]:
    """Trains the seen and the unseen classifiers (pairs already trained are kept)."""
    config = run.config
    options = RunOptions(resume=True, seed=config.seed, verbose=run.verbose)
    results = [train_classifiers(stage.directory / kind, datasets, archs, config.classifier,
                                 options)
               for kind, datasets, archs in (
                   ("seen", config.seen_datasets(), config.archs),
                   ("unseen", config.unseen_datasets, config.unseen_archs))]
    return [path for pairs in results for r in pairs
            for path in (r.path, r.path.with_suffix(".json"))]


def build_shards(run: Run, stage: pipeline.Stage) -> list[Path]:
    """Builds the CGMA shards of every seen classifier (both strategies')."""
    build_cgma(run.out_dir / "classifiers" / "seen", stage.directory, run.config.shards,
               semantics=None, datasets=run.config.seen_datasets(), verbose=run.verbose)
    return sorted(p for p in Path(stage.directory).glob("*/*")
                  if not p.name.startswith("."))  # not a killed write's temporary file


def train_gans(run: Run, stage: pipeline.Stage) -> list[Path]:
    """Trains LSFT and GSFT per strategy on the shards of its seen pairs (a finished generator of
    the same config is reused, an interrupted one resumes from its checkpoints)."""
    options = RunOptions(resume=True, seed=run.config.seed, verbose=run.verbose)
    outputs = []
    for semantics in STRATEGIES:
        for variant in VARIANTS:
            run_dir = run.gan_dir(semantics, variant)
            train_sft_gan(run.out_dir / "cgma", run_dir, variant, run.config.gan,
                          semantics=semantics, options=options)
            outputs += [run_dir / "generator.keras", run_dir / "generator.json"]
    return outputs


def evaluate(run: Run, stage: pipeline.Stage) -> list[Path]:
    """Evaluates every classifier; each pair's numbers are cached in evaluate/pairs/."""
    return evaluate_pairs(run, stage.config_hash)


def build_chain(run: Run) -> list[pipeline.Stage]:
    """The cached stages of `run`, each chained to the one before it."""
    bodies = {"classifiers": train_all_classifiers, "cgma": build_shards, "gan": train_gans,
              "evaluate": evaluate, "fig7": train_fig7}
    return pipeline.chain(run.out_dir, run.config.stage_configs(),
                          {name: functools.partial(body, run) for name, body in bodies.items()})


def study_sections(run: Run, header: dict) -> dict:
    """The report's sections from the cached stage outputs (every pair's record)."""
    records = [PairRecord.from_json(artifacts.read_json(run.pair_record(path.stem)))
               for _, path in run.classifier_paths()]
    return sections.build(run, records, header["fresh_run_seconds"])


def reproduce(out_dir: str | Path, config: ReproduceConfig | str = "quick", *,
              verbose: int = 1) -> dict:
    """Runs (or resumes) the whole reproduction into `out_dir`; returns the results dict.

    Stages: train classifiers -> build CGMA shards -> train LSFT and GSFT of both strategies ->
    evaluate -> Fig. 7 (an LSFT on one dataset vs on three, epoch by epoch) -> report.
    Each stage directory holds a `stage.json` with the hash of its config chained with its
    upstream stage's; a stage whose hash matches and whose artifacts all exist is skipped, one
    whose config changed is deleted and rebuilt, one with missing artifacts is rebuilt (the
    classifiers and evaluation stages redo only the missing pairs). Writes `results.json` (every
    number of the report) and the self-contained `report.html`.

    Args:
        out_dir: the run directory; it must be empty, new, or hold a run of this same config.
        config: a `ReproduceConfig` or a preset name: "smoke" (tests, minutes), "quick" (2 CPU
            cores, under 30 minutes) or "paper" (the paper's sizes, for a GPU machine).
        verbose: 0 silences; 1 prints each stage, progress bars and a summary.

    Raises:
        InputError: unknown preset, a directory holding another config's run, or an output
            directory that cannot be written.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067.
    """
    config = pipeline.resolve_preset(config, PRESETS)
    run = Run(Path(out_dir), config, verbose)
    return run_job(Job(
        "reproduce", f"cnn_explain_tf reproduction of arXiv 2301.08067 (preset {config.preset})",
        run.out_dir, dataclasses.asdict(config), config.preset, STAGES,
        functools.partial(build_chain, run), functools.partial(study_sections, run),
        to_json=functools.partial(plain, nan=None), summary=summary), verbose)


def summary(results: dict) -> str:
    """The stage table and the goals printed at the end of a run, before its result line."""
    lines = ["", f"{'stage':<12} {'status':<7} {'seconds':>8}"]
    lines += [f"{s['name']:<12} {s['status']:<7} {s['seconds']:>8.1f}" for s in results["stages"]]
    lines += ["", "goals:"]
    lines += [f"  [{g['verdict']}] {g['goal']}: ours {g['ours']}, paper {g['paper']}"
              for g in results["goals"]]
    return "\n".join([*lines, ""])
