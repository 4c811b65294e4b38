"""Tiny synthetic models and images shared by the tests (8x8 to 32x32, fast on CPU)."""

from __future__ import annotations

import keras
import numpy as np

import cnn_explain_tf as cet

TINY_GENERATOR = cet.models.GeneratorSize(channels=8, num_blocks=4, condition_filters=8,
                                          condition_channels=4)


CHEAP_OPTIONS = {
    "smoothgrad": {"num_samples": 2}, "vargrad": {"num_samples": 2},
    "squaregrad": {"num_samples": 2}, "gradient_shap": {"num_samples": 2},
    "integrated_gradients": {"steps": 4}, "rise": {"num_masks": 16},
    "scorecam": {"max_channels": 4}, "occlusion": {"patch_size": 8},
    "lime": {"num_samples": 16}, "kernel_shap": {"num_samples": 16},
    "sobol": {"num_designs": 8, "grid_size": 4}, "hsic": {"num_designs": 64, "grid_size": 4}}
"""Registered explainer name -> the options that keep its tests to seconds (fewer samples, masks,
designs or channels than the defaults; the code paths are the same)."""


CNN_EXPLAINERS = [name for name in cet.explain.names()
                  if not issubclass(cet.explain.get(name), cet.explain.AttentionExplainer)]
"""The registered explainers that apply to any CNN (the attention methods need a transformer)."""


def cheap_explainer(name: str, model: keras.Model, **options):
    """The registered explainer `name` on `model` with `CHEAP_OPTIONS` (and `options`) applied."""
    return cet.explain.get(name)(model, **{**CHEAP_OPTIONS.get(name, {}), **options})


def images(batch: int = 5, size: int = 16, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Random float32 images in [0, 1]."""
    return np.random.default_rng(seed).random((batch, size, size, channels), dtype=np.float32)


def conv_base(size: int = 16, channels: int = 3, name: str = "base") -> keras.Model:
    """A functional conv trunk with ReLU convs, BN, pooling and a residual merge."""
    keras.utils.set_random_seed(1)
    inputs = keras.Input((size, size, channels))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.MaxPooling2D(name="pool1")(x)
    y = keras.layers.Conv2D(6, 3, padding="same", name="conv2")(x)
    y = keras.layers.ReLU(name="relu2")(y)
    x = keras.layers.Add(name="add")([x, y])
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv3")(x)
    return keras.Model(inputs, x, name=name)


def classifier(size: int = 16, channels: int = 3, classes: int = 4, head: str | None = "softmax",
               nested: bool = False) -> keras.Model:
    """conv_base + global pooling + dense head; `nested` wraps the base as a sub-model in a
    Sequential (the layout of a keras.applications base inside a user's model)."""
    base = conv_base(size, channels)
    top = [keras.layers.GlobalAveragePooling2D(name="gap"),
           keras.layers.Dense(classes, activation=head, name="head")]
    if nested:
        model = keras.Sequential([keras.Input((size, size, channels)), base, *top], name="nested")
    else:
        x = base.output
        for layer in top:
            x = layer(x)
        model = keras.Model(base.input, x, name="flat")
    return model


def same_resolution_classifier(size: int = 12, channels: int = 3, classes: int = 3,
                               head: str | None = None) -> keras.Model:
    """A small all-'same'-padding CNN whose conv maps keep the input resolution (no CAM
    resizing)."""
    keras.utils.set_random_seed(2)
    inputs = keras.Input((size, size, channels))
    x = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="c1")(inputs)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")(x)
    x = keras.layers.Conv2D(7, 3, padding="same", activation="relu", name="c3")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(classes, activation=head, name="head")(x)
    return keras.Model(inputs, outputs, name="same_res")


def dense_linear_model(weights: np.ndarray) -> keras.Model:
    """Logits = flatten(x) @ weights for (4, 4, 2) inputs, no bias: its input gradient is the
    weight pattern `weights[..., class]` everywhere. `weights` has shape (4, 4, 2, classes)."""
    inputs = keras.Input((4, 4, 2))
    dense = keras.layers.Dense(weights.shape[-1], use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    dense.set_weights([weights.reshape(32, -1).astype(np.float32)])
    return model

def weights_of(model: keras.Model) -> list[np.ndarray]:
    """Copies of every weight, to check that a model was not modified."""
    return [np.array(w) for w in model.get_weights()]


def tiny_generator(size: int = 16, channels: int = 3, k: int = 3, seed: int = 0) -> keras.Model:
    """An untrained LSFT generator for (size, size, channels) images and k CGMAs."""
    keras.utils.set_random_seed(seed)
    return cet.models.build_lsft_generator((size, size, channels), k, TINY_GENERATOR)


def pearson_per_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each pair of maps a[i], b[i] (flattened)."""
    a = a.reshape(len(a), -1)
    b = b.reshape(len(b), -1)
    return np.array([np.corrcoef(x, y)[0, 1] for x, y in zip(a, b)])
