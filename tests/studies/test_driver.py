"""The one job driver on toy stages: claim, lock, stages, report, results.json, the lines."""

import dataclasses
import json
import subprocess
import sys
import textwrap
import time

import pytest

from cnn_explain_tf import pipeline
from cnn_explain_tf.studies.driver import Job, result_line, run_job
from cnn_explain_tf.validation import InputError


def _job(out_dir, calls, config=None):
    def body(stage):
        calls.append(stage.name)
        stage.directory.mkdir(exist_ok=True)
        (stage.directory / "out.txt").write_text(stage.name)
        return [stage.directory / "out.txt"]

    def chain():
        return pipeline.chain(out_dir, {"a": {"x": 1}, "b": {"y": 2}}, {"a": body, "b": body})

    return Job("toy", "A toy study", out_dir, config or {"seed": 0}, "smoke", ("a", "b", "report"),
               chain, lambda header: {"goals": [], "sections": [], "seconds_seen":
                                      header["fresh_run_seconds"] is not None},
               to_json=lambda results: {**results, "json": True},
               summary=lambda results: f"{len(results['stages'])} stages")


def test_a_job_runs_its_stages_and_writes_the_report_and_results(tmp_path, capsys):
    calls = []
    results = run_job(_job(tmp_path, calls), verbose=1)
    assert calls == ["a", "b"]
    assert list(results)[:8] == ["title", "preset", "config_hash", "config", "versions",
                                 "created", "fresh_run_seconds", "stages"]
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["json"] and saved["seconds_seen"] and saved["title"] == "A toy study"
    assert (tmp_path / "report.html").is_file()
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3:] == ["[3/3] report", "2 stages", result_line(tmp_path)]
    assert result_line(tmp_path) == (f"wrote {tmp_path / 'report.html'} and "
                                     f"{tmp_path / 'results.json'}")


def test_a_rerun_is_cached_and_another_config_is_refused(tmp_path, capsys):
    calls = []
    run_job(_job(tmp_path, calls), verbose=0)
    again = run_job(_job(tmp_path, calls), verbose=0)
    assert calls == ["a", "b"] and [s["status"] for s in again["stages"]] == ["cached"] * 2
    assert capsys.readouterr().out == ""
    with pytest.raises(InputError):
        run_job(_job(tmp_path, calls, {"seed": 1}), verbose=0)


def _lock_is_free(folder) -> bool:
    """Whether another process could take `folder`'s run lock at once."""
    code = ("import fcntl, sys\nhandle = open(sys.argv[1], 'a')\n"
            "try:\n    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print(True)\n"
            "except BlockingIOError:\n    print(False)")
    run = subprocess.run([sys.executable, "-c", code, str(folder / pipeline.LOCK_FILE)],
                         capture_output=True, text=True, check=True, timeout=60)
    return run.stdout.strip() == "True"


def test_a_job_holds_its_folder_locked_while_it_runs(tmp_path):
    seen = []

    def sections(header):
        seen.append(_lock_is_free(tmp_path))
        return {"goals": [], "sections": []}

    job = dataclasses.replace(_job(tmp_path, []), sections=sections)
    run_job(job, verbose=0)
    assert seen == [False] and _lock_is_free(tmp_path)
    with pipeline.RunLock.acquire(tmp_path), pipeline.waiting(False):
        run_job(job, verbose=0)  # the same process re-enters its own lock


TWO_RUNS = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from cnn_explain_tf import pipeline
    from cnn_explain_tf.studies.driver import Job, run_job

    out = Path(sys.argv[1])

    def body(stage):
        with open(out.parent / "built.log", "a") as log:
            print(stage.name, flush=True, file=log)
        while stage.name == "a" and not (out.parent / "release").exists():
            time.sleep(0.05)
        stage.directory.mkdir(exist_ok=True)
        (stage.directory / "out.txt").write_text(stage.name)
        return [stage.directory / "out.txt"]

    run_job(Job("toy", "A toy study", out, {"seed": 0}, "smoke", ("a", "b", "report"),
                lambda: pipeline.chain(out, {"a": {}, "b": {}}, {"a": body, "b": body}),
                lambda header: {"goals": [], "sections": []}), verbose=1)
""")


@pytest.mark.e2e  # end to end on every architecture / a whole job: minutes
def test_two_processes_into_one_folder_build_each_stage_once(tmp_path):
    out, log = tmp_path / "run", tmp_path / "built.log"
    command = [sys.executable, "-c", TWO_RUNS, str(out)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = "start"
    while waiting and "waiting for" not in waiting:  # skips TensorFlow's start-up lines, if any
        waiting = second.stderr.readline()
    (tmp_path / "release").touch()
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0], outputs
    assert waiting == f"waiting for the run holding {out.resolve() / '.lock'} ...\n"
    assert log.read_text().split() == ["a", "b"]
    assert "a: ran" in outputs[0][0] and "b: ran" in outputs[0][0]
    assert "a: cached" in outputs[1][0] and "b: cached" in outputs[1][0]
