"""The SFT-GAN generators shipped with the package: files, model cards, names, fresh use, CLI."""

import hashlib
import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import images

import cnn_explain_tf as cet
from cnn_explain_tf import cli
from cnn_explain_tf.explain import SFTGANExplainer, pretrained
from cnn_explain_tf.validation import InputError

SHIPPED = ("gsft-s1", "gsft-s2", "lsft-s1", "lsft-s2")
CARDS = {name: json.loads((pretrained.PRETRAINED_DIR / f"{name}.json").read_text())
         for name in SHIPPED}

# A classifier no shipped generator saw: 16x16 RGB, eight 3x3 conv layers (the generators take
# k = 8 CGMAs), untrained weights of seed 3.
UNSEEN_MODEL = """
import keras
def unseen_model():
    keras.utils.set_random_seed(3)
    x = inputs = keras.Input((16, 16, 3))
    for index in range(8):
        x = keras.layers.Conv2D(6, 3, padding="same", activation="relu")(x)
        if index in (2, 5):
            x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x), name="unseen")
"""
namespace = {}
exec(UNSEEN_MODEL, namespace)  # the same model in this process and in the fresh ones
unseen_model = namespace["unseen_model"]


@pytest.fixture(scope="module")
def model():
    return unseen_model()


def test_every_shipped_file_has_the_sha256_of_its_card():
    assert sorted(p.stem for p in pretrained.PRETRAINED_DIR.glob("*.keras")) == list(SHIPPED)
    for name, card in CARDS.items():
        digest = hashlib.sha256((pretrained.PRETRAINED_DIR / card["file"]).read_bytes())
        assert digest.hexdigest() == card["sha256"], name


def test_the_shipped_files_fit_in_five_megabytes():
    sizes = [p.stat().st_size for p in pretrained.PRETRAINED_DIR.iterdir()]
    assert sum(sizes) <= 5 * 2 ** 20


def test_cards_describe_their_generator():
    for name, card in CARDS.items():
        generator = pretrained.load(name)
        image_shape, k = cet.explain.sft_gan.generator_shapes(generator)
        assert (name, list(image_shape), k) == (card["name"], card["image_shape"], card["k"])
        assert name == f"{card['variant']}-s{card['strategy']}"
        assert card["recipe"]["seed"] == 0 and card["recipe"]["command"]
        for numbers in card["unseen_pairs"]["all"].values():
            assert numbers["low"] <= numbers["estimate"] <= numbers["high"]


def test_each_variant_has_one_default_and_names_resolve():
    defaults = {card["variant"]: name for name, card in CARDS.items() if card["default"]}
    assert sorted(defaults) == ["gsft", "lsft"]
    assert [sum(card["default"] for card in CARDS.values() if card["variant"] == v)
            for v in ("gsft", "lsft")] == [1, 1]
    assert pretrained.names() == ["gsft", "gsft-s1", "gsft-s2", "lsft", "lsft-s1", "lsft-s2"]
    assert pretrained.resolve("LSFT") == defaults["lsft"]
    assert pretrained.resolve("gsft_s1") == "gsft-s1"
    assert pretrained.generator_path("lsft-s2") == pretrained.PRETRAINED_DIR / "lsft-s2.keras"
    with pytest.raises(InputError, match="name: expected one of the shipped SFT-GAN generators "
                                         "gsft, gsft-s1, gsft-s2, lsft, lsft-s1, lsft-s2, got "
                                         "'lsft-s3'"):
        pretrained.card("lsft-s3")


def test_pretrained_is_the_explainer_of_the_shipped_file(model):
    batch = images(3)
    shipped = SFTGANExplainer.pretrained(model, "lsft-s1")
    from_path = SFTGANExplainer(model, pretrained.PRETRAINED_DIR / "lsft-s1.keras")
    assert (shipped.name, shipped.k) == ("lsft", 8)
    np.testing.assert_allclose(shipped(batch), from_path(batch), atol=1e-6)
    assert pretrained.load("lsft-s1") is pretrained.load("LSFT_S1")  # read once


def test_get_returns_the_default_shipped_explainers(model):
    batch = images(2)
    for name in ("lsft", "gsft", "lsft-s1", "gsft-s2"):
        expected = SFTGANExplainer.pretrained(model, name)(batch)
        np.testing.assert_allclose(cet.explain.get(name)(model, batch_size=2)(batch), expected,
                                   atol=1e-6)


def test_a_fresh_process_explains_an_unseen_model_with_the_shipped_lsft():
    code = UNSEEN_MODEL + (
        "import numpy as np, cnn_explain_tf as cet\n"
        "x = np.random.default_rng(0).random((4, 16, 16, 3), dtype=np.float32)\n"
        "maps = cet.explain.get('lsft')(unseen_model())(x)\n"
        "print(maps.shape, maps.dtype, bool(np.isfinite(maps).all()), float(maps.min()) >= 0, "
        "float(maps.max()) <= 1)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert run.stdout.strip().splitlines()[-1] == "(4, 16, 16) float32 True True True"


def test_a_too_shallow_classifier_is_refused_with_the_generators_k():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    shallow = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    with pytest.raises(InputError, match="k: expected at most the 1 conv layers .* got 8"):
        SFTGANExplainer.pretrained(shallow)


@pytest.fixture(scope="module")
def saved(model, tmp_path_factory):
    root = tmp_path_factory.mktemp("pretrained_cli")
    model.save(root / "unseen.keras")
    np.save(root / "batch.npy", images(2))
    return root / "unseen.keras", root / "batch.npy"


@pytest.mark.parametrize("method, name", [("lsft", "lsft"), ("gsft-s1", "gsft")])
def test_cli_explain_uses_the_shipped_generator_without_generator(saved, model, tmp_path,
                                                                   method, name):
    model_path, batch_path = saved
    assert cli.main(["explain", "--model", str(model_path), "--images", str(batch_path),
                     "--method", method, "--out", str(tmp_path), "--quiet"]) == 0
    expected = SFTGANExplainer.pretrained(model, method)(np.load(batch_path))
    np.testing.assert_allclose(np.load(tmp_path / f"batch.npy_1_{name}.npy"), expected[1],
                               atol=1e-5)


def test_cli_export_serves_the_shipped_lsft_without_generator(saved, model, tmp_path):
    model_path, batch_path = saved
    assert cli.main(["export", "--model", str(model_path), "--methods", "gradcam", "lsft-s2",
                     "--out", str(tmp_path / "m"), "--quiet"]) == 0
    loaded = tf.saved_model.load(str(tmp_path / "m" / "1"))
    assert {"gradcam", "lsft"} <= set(loaded.signatures)
    batch = np.load(batch_path)
    targets = np.argmax(np.asarray(model(batch)), axis=1).astype(np.int32)
    served = loaded.signatures["lsft"](images=tf.constant(batch), targets=tf.constant(targets))
    expected = SFTGANExplainer.pretrained(model, "lsft-s2")(batch, targets)
    np.testing.assert_allclose(served["maps"], expected, atol=1e-5)


def test_explain_dataset_uses_the_shipped_generator_without_generator(saved, model, tmp_path):
    _, batch_path = saved
    cet.batch.explain_dataset(model, str(batch_path), ["lsft"], tmp_path / "run", verbose=0)
    _, maps = cet.batch.load_maps(tmp_path / "run", "lsft")
    expected = SFTGANExplainer.pretrained(model, "lsft")(np.load(batch_path))
    np.testing.assert_allclose(maps.astype(np.float32), expected, atol=1e-3)  # float16 store
