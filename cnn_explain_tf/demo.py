"""`cnn-explain demo`: trains a small CNN on the bundled digits and compares every explainer."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from cnn_explain_tf import data, explain, viz
from cnn_explain_tf.artifacts import library_versions, save_model, write_json
from cnn_explain_tf.models import zoo

METHOD_OPTIONS = {"smoothgrad": {"num_samples": 16}, "scorecam": {"max_channels": 32}}


def run_demo(out_dir: str | Path = "runs/demo", epochs: int = 3, num_images: int = 6,
             seed: int = 0, verbose: int = 1) -> Path:
    """Trains `vgg_lite` on scikit-learn's digits (a few seconds on CPU), then writes
    `explainers.png` (one row per test image, one column per explainer), the model and a JSON.

    Returns:
        The path of the comparison grid.
    """
    out_dir = Path(out_dir)
    keras.utils.set_random_seed(seed)
    x_train, y_train = data.load_arrays("digits", "train", seed=seed)
    x_test, y_test = data.load_arrays("digits", "test", seed=seed)
    model = zoo.build("vgg_lite", x_train.shape[1:], data.info("digits").num_classes)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=2 if verbose else 0)
    train_seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
    chosen = np.random.default_rng(seed).choice(len(x_test), num_images, replace=False)
    images, labels = x_test[chosen], y_test[chosen]
    predicted = np.argmax(model.predict(images, verbose=0), axis=1)
    maps = {}
    for name in explain.names(model):
        maps[name] = explain.get(name)(model, **METHOD_OPTIONS.get(name, {}))(images)
        if verbose:
            print(f"  explained with {name}")
    grid = out_dir / "explainers.png"
    viz.comparison_grid(images, maps, grid, row_labels=[
        f"label {label}, pred {guess}" for label, guess in zip(labels, predicted)],
        title=f"vgg_lite on digits, test accuracy {accuracy:.3f}: maps of the predicted class")
    save_model(model, out_dir / "digits__vgg_lite.keras")
    write_json({"dataset": "digits", "arch": "vgg_lite", "epochs": epochs, "seed": seed,
                "test_accuracy": accuracy, "train_seconds": train_seconds,
                "methods": list(maps), "versions": library_versions()},
               out_dir / "digits__vgg_lite.json")
    return grid
