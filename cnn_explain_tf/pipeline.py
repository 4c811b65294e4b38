"""A generic cached, resumable stage engine: chained config hashes, claimed run folders, resume."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cnn_explain_tf import artifacts
from cnn_explain_tf.validation import InputError, check_choice

__all__ = ["RUN_FILE", "STAGE_FILE", "Claim", "Stage", "add_job_arguments", "chain", "claim",
           "now", "record_fresh_seconds", "resolve_preset", "run_stages"]

RUN_FILE = "run.json"
"""The file `claim` writes at the root of a run folder: the run's config and its hash."""
STAGE_FILE = "stage.json"
"""The file a finished stage writes in its directory: config hash, upstream, artifacts, time."""


@dataclasses.dataclass(frozen=True)
class Stage:
    """One cached stage: its own config, the stage it builds on, and the function that builds it.

    A stage is identified by `config_hash`, the hash of its own config chained with its upstream
    stage's hash, so a change anywhere upstream changes the hash of every stage after it. When
    the body returns, `directory/stage.json` records that hash, a fingerprint of the upstream's
    `stage.json` (a stage rebuilt upstream makes every stage after it stale, even with an
    unchanged config) and the artifacts that prove the stage finished.

    Attributes:
        name: the stage's name, e.g. "classifiers".
        directory: where the body writes; a stale stage's directory is deleted before it rebuilds.
        config: the stage's own JSON-serialisable config (without its upstream's).
        body: builds the stage: called with this stage, returns the artifact paths (inside
            `directory`) that prove it finished. It may reuse what an earlier, interrupted or
            partly deleted build left in `directory`.
        upstream: the stage this one reads from; None for the first stage.
    """

    name: str
    directory: Path
    config: Mapping
    body: Callable[[Stage], Sequence[Path]]
    upstream: Stage | None = None

    @property
    def chained_config(self) -> dict:
        """The own config plus the upstream stage's `config_hash` (None for the first stage)."""
        return {**self.config, "upstream": self.upstream.config_hash if self.upstream else None}

    @property
    def config_hash(self) -> str:
        """Hash of `chained_config`: changes when this stage's or any upstream config changes."""
        return artifacts.config_hash(self.chained_config)

    @property
    def marker(self) -> Path:
        """`directory/stage.json`, written only once the body has returned."""
        return Path(self.directory) / STAGE_FILE

    def fingerprint(self) -> str | None:
        """Hash of this stage's finished record; None while it has not finished."""
        marker = artifacts.read_json(self.marker)
        return artifacts.config_hash(marker) if marker else None

    def state(self) -> str:
        """"cached" (reusable), "stale" (another config or a rebuilt upstream: delete and rebuild)
        or "missing" (never finished, interrupted or artifacts missing: build what is missing)."""
        marker = artifacts.read_json(self.marker)
        if not marker:
            return "missing"
        upstream = self.upstream.fingerprint() if self.upstream else None
        if (marker.get("config_hash"), marker.get("upstream")) != (self.config_hash, upstream):
            return "stale"
        if artifacts.reusable(self.marker, self.config_hash, marker.get("artifacts", [])):
            return "cached"
        return "missing"

    def build(self, verbose: int = 1) -> None:
        """Runs the body (after deleting a stale directory) and records the stage as finished."""
        start = time.perf_counter()
        if self.state() == "stale":
            if verbose:
                print(f"{self.name}: its config or an upstream stage changed; rebuilding it "
                      "from scratch")
            shutil.rmtree(self.directory)
        self.marker.unlink(missing_ok=True)  # an interrupted build never looks finished
        outputs = self.body(self)
        directory = Path(self.directory)
        artifacts.write_json({"stage": self.name, "config_hash": self.config_hash,
                              "upstream": self.upstream.fingerprint() if self.upstream else None,
                              "config": self.chained_config,
                              "artifacts": [str(Path(p).relative_to(directory)) for p in outputs],
                              "seconds": time.perf_counter() - start, "finished": now(),
                              "versions": artifacts.library_versions()}, self.marker)


def run_stages(chain: Sequence[Stage], verbose: int = 1, total: int | None = None) -> list[dict]:
    """Builds the stages of `chain` that are not cached, in order.

    Args:
        chain: the stages, each after its upstream stage.
        verbose: 0 silences; 1 prints each stage and its status.
        total: the count shown in "[i/total]" (e.g. when a last step runs outside the engine);
            defaults to `len(chain)`.

    Returns:
        One record per stage: name, status ("ran" or "cached"), seconds, config hash.
    """
    records = []
    for number, stage in enumerate(chain, start=1):
        start = time.perf_counter()
        if verbose:
            print(f"[{number}/{total or len(chain)}] {stage.name}", flush=True)
        status = "cached" if stage.state() == "cached" else "ran"
        if status == "ran":
            stage.build(verbose)
        records.append({"name": stage.name, "status": status,
                        "seconds": round(time.perf_counter() - start, 2),
                        "config_hash": stage.config_hash})
        if verbose:
            print(f"    {stage.name}: {status} in {records[-1]['seconds']:.1f} s", flush=True)
    return records


