"""One run per folder from the command line: --no-wait refuses, two real runs build once."""

import json
import os
import re
import subprocess
import sys

import pytest

from cnn_explain_tf import cli, pipeline


def test_no_wait_refuses_a_folder_another_run_holds(tmp_path, capsys):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys\nhandle = open(sys.argv[1], 'a')\n"
         "fcntl.flock(handle, fcntl.LOCK_EX)\nprint('held', flush=True)\nsys.stdin.readline()",
         str(tmp_path / ".lock")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        for argv in (["fill-in-the-blanks", "--preset", "smoke"],
                     ["gan-balance", "--classifiers", str(out), "--shards", str(out)]):
            assert cli.main([*argv, "--out", str(tmp_path), "--no-wait", "--quiet"]) == 2
            error = capsys.readouterr().err
            assert error.startswith(f"cnn-explain {argv[0]}: error: out: another run is using ")
            assert error.count("\n") == 1 and "--no-wait" in error
    finally:
        holder.kill()
        holder.wait()
    assert not (tmp_path / pipeline.RUN_FILE).exists()


def test_study_commands_take_no_wait():
    parser = cli.build_parser()
    for argv in (["reproduce"], ["compare-architectures"], ["fill-in-the-blanks"],
                 ["gan-balance", "--classifiers", "c", "--shards", "s"]):
        assert parser.parse_args([*argv, "--out", "o", "--no-wait"]).no_wait


@pytest.mark.e2e
def test_two_concurrent_smoke_runs_into_one_folder_build_each_stage_once(tmp_path):
    out = tmp_path / "run"
    environ = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "cnn_explain_tf.cli", "fill-in-the-blanks", "--preset",
               "smoke", "--out", str(out)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=environ) for _ in range(2)]
    outputs = [run.communicate(timeout=900) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    stages = [stage["name"] for stage in json.loads((out / "results.json").read_text())["stages"]]
    statuses = {stage: [] for stage in stages}
    for stdout, _ in outputs:
        for stage, status in re.findall(r"^    (\w+): (ran|cached) in ", stdout, re.MULTILINE):
            statuses[stage].append(status)
    assert stages and all(sorted(found) == ["cached", "ran"] for found in statuses.values()), \
        statuses
    waited = [err for _, err in outputs if "waiting for the run holding" in err]
    assert len(waited) <= 1  # 0 only if one run finished before the other started
