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
from cnn_explain_tf.explain.sft_gan import read_generator
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
    model, batch = classifier(size=16), images(3, 16)
    explainer = SFTGANExplainer(model, generator_path.parent)  # the run folder, or its .keras
    raw = explainer.generator([batch, compute_cgma(model, batch, k=3)]).numpy()[..., 0]
    low, high = raw.min(axis=(1, 2), keepdims=True), raw.max(axis=(1, 2), keepdims=True)
    maps = explainer(batch)
    np.testing.assert_allclose(maps, (raw - low) / (high - low), atol=1e-4)
    assert maps.min(axis=(1, 2)) == pytest.approx(0) and maps.max(axis=(1, 2)) == pytest.approx(1)
    assert explainer.name == "lsft" and explainer.k == 3 and explainer.variant == "lsft"
    assert SFTGANExplainer(model, explainer.generator).name == "sft_gan"


@pytest.mark.parametrize("batch", [1, 3])
def test_explain_any_architecture_size_and_channels(generator_path, batch):
    generator, variant = read_generator(generator_path, variant="lsft")
    for model in (same_resolution_classifier(size=12), classifier(size=20, channels=1,
                                                                   nested=True)):
        size, channels = model.input_shape[1], model.input_shape[-1]
        maps = SFTGANExplainer(model, generator, variant)(images(batch, size, channels), 0)
        assert maps.shape == (batch, size, size) and maps.dtype == np.float32
        assert np.all((maps >= 0) & (maps <= 1)) and np.all(np.isfinite(maps))


def test_relevance_is_eq10_and_zero_for_an_ignored_cgma(generator_path):
    model, batch = classifier(size=16), images(2, 16)
    explainer = SFTGANExplainer(model, generator_path)
    cgma = compute_cgma(model, batch, k=3)
    base = explainer.generator([batch, cgma]).numpy()
    expected = np.stack([np.abs(explainer.generator([batch, cgma * (np.arange(3) != j)]).numpy()
                                - base).sum(axis=(1, 2, 3)) for j in range(3)], axis=1)
    relevance = explainer.cgma_relevance(batch)
    assert relevance.shape == (2, 3) and np.all(relevance >= 0)
    np.testing.assert_allclose(relevance, expected, rtol=1e-4, atol=1e-4)
    sft_layer = explainer.generator.get_layer("sft_block2_sft")
    for conv in (sft_layer.gamma_branch[1], sft_layer.beta_branch[1]):
        conv.kernel.assign(np.zeros(conv.kernel.shape, np.float32))
        conv.bias.assign(np.zeros(conv.bias.shape, np.float32))
    ignored = SFTGANExplainer(model, explainer.generator, "lsft").cgma_relevance(batch)
    np.testing.assert_array_equal(ignored[:, 1], 0.0)
    assert np.all(ignored[:, [0, 2]] > 0)


def test_bad_input_is_named(generator_path, tmp_path):
    model = classifier(size=16)
    with pytest.raises(InputError, match="variant: expected the saved generator's 'lsft'"):
        SFTGANExplainer(model, generator_path, variant="gsft")
    with pytest.raises(InputError, match="path: expected a generator .keras file"):
        SFTGANExplainer(model, tmp_path / "missing.keras")
    with pytest.raises(InputError, match="k: expected at most the 3 conv layers"):
        SFTGANExplainer(model, sft.build_gsft_generator((16, 16, 3), 4, TINY), "gsft")
    three = SFTGANExplainer(model, sft.build_gsft_generator((16, 16, 3), 3, TINY), "gsft")
    with pytest.raises(InputError, match="images: expected height 16"):
        three(images(1, 12))
    with pytest.raises(InputError, match="variant: expected one of"):
        SFTGANExplainer(model, three.generator, "pix2pix")


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
        SFTGANExplainer(classifier(size=16), tmp_path)
    assert reason in str(error.value) and "File not found" not in str(error.value)
    assert isinstance(error.value, InputError)


def test_a_model_that_is_no_generator_is_refused(tmp_path):
    path = tmp_path / "classifier.keras"
    artifacts.save_model(classifier(size=16), path)
    with pytest.raises(InputError, match="path: expected a generator taking \\[image, cgma\\]"):
        SFTGANExplainer(classifier(size=16), path)


def test_the_explainers_of_one_classifier_trace_its_cgmas_once(generator_path):
    model, batch = classifier(size=16), images(2, 16)
    lsft = SFTGANExplainer(model, generator_path)
    gsft = SFTGANExplainer(model, lsft.generator, "gsft")
    lsft(batch)
    gsft(batch)
    lsft.cgma_relevance(batch)
    extractor = lsft.gradcams
    assert gsft.gradcams is extractor
    assert extractor.compile(extractor.stacked_cams).experimental_get_tracing_count() == 1
    other = SFTGANExplainer(classifier(size=20, channels=1, nested=True), lsft.generator, "lsft")
    other(images(2, 20, 1))
    step = other._generate  # one generator step for every classifier
    assert step is lsft._generate and step.experimental_get_tracing_count() == 1


def test_the_deprecated_factory_and_aliases_give_the_same_numbers(generator_path):
    model, batch = classifier(size=16), images(2, 16)
    explainer = SFTGANExplainer(model, generator_path)  # a path, or a keras generator
    assert explainer.variant == "lsft" and explainer.k == 3
    with pytest.warns(DeprecationWarning, match="SFTGANExplainer.load are deprecated"):
        gan = SFTGANExplainer.load(generator_path)
    assert isinstance(gan, TrainedGenerator)
    assert gan.name == "lsft" and gan.k == 3 and gan.variant == "lsft"
    assert gan(model) is gan(model)  # built (and compiled) once per classifier
    assert gan(model).name == "lsft" and gan(model).variant == "lsft"
    np.testing.assert_allclose(explainer(batch, 1), gan.explain(model, batch, 1), atol=1e-6)
    np.testing.assert_array_equal(gan(model)(batch), gan.explain(model, batch))
    np.testing.assert_allclose(explainer.cgma_relevance(batch), gan.relevance(model, batch),
                               atol=1e-6)
    with pytest.warns(DeprecationWarning, match="cgma_relevance"):
        explainer.relevance(batch)
    with pytest.warns(DeprecationWarning, match="TrainedGenerator"):
        assert TrainedGenerator(gan.generator).name == "sft_gan"
    with pytest.warns(DeprecationWarning), pytest.raises(InputError,
                                                         match="k: expected the 3 CGMAs"):
        SFTGANExplainer.load(generator_path, k=8)
