"""`cnn-explain reproduce`: the SFT-GAN paper's experiments end to end, cached stage by stage."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cnn_explain_tf import __version__, artifacts, data, stages
from cnn_explain_tf.cgma_shards import STRATEGY_SEMANTICS, ShardSpec
from cnn_explain_tf.models import zoo
from cnn_explain_tf.protocols import NOISE_AMOUNTS
from cnn_explain_tf.training.classifiers import TrainConfig
from cnn_explain_tf.training.sft_gan import CheckpointError, GANConfig, TrainingDivergedError
from cnn_explain_tf.validation import InputError

__all__ = ["PRESETS", "STAGES", "ReproduceConfig", "Stage", "add_arguments", "main", "reproduce",
           "run_stages"]

STAGES = ("classifiers", "cgma", "gan", "evaluate", "report")
RUN_FILE = "run.json"


@dataclasses.dataclass(frozen=True)
class ReproduceConfig:
    """Everything a reproduction depends on; its hash names the run.

    Attributes:
        datasets: the GAN's training datasets (strategy 1: similar semantics).
        archs: classifier architectures trained on each of them.
        classifier: the classifiers' training recipe.
        shards: CGMA dataset spec (GAN resolution, k, class split, caps).
        gan: the LSFT and GSFT training recipe.
        unseen_datasets, unseen_archs: classifiers the GANs never saw (every pair of the two),
            trained with `classifier` and explained by the same GANs.
        eval_count: test images of each pair's held-out classes for Tables 1-3.
        noise_amounts: salt-and-pepper fractions of Fig. 12-13.
        noise_count: images per pair for the noise protocol.
        leaderboard_count: images per pair explained by every method.
        sanity_count: images per pair of the cascading-randomisation sanity check.
        sanity_checkpoints: comparisons along the cascade (evenly spaced, the fully randomised
            model last); each builds every explainer anew.
        seed: seeds training, splits, noise and randomisation.
    """

    datasets: tuple[str, ...]
    archs: tuple[str, ...]
    classifier: TrainConfig
    shards: ShardSpec
    gan: GANConfig
    unseen_datasets: tuple[str, ...]
    unseen_archs: tuple[str, ...]
    eval_count: int = 128
    noise_amounts: tuple[float, ...] = NOISE_AMOUNTS
    noise_count: int = 16
    leaderboard_count: int = 32
    sanity_count: int = 8
    sanity_checkpoints: int = 3
    seed: int = 0

    def __post_init__(self):
        for name in ("datasets", "archs", "unseen_datasets", "unseen_archs"):
            if not getattr(self, name):
                raise InputError(f"{name}: expected at least one name, got none")
        for name in (*self.datasets, *self.unseen_datasets):
            data.info(name)  # raises ValueError naming the unknown dataset
        for name in self.datasets:
            if data.info(name).semantics != STRATEGY_SEMANTICS[1]:
                raise InputError(f"datasets: expected datasets of similar semantics (the GAN's "
                                 f"strategy 1), got {name!r} "
                                 f"({data.info(name).semantics or 'unknown'} semantics)")
        for name in (*self.archs, *self.unseen_archs):
            if name not in zoo.list_archs():
                raise InputError(f"archs: expected names of {zoo.list_archs()}, got {name!r}")
        for name in ("eval_count", "noise_count", "leaderboard_count", "sanity_count",
                     "sanity_checkpoints"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name}: expected a positive int, got {value!r}")
        if not self.noise_amounts or not all(0 < a <= 1 for a in self.noise_amounts):
            raise InputError(f"noise_amounts: expected fractions in (0, 1], got "
                             f"{self.noise_amounts!r}")

    def stage_configs(self) -> dict[str, dict]:
        """Each stage's own config, chained with its upstream stage's (so a change upstream
        invalidates everything downstream)."""
        as_dict = dataclasses.asdict(self)
        own = {
            "classifiers": {key: as_dict[key] for key in ("datasets", "archs", "classifier",
                                                           "unseen_datasets", "unseen_archs",
                                                           "seed")},
            "cgma": {"shards": as_dict["shards"]},
            "gan": {"gan": as_dict["gan"], "seed": self.seed},
            "evaluate": {**{key: as_dict[key] for key in ("eval_count", "noise_amounts",
                                                           "noise_count", "leaderboard_count",
                                                           "sanity_count",
                                                           "sanity_checkpoints")},
                         "methods": list(stages.LEADERBOARD_METHODS)},
        }
        chained, upstream = {}, None
        for stage, config in own.items():
            chained[stage] = {**config, "upstream": upstream, "version": __version__}
            upstream = artifacts.config_hash(chained[stage])
        return chained


_GLYPHS = ("digits", "letters", "symbols")
_QUICK_CLASSIFIER = TrainConfig(epochs=3, batch_size=64, image_size=(32, 32), optimizer="adam",
                                learning_rate=1e-2, schedule="cosine")
PRESETS: dict[str, ReproduceConfig] = {
    "smoke": ReproduceConfig(
        datasets=("digits",), archs=("vgg_lite", "mobilenet_lite"),
        classifier=dataclasses.replace(_QUICK_CLASSIFIER, epochs=1, max_examples=256),
        shards=ShardSpec(image_size=(32, 32), k=8, max_examples=48),
        gan=GANConfig(epochs=1, batch_size=16, max_examples=48, learning_rate=1e-3),
        unseen_datasets=("objects32",), unseen_archs=("inception_lite",),
        eval_count=12, noise_amounts=(0.1, 0.5), noise_count=4, leaderboard_count=4,
        sanity_count=2, sanity_checkpoints=1),
    "quick": ReproduceConfig(
        datasets=_GLYPHS, archs=("vgg_lite", "resnet_lite", "mobilenet_lite"),
        classifier=_QUICK_CLASSIFIER,
        shards=ShardSpec(image_size=(32, 32), k=8, max_examples=512),
        gan=GANConfig(epochs=8, batch_size=32, max_examples=512, learning_rate=1e-3),
        unseen_datasets=("objects32",), unseen_archs=("inception_lite", "resnet_lite")),
    "paper": ReproduceConfig(
        datasets=_GLYPHS, archs=("vgg16", "resnet50", "mobilenet"),
        classifier=TrainConfig(epochs=20, batch_size=32, image_size=(64, 64), optimizer="paper",
                               transfer=True),
        shards=ShardSpec(image_size=(64, 64), k=8),
        gan=GANConfig(epochs=50, batch_size=16, generator_size="paper", discriminator_filters=64,
                      discriminator_downsamples=3),
        unseen_datasets=("objects32", "shapes64"), unseen_archs=("xception", "inceptionv3",
                                                                 "vgg19"),
        eval_count=512, noise_count=64, leaderboard_count=128, sanity_count=16),
}


@dataclasses.dataclass
class Stage:
    """One cached stage: its directory, config, upstream stage and a function that runs it.

    `run()` returns the paths (inside `directory`) that prove the stage finished. They are listed
    in `directory/stage.json` with the config's hash and a fingerprint of the upstream stage's
    `stage.json`, so a stage rebuilt upstream makes every stage after it stale.
    """

    name: str
    directory: Path
    config: dict
    run: Callable[[], list[Path]]
    upstream: Stage | None = None

    @property
    def marker(self) -> Path:
        return self.directory / "stage.json"

    def fingerprint(self) -> str | None:
        """Hash of this stage's finished record; None while it has not finished."""
        marker = artifacts.read_json(self.marker)
        return artifacts.config_hash(marker) if marker else None

    def state(self) -> str:
        """"cached" (reusable), "stale" (another config or upstream: delete), "missing"
        (unfinished or artifacts missing: rebuild what is missing)."""
        marker = artifacts.read_json(self.marker)
        if not marker:
            return "missing"
        upstream = self.upstream.fingerprint() if self.upstream else None
        if (marker.get("config_hash"), marker.get("upstream")) != (
                artifacts.config_hash(self.config), upstream):
            return "stale"
        if all((self.directory / path).exists() for path in marker.get("artifacts", [])):
            return "cached"
        return "missing"

    def build(self, verbose: int) -> None:
        """Runs the stage (after deleting a stale directory) and records it as finished."""
        start = time.perf_counter()
        if self.state() == "stale":
            if verbose:
                print(f"{self.name}: its config or an upstream stage changed; rebuilding it "
                      "from scratch")
            shutil.rmtree(self.directory)
        self.marker.unlink(missing_ok=True)  # an interrupted run never looks finished
        outputs = self.run()
        artifacts.write_json({"stage": self.name, "config_hash": artifacts.config_hash(self.config),
                              "upstream": self.upstream.fingerprint() if self.upstream else None,
                              "config": self.config,
                              "artifacts": [str(p.relative_to(self.directory)) for p in outputs],
                              "seconds": time.perf_counter() - start, "finished": _now(),
                              "versions": artifacts.library_versions()}, self.marker)


