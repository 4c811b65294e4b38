"""The stage engine on toy stages: chained hashes, stale downstream, interruptions, claims."""

import dataclasses
import json

import pytest

from cnn_explain_tf import artifacts, pipeline
from cnn_explain_tf.validation import InputError


def _chain(root, calls, configs=({"x": 1}, {"y": 2})):
    """Two toy stages a -> b that write one artifact each and log their runs in `calls`."""
    def body(stage):
        calls.append(stage.name)
        stage.directory.mkdir(exist_ok=True)
        (stage.directory / "out.txt").write_text(stage.name)
        return [stage.directory / "out.txt"]
    return pipeline.chain(root, {"a": configs[0], "b": configs[1]}, {"a": body, "b": body})


def _statuses(chain):
    return [record["status"] for record in pipeline.run_stages(chain, verbose=0)]


def test_config_hashes_chain_with_the_upstream_hash(tmp_path):
    a, b = _chain(tmp_path, [])
    assert (a.name, a.directory, b.upstream) == ("a", tmp_path / "a", a)
    assert a.chained_config == {"x": 1, "upstream": None}
    assert b.chained_config == {"y": 2, "upstream": a.config_hash}
    assert b.config_hash == artifacts.config_hash({"y": 2, "upstream": a.config_hash})
    changed_a, changed_b = _chain(tmp_path, [], ({"x": 2}, {"y": 2}))
    assert changed_a.config_hash != a.config_hash
    assert changed_b.config_hash != b.config_hash  # same own config, another upstream


def test_resume_reuses_cached_stages(tmp_path):
    calls = []
    assert _statuses(_chain(tmp_path, calls)) == ["ran", "ran"] and calls == ["a", "b"]
    records = pipeline.run_stages(_chain(tmp_path, calls), verbose=0)
    assert [r["status"] for r in records] == ["cached", "cached"] and calls == ["a", "b"]
    assert [r["config_hash"] for r in records] == [s.config_hash for s in _chain(tmp_path, [])]
    marker = json.loads((tmp_path / "b" / "stage.json").read_text())
    assert marker["artifacts"] == ["out.txt"] and marker["stage"] == "b"


def test_stages_rebuild_what_changed_and_everything_downstream(tmp_path):
    calls = []
    _statuses(_chain(tmp_path, calls))
    (tmp_path / "a" / "out.txt").unlink()  # a missing artifact: a reruns, b is stale
    (tmp_path / "b" / "leftover.txt").write_text("x")
    assert _statuses(_chain(tmp_path, calls)) == ["ran", "ran"]
    assert not (tmp_path / "b" / "leftover.txt").exists()  # a stale stage starts from scratch
    assert _statuses(_chain(tmp_path, calls, ({"x": 1}, {"y": 3}))) == ["cached", "ran"]
    assert calls == ["a", "b", "a", "b", "b"]


def test_a_changed_upstream_makes_downstream_stale(tmp_path):
    calls = []
    _statuses(_chain(tmp_path, calls))
    changed = _chain(tmp_path, calls, ({"x": 2}, {"y": 2}))
    assert [stage.state() for stage in changed] == ["stale", "stale"]
    assert _statuses(changed) == ["ran", "ran"]


def test_an_interrupted_stage_never_looks_finished(tmp_path):
    calls = []
    chain = _chain(tmp_path, calls)
    pipeline.run_stages(chain, 0)

    def interrupted(stage):
        stage.directory.mkdir()
        (stage.directory / "half.txt").write_text("half")
        raise KeyboardInterrupt
    broken = dataclasses.replace(chain[1], config={"y": 4}, body=interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_stages([chain[0], broken], 0)
    assert broken.state() == "missing"
    assert not (tmp_path / "b" / "stage.json").exists()
    fixed = _chain(tmp_path, calls, ({"x": 1}, {"y": 4}))
    assert _statuses(fixed) == ["cached", "ran"] and _statuses(fixed) == ["cached", "cached"]


def test_claim_records_the_run_and_accepts_it_again(tmp_path):
    run = pipeline.claim(tmp_path / "run", "toy", {"seed": 0}, preset="smoke")
    assert run.fresh and run.config_hash == artifacts.config_hash({"seed": 0})
    saved = json.loads(run.run_file.read_text())
    assert (saved["preset"], saved["config"]) == ("smoke", {"seed": 0})
    assert pipeline.record_fresh_seconds(run, [{"seconds": 1.5}, {"seconds": 2.0}]) == 3.5
    again = pipeline.claim(tmp_path / "run", "toy", {"seed": 0}, preset="smoke")
    assert not again.fresh
    assert pipeline.record_fresh_seconds(again, [{"seconds": 9.0}]) == 3.5


def test_claim_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="expected a new or empty directory, or one holding a "
                                         "toy run"):
        pipeline.claim(tmp_path, "toy", {"seed": 0})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(InputError, match="is not readable JSON; it is not a toy run"):
        pipeline.claim(tmp_path, "toy", {"seed": 0})


def test_claim_refuses_the_run_of_another_config(tmp_path):
    pipeline.claim(tmp_path, "toy", {"seed": 0}, preset="smoke")
    with pytest.raises(InputError, match=r"out: .* holds the run of another config \(preset "
                                         r"'smoke', hash \w+\); this one is preset 'smoke'"):
        pipeline.claim(tmp_path, "toy", {"seed": 1}, preset="smoke")


def test_claim_refuses_a_folder_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(InputError, match="out: expected a writable directory"):
        pipeline.claim(blocker / "run", "toy", {})


def test_presets_resolve_by_name_and_configs_pass_through():
    presets = {"smoke": {"n": 1}, "quick": {"n": 2}}
    assert pipeline.resolve_preset("quick", presets) == {"n": 2}
    own = {"n": 3}
    assert pipeline.resolve_preset(own, presets) is own
    with pytest.raises(InputError, match=r"preset: expected one of \['smoke', 'quick'\], "
                                         r"got 'fast'"):
        pipeline.resolve_preset("fast", presets)
