"""The cached, resumable stages of a run: chained config hashes, stale downstream, resume."""

from __future__ import annotations

import dataclasses
import datetime
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cnn_explain_tf import artifacts
from cnn_explain_tf.validation import check_choice

__all__ = ["STAGE_FILE", "Stage", "chain", "now", "resolve_preset", "run_stages"]

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


def now() -> str:
    """The local time to the second, ISO 8601, as the run and stage files record it."""
    return datetime.datetime.now().isoformat(timespec="seconds")


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