def run_stages(chain: list[Stage], verbose: int = 1) -> list[dict]:
    """Builds the stages of `chain` that are not cached, in order; returns one record each
    (name, status "ran" or "cached", seconds, config hash)."""
    records = []
    for number, stage in enumerate(chain, start=1):
        start = time.perf_counter()
        if verbose:
            print(f"[{number}/{len(STAGES)}] {stage.name}", flush=True)
        status = "cached" if stage.state() == "cached" else "ran"
        if status == "ran":
            stage.build(verbose)
        records.append({"name": stage.name, "status": status,
                        "seconds": round(time.perf_counter() - start, 2),
                        "config_hash": artifacts.config_hash(stage.config)})
        if verbose:
            print(f"    {stage.name}: {status} in {records[-1]['seconds']:.1f} s", flush=True)
    return records


def reproduce(out_dir: str | Path, preset: str = "quick", *, config: ReproduceConfig | None = None,
              verbose: int = 1) -> dict:
    """Runs (or resumes) the whole reproduction into `out_dir`; returns the results dict.

    Stages: train classifiers -> build CGMA shards -> train LSFT and GSFT -> evaluate -> report.
    Each stage directory holds a `stage.json` with the hash of its config chained with its
    upstream stage's; a stage whose hash matches and whose artifacts all exist is skipped, one
    whose config changed is deleted and rebuilt, one with missing artifacts is rebuilt (the
    classifiers and evaluation stages redo only the missing pairs). Writes `results.json` (every
    number of the report) and the self-contained `report.html`.

    Args:
        out_dir: the run directory; it must be empty, new, or hold a run of this same config.
        preset: "smoke" (tests, minutes), "quick" (2 CPU cores, under 30 minutes) or "paper" (the
            paper's sizes and architectures with ImageNet transfer, for a GPU machine).
        config: overrides the preset's `ReproduceConfig`.
        verbose: 0 silences; 1 prints each stage, progress bars and a summary.

    Raises:
        InputError: unknown preset, a directory holding another config's run, or an output
            directory that cannot be written.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067.
    """
    if preset not in PRESETS:
        raise InputError(f"preset: expected one of {list(PRESETS)}, got {preset!r}")
    config = config or PRESETS[preset]
    out_dir = Path(out_dir)
    digest, fresh = _claim(out_dir, preset, config)
    stage_configs = config.stage_configs()
    runner = stages.Runner(out_dir, config, verbose)
    chain: list[Stage] = []
    for name in STAGES[:-1]:
        chain.append(Stage(name, out_dir / name, stage_configs[name], getattr(runner, name),
                           chain[-1] if chain else None))
    records = run_stages(chain, verbose)
    fresh_seconds = _fresh_run_seconds(out_dir, fresh, records)
    if verbose:
        print(f"[{len(STAGES)}/{len(STAGES)}] report", flush=True)
    results = runner.report({"title": f"cnn_explain_tf reproduction of arXiv 2301.08067 "
                                      f"(preset {preset})",
                             "preset": preset, "config_hash": digest,
                             "config": dataclasses.asdict(config),
                             "versions": artifacts.library_versions(), "created": _now(),
                             "fresh_run_seconds": fresh_seconds, "stages": records})
    if verbose:
        print(_summary(results, out_dir))
    return results


