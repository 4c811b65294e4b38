"""One run per folder: the run lock (waits, refuses, re-enters, dies with its holder) and the
removal of a killed run's temporaries."""

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from cnn_explain_tf import artifacts, pipeline
from cnn_explain_tf.validation import InputError

HOLDER = textwrap.dedent("""
    import fcntl, sys
    handle = open(sys.argv[1], "a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.readline()
""")
"""Another process holding a lock file until its stdin gets a line (plain Python: starts fast)."""


@pytest.fixture
def holder(tmp_path):
    """Starts another process that holds `tmp_path/run/.lock`; yields it (stdin releases)."""
    (tmp_path / "run").mkdir()
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "run" / ".lock")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "held\n"
    yield process
    process.kill()
    process.wait()


def test_a_held_folder_is_refused_without_waiting(tmp_path, holder):
    with pytest.raises(InputError, match=r"out: another run is using .*run \(it holds .*\.lock\)"):
        pipeline.claim(tmp_path / "run", "toy", {"seed": 0}, wait=False)
    with pipeline.waiting(False), pytest.raises(InputError, match="another run is using"):
        pipeline.claim(tmp_path / "run", "toy", {"seed": 0})
    assert not (tmp_path / "run" / "run.json").exists()


def test_a_second_run_waits_for_the_first_then_resumes(tmp_path, holder, capsys):
    claims = []
    waiter = threading.Thread(target=lambda: claims.append(
        pipeline.claim(tmp_path / "run", "toy", {"seed": 0})))
    waiter.start()
    printed = ""
    for _ in range(200):
        printed += capsys.readouterr().err
        if printed:
            break
        time.sleep(0.05)
    assert printed == f"waiting for the run holding {(tmp_path / 'run').resolve() / '.lock'} ...\n"
    assert waiter.is_alive() and not claims
    holder.stdin.write("done\n")
    holder.stdin.flush()
    waiter.join(timeout=30)
    assert claims and claims[0].fresh
    claims[0].release()


def test_a_killed_holder_leaves_the_folder_free(tmp_path, holder):
    holder.kill()
    holder.wait()
    with pipeline.claim(tmp_path / "run", "toy", {"seed": 0}, wait=False) as claimed:
        assert claimed.fresh


def test_the_lock_is_reentrant_in_one_process_and_released_by_the_last_hold(tmp_path):
    first = pipeline.claim(tmp_path, "toy", {"seed": 0}, wait=False)
    second = pipeline.claim(tmp_path, "toy", {"seed": 0}, wait=False)
    assert (first.lock.first, second.lock.first) == (True, False)
    second.release()
    assert _taken_elsewhere(tmp_path / ".lock") is False
    first.release()
    first.release()  # twice is harmless
    assert _taken_elsewhere(tmp_path / ".lock") is True


def _taken_elsewhere(lock_file) -> bool:
    """Whether another process can take `lock_file` at once."""
    code = ("import fcntl, sys\nhandle = open(sys.argv[1], 'a')\n"
            "try:\n    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print(True)\n"
            "except BlockingIOError:\n    print(False)")
    run = subprocess.run([sys.executable, "-c", code, str(lock_file)], capture_output=True,
                         text=True, check=True, timeout=60)
    return run.stdout.strip() == "True"


def test_a_killed_runs_temporaries_are_removed_when_a_run_starts(tmp_path):
    pipeline.claim(tmp_path, "toy", {"seed": 0}).release()
    stale = [tmp_path / "classifiers" / ".digits__cnn3.k2j_x9a1.tmp.keras",
             tmp_path / "figures" / ".fig2.abcdefgh.tmp.png", tmp_path / ".write-test-0a1b2c3d"]
    kept = [tmp_path / "classifiers" / "digits__cnn3.keras", tmp_path / "figures" / "fig.tmp.png",
            tmp_path / "other_run" / ".x.abcdefgh.tmp.json"]  # another run folder's: skipped
    (tmp_path / "other_run").mkdir()
    (tmp_path / "other_run" / ".lock").touch()
    for path in stale + kept:
        path.parent.mkdir(exist_ok=True)
        path.write_text("")
    with pipeline.claim(tmp_path, "toy", {"seed": 0}):
        assert [path.exists() for path in stale] == [False] * 3
        assert [path.exists() for path in kept] == [True] * 3


def test_temporary_names_are_those_of_atomic_path(tmp_path):
    seen = []
    with artifacts.atomic_path(tmp_path / "digits__cnn3.keras") as temporary:
        seen.append(temporary.name)
    with artifacts.atomic_path(tmp_path / "noext") as temporary:
        seen.append(temporary.name)
    assert all(artifacts.is_temporary(name) for name in seen), seen
    assert not any(artifacts.is_temporary(name) for name in (
        "digits__cnn3.keras", ".lock", "run.json", ".hidden", "a.tmp.png"))


def test_a_folder_holding_only_a_lock_and_temporaries_counts_as_empty(tmp_path):
    (tmp_path / ".lock").touch()
    (tmp_path / ".run.abcdefgh.tmp.json").write_text("{")
    with pipeline.claim(tmp_path, "toy", {"seed": 0}) as claimed:
        assert claimed.fresh
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "run.json"]
