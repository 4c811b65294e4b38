"""Tests for SFTGANExplainer: load, explain any classifier, CGMA relevance (Eq. 10), bad input."""

import zipfile

import numpy as np
import pytest
from helpers import TINY_GENERATOR as TINY
from helpers import classifier, images, same_resolution_classifier, tiny_generator

from cnn_explain_tf import artifacts
from cnn_explain_tf.artifacts import UnreadableModelError
from cnn_explain_tf.explain import SFTGANExplainer, TrainedGenerator
from cnn_explain_tf.explain.cgma import compute_cgma
from cnn_explain_tf.models import sft
from cnn_explain_tf.validation import InputError


@pytest.fixture(scope="module")
def generator_path(tmp_path_factory):
    """An (untrained) LSFT generator for 16x16 RGB and k=3, saved like a train-gan run."""
    path = tmp_path_factory.mktemp("gan") / "generator.keras"
    artifacts.save_model(tiny_generator(16, 3, k=3, seed=0), path)
    artifacts.write_json({"variant": "lsft", "k": 3}, path.with_suffix(".json"))
    return path


def test_explain_matches_the_generator_on_the_classifiers_cgmas(generator_path):
    gan = SFTGANExplainer.load(generator_path.parent)
    model, batch = classifier(size=16), images(3, 16)
    raw = gan.generator([batch, compute_cgma(model, batch, k=3)]).numpy()[..., 0]
    low, high = raw.min(axis=(1, 2), keepdims=True), raw.max(axis=(1, 2), keepdims=True)
    maps = gan.explain(model, batch)
    np.testing.assert_allclose(maps, (raw - low) / (high - low), atol=1e-4)
    assert maps.min(axis=(1, 2)) == pytest.approx(0) and maps.max(axis=(1, 2)) == pytest.approx(1)
    assert gan.name == "lsft" and gan.k == 3 and gan.variant == "lsft"
    assert isinstance(gan, TrainedGenerator)
    np.testing.assert_array_equal(gan(model)(batch), maps)  # the factory's explainer, same maps
    assert gan(model) is gan(model)  # built (and compiled) once per classifier
    assert gan(model).name == "lsft" and gan(model).variant == "lsft"
    assert SFTGANExplainer(model, gan.generator).name == TrainedGenerator(gan.generator).name == (
        "sft_gan")


@pytest.mark.parametrize("batch", [1, 3])
def test_explain_any_architecture_size_and_channels(generator_path, batch):
    gan = SFTGANExplainer.load(generator_path, variant="lsft")
    for model in (same_resolution_classifier(size=12), classifier(size=20, channels=1,
                                                                   nested=True)):
        size, channels = model.input_shape[1], model.input_shape[-1]
        maps = gan(model)(images(batch, size, channels), targets=0)
        assert maps.shape == (batch, size, size) and maps.dtype == np.float32
        assert np.all((maps >= 0) & (maps <= 1)) and np.all(np.isfinite(maps))


def test_relevance_is_eq10_and_zero_for_an_ignored_cgma(generator_path):
    gan = SFTGANExplainer.load(generator_path)
    model, batch = classifier(size=16), images(2, 16)
    cgma = compute_cgma(model, batch, k=3)
    base = gan.generator([batch, cgma]).numpy()
    expected = np.stack([np.abs(gan.generator([batch, cgma * (np.arange(3) != j)]).numpy()
                                - base).sum(axis=(1, 2, 3)) for j in range(3)], axis=1)
    relevance = gan.relevance(model, batch)
    assert relevance.shape == (2, 3) and np.all(relevance >= 0)
    np.testing.assert_allclose(relevance, expected, rtol=1e-4, atol=1e-4)
    sft_layer = gan.generator.get_layer("sft_block2_sft")
    for conv in (sft_layer.gamma_branch[1], sft_layer.beta_branch[1]):
        conv.kernel.assign(np.zeros(conv.kernel.shape, np.float32))
        conv.bias.assign(np.zeros(conv.bias.shape, np.float32))
    ignored = SFTGANExplainer(model, gan.generator, "lsft").cgma_relevance(batch)
    np.testing.assert_array_equal(ignored[:, 1], 0.0)
    assert np.all(ignored[:, [0, 2]] > 0)