def _claim(out_dir: Path, preset: str, config: ReproduceConfig) -> tuple[str, bool]:
    """Checks that `out_dir` is writable and new, empty or this config's run; records the run.

    Returns:
        (the config's hash, whether the run starts from a new or empty directory).
    """
    digest = artifacts.config_hash(dataclasses.asdict(config))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as error:
        raise InputError(f"out: expected a writable directory, got {out_dir} "
                         f"({error.strerror or error})") from error
    run_file = out_dir / RUN_FILE
    saved = artifacts.read_json(run_file)
    if saved is None and run_file.exists():
        raise InputError(f"out: {run_file} is not readable JSON; it is not a reproduce run. "
                         "Choose another --out (or delete that folder)")
    if saved is None and any(out_dir.iterdir()):
        raise InputError(f"out: expected a new or empty directory, or one holding a reproduce "
                         f"run, got {out_dir} with other files and no {RUN_FILE}. Choose another "
                         "--out")
    if saved is not None and saved.get("config_hash") != digest:
        raise InputError(f"out: {out_dir} holds the run of another config (preset "
                         f"{saved.get('preset')!r}, hash {saved.get('config_hash')}); this one is "
                         f"preset {preset!r}, hash {digest}. Runs are never mixed: choose another "
                         "--out (or delete that folder)")
    if saved is None:
        artifacts.write_json({"preset": preset, "config_hash": digest,
                              "config": dataclasses.asdict(config), "created": _now()}, run_file)
    return digest, saved is None


