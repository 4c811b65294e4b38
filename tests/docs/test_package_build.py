"""`python -m build` makes a wheel and an sdist that install into a fresh virtual environment,
where `cnn-explain demo --help` runs and the README's example writes its picture (slow: it
installs TensorFlow from the package registry)."""

from __future__ import annotations

import re
import subprocess
import sys
import venv

import pytest
from blocks import REPO, blocks


def run(*command, cwd=None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                            text=True, timeout=1800)
    assert result.returncode == 0, f"{command}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.slow
def test_wheel_and_sdist_install_and_run(tmp_path):
    run(sys.executable, "-m", "build", "--outdir", tmp_path / "dist", REPO)
    wheels = list((tmp_path / "dist").glob("cnn_explain_tf-*.whl"))
    sdists = list((tmp_path / "dist").glob("cnn_explain_tf-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    metadata = run(sys.executable, "-m", "zipfile", "-l", wheels[0]).stdout
    assert re.search(r"licenses?/LICENSE|LICENSE", metadata)
    readme_example = next(block.code for block in blocks(REPO / "README.md")
                          if block.language == "python")
    for artifact in (wheels[0], sdists[0]):
        env = tmp_path / f"venv_{artifact.suffix.strip('.')}"
        venv.create(env, with_pip=True)
        python, script = env / "bin" / "python", env / "bin" / "cnn-explain"
        run(python, "-m", "pip", "install", "-q", artifact)
        assert "usage: cnn-explain demo" in run(script, "demo", "--help").stdout
        work = tmp_path / f"work_{artifact.suffix.strip('.')}"
        work.mkdir()
        (work / "example.py").write_text(readme_example)
        run(python, "example.py", cwd=work)
        assert (work / "gradcam.png").stat().st_size > 0
