"""The command line: `explain --method lsft|gsft --generator PATH` with a saved generator."""

import keras
import numpy as np
import pytest
from helpers import classifier, images

from cnn_explain_tf import artifacts, cli
from cnn_explain_tf.explain import SFTGANExplainer
from cnn_explain_tf.models import sft

TINY = sft.GeneratorSize(channels=8, num_blocks=3, condition_filters=8, condition_channels=4)


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    """A tiny classifier (3 conv layers) and an untrained GSFT generator (k=3) saved like a
    train-gan run: run_dir/generator.keras + generator.json."""
    keras.utils.set_random_seed(0)
    root = tmp_path_factory.mktemp("cli_gan")
    model_path, run_dir = root / "tiny.keras", root / "gsft"
    classifier(classes=4).save(model_path)
    generator = sft.build_gsft_generator((16, 16, 3), 3, TINY)
    artifacts.save_model(generator, run_dir / "generator.keras")
    artifacts.write_json({"variant": "gsft", "k": 3}, run_dir / "generator.json")
    np.save(root / "batch.npy", images(2))
    return model_path, run_dir, root / "batch.npy"


def test_explain_with_a_generator_matches_the_library(paths, tmp_path):
    model_path, run_dir, batch_path = paths
    assert cli.main(["explain", "--model", str(model_path), "--images", str(batch_path),
                     "--method", "gsft", "--generator", str(run_dir), "--target", "1",
                     "--out", str(tmp_path), "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"batch.npy_{i}_gsft.{ext}" for i in range(2) for ext in ("npy", "png"))
    model = keras.models.load_model(model_path, compile=False)
    expected = SFTGANExplainer(model, run_dir)(np.load(batch_path), 1)
    np.testing.assert_allclose(np.load(tmp_path / "batch.npy_1_gsft.npy"), expected[1], atol=1e-5)


@pytest.mark.parametrize("extra, message", [
    # the shipped lsft needs k = 8 conv layers: the 3-conv test model is refused by name
    (["--method", "lsft"], "k: expected at most the 3 conv layers"),
    (["--method", "gradcam", "--generator", "GEN"], "generator: expected only with --method"),
    (["--method", "lsft", "--generator", "GEN"], "variant: expected the saved generator's 'gsft'"),
    (["--method", "gsft", "--generator", "/does/not/exist.keras"], "path: expected a generator"),
])
def test_generator_errors_are_reported_cleanly(paths, tmp_path, capsys, extra, message):
    model_path, run_dir, batch_path = paths
    extra = [str(run_dir) if value == "GEN" else value for value in extra]
    argv = ["explain", "--model", str(model_path), "--images", str(batch_path),
            "--out", str(tmp_path / "out"), "--quiet", *extra]
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