def _fresh_run_seconds(out_dir: Path, fresh: bool, records: list[dict]) -> float | None:
    """Seconds the stages took in the run that started from an empty folder (recorded in
    run.json by that run); None when that run was interrupted and resumed."""
    saved = artifacts.read_json(out_dir / RUN_FILE)
    if fresh:
        saved["fresh_run_seconds"] = sum(record["seconds"] for record in records)
        artifacts.write_json(saved, out_dir / RUN_FILE)
    return saved.get("fresh_run_seconds")


def _summary(results: dict, out_dir: Path) -> str:
    lines = ["", f"{'stage':<12} {'status':<7} {'seconds':>8}"]
    lines += [f"{s['name']:<12} {s['status']:<7} {s['seconds']:>8.1f}" for s in results["stages"]]
    lines += ["", "goals:"]
    lines += [f"  [{'met' if g['met'] else 'NOT met'}] {g['goal']}: ours {g['ours']}, paper "
              f"{g['paper']}" for g in results["goals"]]
    lines += ["", f"wrote {out_dir / 'report.html'} and {out_dir / 'results.json'}"]
    return "\n".join(lines)


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `reproduce` options to `parser` (shared by the CLI and evaluation/)."""
    parser.add_argument("--preset", choices=list(PRESETS), default="quick",
                        help="smoke: minutes, for tests; quick: 2 CPU cores, < 30 min; paper: "
                             "the paper's sizes, for a GPU machine")
    parser.add_argument("--out", required=True, type=Path, help="run directory")
    parser.add_argument("--seed", type=int, help="override the preset's seed")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    return parser


def main(args: argparse.Namespace) -> int:
    """Runs `reproduce` from parsed `add_arguments` options; returns the exit status."""
    try:
        config = dataclasses.replace(PRESETS[args.preset],
                                     **({"seed": args.seed} if args.seed is not None else {}))
        reproduce(args.out, args.preset, config=config, verbose=0 if args.quiet else 1)
    except (ValueError, OSError, CheckpointError, TrainingDivergedError) as error:
        print(f"reproduce: error: {error}", file=sys.stderr)
        return 2
    return 0
