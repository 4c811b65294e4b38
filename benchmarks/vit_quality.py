"""Trains a small ViT on the embedded digits and checks its explainers: a cascading randomisation
sanity check and deletion / insertion AUC against a random map, with bootstrap intervals.

Run: python benchmarks/vit_quality.py [--epochs 15] [--images 200] [--seed 0]
The methods are Grad-CAM on the default token layer (the last block's norm1), attention rollout
and gradient x attention. Deletion / insertion: 4x4 patches (the ViT's patches) replaced by /
revealed on black, one step per patch, the predicted class; lower / higher is better. Each
method's paired difference with a uniform random map (seeded) gets a 95 % bootstrap interval
and a verdict. Randomisation: Spearman rank correlation between the maps of the trained and the
fully (cascading) randomised model; lower is better; the random map is the control that fails.
Also printed: the share of each map's relevance inside the digit's mask (`relevance_mass`).
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np

import cnn_explain_tf as cet
from cnn_explain_tf.explain.attention import AttentionRollout, GradientAttention
from cnn_explain_tf.metrics.faithfulness.curves import DeletionAUC, InsertionAUC
from cnn_explain_tf.metrics.intervals import difference_interval, mean_interval, verdict
from cnn_explain_tf.metrics.localisation import relevance_mass
from cnn_explain_tf.metrics.randomisation import model_parameter_randomisation
from cnn_explain_tf.models.vit import build_vit

METHODS = {"gradcam_tokens": cet.explain.GradCAM, "attention_rollout": AttentionRollout,
           "gradient_attention": GradientAttention}


def digits(split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrays = cet.data.embedded.embedded_arrays("digits", split, 0)
    return arrays["images"].astype(np.float32) / 255.0, arrays["labels"], arrays["masks"]


def train(epochs: int, seed: int) -> tuple[keras.Model, float]:
    """A 32x32 ViT (4x4 patches, D 48, 3 blocks of 4 heads) trained with Adam; test accuracy."""
    keras.utils.set_random_seed(seed)
    (x, y, _), (x_test, y_test, _) = digits("train"), digits("test")
    model = build_vit((32, 32, 1), 10, patch_size=4, dim=48, depth=3, num_heads=4, mlp_dim=96)
    model.compile(keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=2)
    return model, float(model.evaluate(x_test, y_test, verbose=0)[1])


def random_maps(images: np.ndarray, seed: int):
    """A class- and model-independent control: seeded uniform noise maps."""
    return np.random.default_rng(seed).random(images.shape[:3], dtype=np.float32)


def faithfulness(model, images, maps: dict) -> None:
    for metric, better in ((DeletionAUC, "lower"), (InsertionAUC, "higher")):
        scorer = metric(model, batch_size=64, patch_size=4)
        scores = {name: scorer.detailed_evaluate(images, m) for name, m in maps.items()}
        print(f"\n{metric.__name__} ({better} is better), mean [95% CI]; method - random:")
        for name, values in scores.items():
            line = f"  {name:<20} {mean_interval([values]).text(4)}"
            if name != "random":
                diff = difference_interval([values], [scores["random"]])
                line += f"   diff {diff.text(4)}  {verdict(diff, better)}"
            print(line)


def glyph_mass(maps: dict, masks: np.ndarray) -> None:
    print("\nRelevance mass on the glyph (share of each map inside the digit's mask), mean "
          "[95% CI]:")
    for name, values in maps.items():
        print(f"  {name:<20} {relevance_mass(values, masks).interval.text(3)}")


def randomisation(model, images, seed: int) -> None:
    print("\nCascading randomisation, Spearman(trained map, fully randomised map), "
          "mean [95% CI] (lower is better):")
    factories = {name: (lambda m, cls=cls: cls(m, batch_size=64)) for name, cls in METHODS.items()}
    factories["random"] = lambda m: (lambda x, targets=None: random_maps(x, seed))
    for name, factory in factories.items():
        result = model_parameter_randomisation(factory, model, images, mode="cascading",
                                               similarity="spearman", seed=seed, checkpoints=4)
        curve = " -> ".join(f"{np.nanmean(row):.3f}" for row in result.per_layer)
        constant = int(np.isnan(result.per_layer[-1]).sum())
        print(f"  {name:<20} {mean_interval([result.per_layer[-1]]).text(3)}   "
              f"({constant} constant maps not counted); per checkpoint "
              f"({', '.join(result.layers)}): {curve}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    model, accuracy = train(args.epochs, args.seed)
    print(f"ViT test accuracy {accuracy:.4f} after {args.epochs} epochs "
          f"({time.perf_counter() - start:.0f} s)")
    images, _, masks = (part[:args.images] for part in digits("test"))
    maps = {name: cls(model, batch_size=64)(images) for name, cls in METHODS.items()}
    maps["random"] = random_maps(images, args.seed)
    faithfulness(model, images, maps)
    glyph_mass(maps, masks)
    randomisation(model, images[:min(args.images, 64)], args.seed)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