def test_bad_input_is_named(generator_path, tmp_path):
    with pytest.raises(InputError, match="variant: expected the saved generator's 'lsft'"):
        SFTGANExplainer.load(generator_path, variant="gsft")
    with pytest.raises(InputError, match="k: expected the 3 CGMAs"):
        SFTGANExplainer.load(generator_path, k=8)
    with pytest.raises(InputError, match="path: expected a generator .keras file"):
        SFTGANExplainer.load(tmp_path / "missing.keras")
    four = TrainedGenerator(sft.build_gsft_generator((16, 16, 3), 4, TINY), "gsft")
    with pytest.raises(InputError, match="k: expected at most the 3 conv layers"):
        four.explain(classifier(size=16), images(1, 16))
    three = TrainedGenerator(sft.build_gsft_generator((16, 16, 3), 3, TINY), "gsft")
    with pytest.raises(InputError, match="images: expected height 16"):
        three.explain(classifier(size=16), images(1, 12))
    with pytest.raises(InputError, match="variant: expected one of"):
        SFTGANExplainer(classifier(size=16), three.generator, "pix2pix")


@pytest.mark.parametrize("content, reason", [
    (b"", "corrupt, truncated"), (b"not a zip file", "corrupt, truncated"),
    ("zip-with-bad-config", "JSONDecodeError")])
def test_a_corrupt_generator_file_is_reported_as_unreadable(tmp_path, content, reason):
    path = tmp_path / "generator.keras"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("config.json", "{truncated")
    unreadable = "path: .* is not a readable .keras file"
    with pytest.raises(UnreadableModelError, match=unreadable) as error:
        SFTGANExplainer.load(tmp_path)
    assert reason in str(error.value) and "File not found" not in str(error.value)
    assert isinstance(error.value, InputError)


def test_a_model_that_is_no_generator_is_refused(tmp_path):
    path = tmp_path / "classifier.keras"
    artifacts.save_model(classifier(size=16), path)
    with pytest.raises(InputError, match="path: expected a generator taking \\[image, cgma\\]"):
        SFTGANExplainer.load(path)


def test_the_explainers_of_one_classifier_trace_its_cgmas_once(generator_path):
    lsft = SFTGANExplainer.load(generator_path)
    gsft = TrainedGenerator(lsft.generator, "gsft")
    model, batch = classifier(size=16), images(2, 16)
    lsft.explain(model, batch)
    gsft.explain(model, batch)
    lsft.relevance(model, batch)
    extractor = lsft(model).gradcams
    assert gsft(model).gradcams is extractor
    assert extractor.compile(extractor.stacked_cams).experimental_get_tracing_count() == 1
    other = classifier(size=20, channels=1, nested=True)
    lsft.explain(other, images(2, 20, 1))
    step = lsft(other)._generate  # one generator step for every classifier
    assert step is lsft(model)._generate and step.experimental_get_tracing_count() == 1


def test_one_call_shape_like_every_explainer(generator_path):
    model, batch = classifier(size=16), images(2, 16)
    explainer = SFTGANExplainer(model, generator_path)  # a path, or a keras generator
    assert explainer.variant == "lsft" and explainer.k == 3
    gan = SFTGANExplainer.load(generator_path)
    np.testing.assert_allclose(explainer(batch, 1), gan.explain(model, batch, 1), atol=1e-6)
    np.testing.assert_allclose(explainer.cgma_relevance(batch), gan.relevance(model, batch),
                               atol=1e-6)
    with pytest.warns(DeprecationWarning, match="cgma_relevance"):
        explainer.relevance(batch)
