"""serving.export refuses bad input before anything is written, naming the argument."""

import keras
import pytest
import tensorflow as tf
from helpers import classifier, tiny_generator

import cnn_explain_tf as cet
from cnn_explain_tf import artifacts, serving
from cnn_explain_tf.validation import InputError


class EagerOnly(cet.explain.Explainer):
    """A user's explainer whose step needs eager values: it cannot be traced into a graph."""

    name = "eager_only"

    def explain_batch(self, images, targets):
        return tf.constant(images.numpy()[..., 0])


@pytest.fixture(scope="module")
def model():
    return classifier()


def test_unknown_method_lists_the_valid_ones(model, tmp_path):
    with pytest.raises(InputError, match=r"methods: expected names among ablationcam, .*gradcam"
                                         r".*xgradcam, 'all'.*got 'gradcamm'"):
        serving.export(model, tmp_path / "m", ["gradcamm"], verbose=0)
    assert not (tmp_path / "m").exists()


def test_multi_input_model_is_refused(tmp_path):
    a, b = keras.Input((16, 16, 3)), keras.Input((16, 16, 3))
    two = keras.Model([a, b], keras.layers.Dense(2)(keras.layers.Flatten()(a + b)), name="two")
    with pytest.raises(InputError, match="model: expected a classifier with one image input, "
                                         "got model 'two' with 2 inputs"):
        serving.export(two, tmp_path / "m", verbose=0)


def test_non_classifier_output_is_refused(tmp_path):
    inputs = keras.Input((16, 16, 3))
    tokens = keras.Model(inputs, keras.layers.Reshape((256, 3))(inputs))
    with pytest.raises(InputError, match=r"\(B, classes\) classifier output or a \(B, H, W, "
                                         r"classes\) segmentation output to serve, got output "
                                         r"shape \(None, 256, 3\)"):
        serving.export(tokens, tmp_path / "m", verbose=0)


def test_sft_methods_need_their_generator(model, tmp_path):
    with pytest.raises(InputError, match="generator: method 'gsft' needs its trained generator"):
        serving.export(model, tmp_path / "m", ["gradcam", "gsft"], verbose=0)


def test_generator_with_more_cgmas_than_conv_layers_is_refused(model, tmp_path):
    generator = tmp_path / "generator.keras"  # saved like a train-gan run
    artifacts.save_model(tiny_generator(k=4), generator)
    artifacts.write_json({"variant": "lsft", "k": 4}, generator.with_suffix(".json"))
    with pytest.raises(InputError, match="k: expected at most the 3 conv layers of model "
                                         "'flat', got 4"):
        serving.export(model, tmp_path / "m", ["lsft"], generator=generator, verbose=0)
    assert not (tmp_path / "m").exists()


def test_explainer_of_another_model_is_refused(model, tmp_path):
    other = cet.explain.GradCAM(classifier(nested=True))
    with pytest.raises(InputError, match="explainers built on the exported model 'flat', got "
                                         "'gradcam' built on 'nested'"):
        serving.export(model, tmp_path / "m", [other], verbose=0)


def test_untraceable_method_is_named_and_nothing_is_written(model, tmp_path):
    with pytest.raises(serving.UntraceableMethodError,
                       match="methods: 'eager_only' cannot be exported .*skip_failing=True"):
        serving.export(model, tmp_path / "m", ["gradcam", EagerOnly(model)], verbose=0)
    assert not (tmp_path / "m").exists()


def test_skip_failing_exports_the_rest_and_an_existing_version_is_kept(model, tmp_path, capsys):
    result = serving.export(model, tmp_path / "m", [EagerOnly(model), "saliency"],
                            skip_failing=True)
    assert result.signatures == ("serving_default", "probabilities", "saliency")
    assert list(result.skipped) == ["eager_only"]
    printed = capsys.readouterr().out.splitlines()
    assert printed[1].startswith("signature eager_only: skipped (")
    assert printed[2].startswith("signature saliency: images, targets -> maps, targets")
    before = (result.path / "saved_model.pb").stat().st_mtime_ns
    with pytest.raises(InputError, match="path: version 1 already exists at .*overwrite=True"):
        serving.export(model, tmp_path / "m", ["gradcam"], verbose=0)
    assert (result.path / "saved_model.pb").stat().st_mtime_ns == before
    loaded = tf.saved_model.load(str(result.path))
    assert sorted(loaded.signatures) == ["probabilities", "saliency", "serving_default"]


def test_bad_version_and_repeated_method(model, tmp_path):
    with pytest.raises(InputError, match="version: expected an int >= 1, got 0"):
        serving.export(model, tmp_path / "m", version=0, verbose=0)
    with pytest.raises(InputError, match="methods: expected each method once, got 'gradcam'"):
        serving.export(model, tmp_path / "m", ["all", "gradcam"], verbose=0)
