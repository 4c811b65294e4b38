"""The one job driver of the staged studies: claim and lock the folder, run the stages, report."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cnn_explain_tf import artifacts, pipeline, report

__all__ = ["Job", "result_line", "run_job"]


def _same(results: dict) -> dict:
    return results


@dataclasses.dataclass(frozen=True)
class Job:
    """What one run of a staged study is made of; `run_job` does the rest.

    Attributes:
        kind: the job's name as its run folder records it ("reproduce", ...).
        title: the report's title.
        out_dir: the run folder.
        config: the run's config as a JSON-able dict (hashed, recorded, compared on resume).
        preset: the preset's name.
        stage_names: every stage's name, the report last (for the "[i/n]" progress lines).
        chain: builds the cached stages (called after the folder is claimed).
        sections: the header (title ... stages) -> the study's own results entries.
        to_json: the results -> what `results.json` holds (default: the results themselves).
        summary: the results -> lines printed before the result line when verbose.
    """

    kind: str
    title: str
    out_dir: Path
    config: Mapping
    preset: str
    stage_names: Sequence[str]
    chain: Callable[[], list[pipeline.Stage]]
    sections: Callable[[dict], dict]
    to_json: Callable[[dict], dict] = _same
    summary: Callable[[dict], str] | None = None


def run_job(job: Job, verbose: int = 1) -> dict:
    """Runs (or resumes) `job`: claims its folder, builds its stages, writes `report.html` and
    `results.json`; returns the results dict. With `verbose`, prints each stage, the job's
    summary and the result line.

    The folder stays locked for the whole run: a second run into it waits (one line on stderr)
    and then finds the stages done, or, inside `pipeline.waiting(False)`, refuses.

    Raises:
        InputError: a folder holding another config's run, one that cannot be written, or one
            in use by another run (without waiting).
    """
    with pipeline.claim(job.out_dir, job.kind, job.config, job.preset) as claimed:
        total = len(job.stage_names)
        records = pipeline.run_stages(job.chain(), verbose, total=total)
        fresh_seconds = pipeline.record_fresh_seconds(claimed, records)
        if verbose:
            print(f"[{total}/{total}] report", flush=True)
        header = {"title": job.title, "preset": job.preset, "config_hash": claimed.config_hash,
                  "config": job.config, "versions": artifacts.library_versions(),
                  "created": pipeline.now(), "fresh_run_seconds": fresh_seconds,
                  "stages": records}
        results = {**header, **job.sections(header)}
        report.write_report(results, job.out_dir)  # first: it validates every figure and table
        artifacts.write_json(job.to_json(results), job.out_dir / "results.json", sort_keys=False)
    if verbose:
        if job.summary is not None:
            print(job.summary(results))
        print(result_line(job.out_dir))
    return results


def result_line(out_dir: str | Path) -> str:
    """The one line a study prints last (and alone with --quiet)."""
    return f"wrote {Path(out_dir) / 'report.html'} and {Path(out_dir) / 'results.json'}"
