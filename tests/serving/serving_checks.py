"""Checks shared by the serving tests: the default export's methods and signature parity with
the library, called in a process that imports only TensorFlow."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
from helpers import images

import cnn_explain_tf as cet

# Methods of the default-suite export: a CAM, a custom-gradient rule set and a loop over noise
# samples (+ lsft: the SFT-GAN with its in-graph CGMAs); the e2e tests export every method.
METHODS = ("gradcam", "guided_backprop", "smoothgrad")

TF_ONLY_RUNNER = """
import json, sys
import tensorflow as tf
export, inputs, out = sys.argv[1:4]
loaded = tf.saved_model.load(export)
calls = json.load(open(inputs + "/calls.json"))
def read(batch, name, dtype):
    return tf.io.parse_tensor(tf.io.read_file(f"{inputs}/{batch}_{name}"), dtype)
for index, (signature, batch) in enumerate(calls):
    result = loaded.signatures[signature](images=read(batch, "images", tf.float32),
                                          targets=read(batch, "targets", tf.int32))
    for key, value in result.items():
        tf.io.write_file(f"{out}/{index}_{key}", tf.io.serialize_tensor(value))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "cnn_explain_tf")))
"""


def run_tensorflow_only(export_dir: Path, calls, folder: Path) -> tuple[list[dict], list[str]]:
    """Calls signatures of `export_dir` in a fresh `python -c` importing only TensorFlow.

    Args:
        calls: (signature, {"images": float32 array, "targets": int32 array}) pairs.

    Returns:
        one {output name: array} per call, and the keras / cnn_explain_tf modules the process
        had loaded.
    """
    inputs, out = folder / "inputs", folder / "out"
    inputs.mkdir(parents=True)
    out.mkdir()
    names = []
    for index, (signature, arrays) in enumerate(calls):
        for key, value in arrays.items():
            tf.io.write_file(str(inputs / f"{index}_{key}"), tf.io.serialize_tensor(value))
        names.append((signature, index))
    (inputs / "calls.json").write_text(json.dumps(names))
    done = subprocess.run([sys.executable, "-c", TF_ONLY_RUNNER, str(export_dir), str(inputs),
                           str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = []
    for index in range(len(calls)):
        found = {p.name.split("_", 1)[1]: p for p in out.glob(f"{index}_*")}
        dtypes = {"maps": tf.float32, "probabilities": tf.float32, "targets": tf.int32}
        results.append({key: tf.io.parse_tensor(tf.io.read_file(str(path)), dtypes[key]).numpy()
                        for key, path in found.items()})
    return results, json.loads(done.stdout.strip().splitlines()[-1])


def batches():
    """(images, targets) at batch 1, 3 and 7: predicted classes for 1 and 7, given ones for 3."""
    for size in (1, 3, 7):
        targets = np.full(size, -1, np.int32) if size != 3 else np.array([2, 0, 3], np.int32)
        yield images(size, seed=size), targets


def assert_signatures_equal_the_library(exported, methods, model, generator, folder: Path):
    """Each method's signature, reloaded without the library, gives the library's maps
    (max abs difference <= 1e-5), the model's probabilities and the resolved targets."""
    cases = [(m, x, t) for m in methods for x, t in batches()]
    calls = [(m, {"images": x, "targets": t}) for m, x, t in cases]
    results, loaded_modules = run_tensorflow_only(exported.path, calls, folder)
    assert loaded_modules == []  # cnn_explain_tf was never imported
    for (method, x, t), result in zip(cases, results):
        explainer = generator if method == "lsft" else cet.serving.exportable_methods(model)[
            method](model)
        expected = explainer(x, None if np.all(t < 0) else t)
        assert result["maps"].shape == (len(x), 16, 16)
        np.testing.assert_allclose(result["maps"], expected, rtol=0, atol=1e-5,
                                   err_msg=f"{method} at batch {len(x)}")
        probabilities = np.asarray(model(x))
        np.testing.assert_allclose(result["probabilities"], probabilities, atol=1e-6)
        resolved = np.where(t < 0, probabilities.argmax(axis=1), t)
        np.testing.assert_array_equal(result["targets"], resolved)
