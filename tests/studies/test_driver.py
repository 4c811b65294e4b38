"""The one job driver on toy stages: claim, stages, report, results.json, the printed lines."""

import json

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
