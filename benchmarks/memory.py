"""Memory: build, explain (Grad-CAM, Integrated Gradients, CGMA) and drop small models in a loop.

Prints the process RSS after each model (the curve) and the largest growth over the RSS after
the first model; the goal is that dropped models give their memory back (growth within 50 MB).
Run: python benchmarks/memory.py [--models 30]
"""

from __future__ import annotations

import argparse
import gc

import keras
import numpy as np
import psutil

import cnn_explain_tf as cet
from cnn_explain_tf.explain import cgma

GOAL_MB = 50.0


def small_model(seed: int) -> keras.Model:
    """A small 32x32 CNN classifier (3 convs, GAP, softmax head)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def explain_and_drop(seed: int, images: np.ndarray) -> None:
    """One model, explained by each method, then dropped with its explainers."""
    model = small_model(seed)
    cet.explain.GradCAM(model)(images)
    cet.explain.IntegratedGradients(model, steps=8)(images)
    cgma.compute_cgma(model, images, k=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=30)
    args = parser.parse_args()
    images = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
    process, curve = psutil.Process(), []
    for seed in range(args.models):
        explain_and_drop(seed, images)
        gc.collect()
        curve.append(process.memory_info().rss / 2**20)
        print(f"model {seed + 1:2d}: RSS {curve[-1]:8.1f} MB")
    growth = max(curve) - curve[0]
    print(f"max growth after the first model: {growth:.1f} MB (goal: within {GOAL_MB:.0f} MB) "
          f"-> {'met' if growth <= GOAL_MB else 'not met'}")


if __name__ == "__main__":
    main()