@dataclasses.dataclass(frozen=True)
class Claim:
    """A run folder claimed by `claim`.

    Attributes:
        directory: the run folder.
        config_hash: the hash of the run's config.
        fresh: whether the run started from a new or empty folder (False when resuming).
    """

    directory: Path
    config_hash: str
    fresh: bool

    @property
    def run_file(self) -> Path:
        return self.directory / RUN_FILE


def claim(out_dir: str | Path, kind: str, config: Mapping, preset: str | None = None) -> Claim:
    """Checks that `out_dir` is writable and new, empty or this config's run; records the run.

    Args:
        out_dir: the run folder (created if needed).
        kind: what runs there, for the messages, e.g. "reproduce".
        config: the run's JSON-serialisable config; its hash identifies the run.
        preset: the name of the preset the config comes from, recorded and shown in messages.

    Raises:
        InputError: a folder that cannot be written, holds other files and no run file, an
            unreadable run file, or the run of another config.
    """
    out_dir, digest = Path(out_dir), artifacts.config_hash(config)
    _check_writable(out_dir)
    run_file = out_dir / RUN_FILE
    saved = artifacts.read_json(run_file)
    if saved is None and run_file.exists():
        raise InputError(f"out: {run_file} is not readable JSON; it is not a {kind} run. "
                         "Choose another --out (or delete that folder)")
    if saved is None and any(out_dir.iterdir()):
        raise InputError(f"out: expected a new or empty directory, or one holding a {kind} "
                         f"run, got {out_dir} with other files and no {RUN_FILE}. Choose another "
                         "--out")
    if saved is not None and saved.get("config_hash") != digest:
        raise InputError(f"out: {out_dir} holds the run of another config (preset "
                         f"{saved.get('preset')!r}, hash {saved.get('config_hash')}); this one is "
                         f"preset {preset!r}, hash {digest}. Runs are never mixed: choose another "
                         "--out (or delete that folder)")
    if saved is None:
        artifacts.write_json({"preset": preset, "config_hash": digest, "config": dict(config),
                              "created": now()}, run_file)
    return Claim(out_dir, digest, saved is None)


def _check_writable(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as error:
        raise InputError(f"out: expected a writable directory, got {out_dir} "
                         f"({error.strerror or error})") from error


def record_fresh_seconds(run: Claim, records: Sequence[Mapping]) -> float | None:
    """Seconds the stages took in the run that started from an empty folder.

    A fresh run records the sum of its stage times in the run file; a resumed run reads it back.

    Returns:
        The seconds; None when the fresh run was interrupted before it recorded them.
    """
    saved = artifacts.read_json(run.run_file)
    if run.fresh:
        saved["fresh_run_seconds"] = sum(record["seconds"] for record in records)
        artifacts.write_json(saved, run.run_file)
    return saved.get("fresh_run_seconds")


def now() -> str:
    """The local time to the second, ISO 8601, as the run and stage files record it."""
    return datetime.datetime.now().isoformat(timespec="seconds")


def add_job_arguments(parser: argparse.ArgumentParser, presets: Mapping,
                      preset_help: str) -> argparse._MutuallyExclusiveGroup:
    """Adds the options every multi-stage job shares: --preset, --out, --seed and --quiet.

    Returns the mutually exclusive group holding --seed, for a job with other seed options
    (reproduce adds --seeds to it).
    """
    parser.add_argument("--preset", choices=list(presets), default="quick", help=preset_help)
    parser.add_argument("--out", required=True, type=Path, help="run directory")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="override the preset's seed")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress output, only the result line")
    return seeds


def chain(out_dir: Path, configs: Mapping[str, dict],
          bodies: Mapping[str, Callable[[Stage], object]]) -> list[Stage]:
    """One stage per `bodies` entry, in order, in `out_dir/<name>` with `configs[name]`, each
    chained to the one before it."""
    stages: list[Stage] = []
    for name, body in bodies.items():
        stages.append(Stage(name, out_dir / name, configs[name], body,
                            stages[-1] if stages else None))
    return stages


def resolve_preset(config, presets: Mapping):
    """`presets[config]` for a preset name, else `config` itself (a job's config object).

    Raises:
        InputError: an unknown preset name.
    """
    return presets[check_choice("preset", config, presets)] if isinstance(config, str) else config
