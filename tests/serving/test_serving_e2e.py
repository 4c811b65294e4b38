"""Every registered method exported and reloaded; saved_model_cli and TF Serving over REST."""

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.request

import numpy as np
import pytest
import tensorflow as tf
from helpers import images
from serving_checks import assert_signatures_equal_the_library

import cnn_explain_tf as cet
from cnn_explain_tf import serving

pytestmark = pytest.mark.e2e
SERVER = shutil.which("tensorflow_model_server")


@pytest.fixture(scope="module")
def exported_all(model, generator, tmp_path_factory):
    """Every registered explainer and lsft, with the images_bytes variant."""
    base = tmp_path_factory.mktemp("export_all") / "tiny"
    return serving.export(model, base, "all", generator=generator, images_bytes=True, verbose=0)


def test_every_method_equals_the_library_at_batch_1_3_7(exported_all, model, generator,
                                                        tmp_path):
    methods = (*cet.serving.exportable_methods(model), "lsft")
    assert set(exported_all.signatures) == {
        "serving_default", "probabilities", "probabilities_bytes",
        *methods, *(f"{m}_bytes" for m in methods)}
    assert_signatures_equal_the_library(exported_all, methods, model, generator, tmp_path)


def test_saved_model_cli_runs_the_signature_like_the_server(exported_all, model, tmp_path):
    x = images(3, seed=11)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", np.array([-1, 1, 2], np.int32))
    for signature in ("gradcam", "gradcam++"):
        done = subprocess.run(
            ["saved_model_cli", "run", "--dir", str(exported_all.path), "--tag_set", "serve",
             "--signature_def", signature, "--inputs", f"images={tmp_path}/x.npy;"
             f"targets={tmp_path}/t.npy", "--outdir", str(tmp_path / signature), "--overwrite"],
            capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        explainer = cet.explain.get(signature)(model)
        expected = np.concatenate([explainer(x[:1]), explainer(x[1:], [1, 2])])
        maps = np.load(tmp_path / signature / "maps.npy")
        np.testing.assert_allclose(maps, expected, rtol=0, atol=1e-5, err_msg=signature)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(exported_all):
    """A real tensorflow_model_server serving the export over REST (its own process)."""
    if SERVER is None:
        pytest.skip("tensorflow_model_server is not on PATH (install TF Serving to run this)")
    port = free_port()
    process = subprocess.Popen([SERVER, f"--rest_api_port={port}", "--port=0",
                                "--model_name=tiny",
                                f"--model_base_path={exported_all.path.parent}"])
    url = f"http://127.0.0.1:{port}/v1/models/tiny"
    try:
        for _ in range(120):
            try:
                status = json.loads(urllib.request.urlopen(url, timeout=5).read())
                if status["model_version_status"][0]["state"] == "AVAILABLE":
                    break
            except OSError:
                pass
            time.sleep(1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_rest_predict_columnar_rows_and_b64(server, model):
    x = images(2, seed=4)
    expected = cet.explain.GradCAM(model)(x, [1, 2])
    columnar = post(f"{server}:predict", {"signature_name": "gradcam", "inputs": {
        "images": x.tolist(), "targets": [1, 2]}})
    np.testing.assert_allclose(columnar["outputs"]["maps"], expected, atol=1e-5)
    assert columnar["outputs"]["targets"] == [1, 2]
    rows = post(f"{server}:predict", {"signature_name": "gradcam", "instances": [
        {"images": image.tolist(), "targets": t} for image, t in zip(x, [1, 2])]})
    np.testing.assert_allclose([row["maps"] for row in rows["predictions"]], expected, atol=1e-5)
    pixels = (x * 255).round().astype(np.uint8)
    encoded = [{"b64": base64.b64encode(tf.io.encode_png(p).numpy()).decode()} for p in pixels]
    from_bytes = post(f"{server}:predict", {"signature_name": "gradcam_bytes", "inputs": {
        "images_bytes": encoded, "targets": [1, 2]}})
    floats = pixels.astype(np.float32) / 255
    np.testing.assert_allclose(from_bytes["outputs"]["maps"],
                               cet.explain.GradCAM(model)(floats, [1, 2]), atol=1 / 255)
