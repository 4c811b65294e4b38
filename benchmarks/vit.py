"""Times Grad-CAM on a ViT's token layer and the attention methods against the ViT's forward pass.

Run: python benchmarks/vit.py [--repeats 15] [--batch 32] [--size 32] [--depth 12] [--dim 64]
All timings are medians of `repeats` rounds after one warm-up each; a round times every function
once, in turn, so load from other processes falls on all of them alike. The forward pass is the
model compiled with tf.function on the same batch. Goal: Grad-CAM / forward <= 1.5.
"""

from __future__ import annotations

import argparse

import numpy as np
import tensorflow as tf
from timing import interleaved_medians, print_report

import cnn_explain_tf as cet
from cnn_explain_tf.explain.attention import AttentionRollout, GradientAttention
from cnn_explain_tf.models.vit import build_vit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--depth", type=int, default=12)
    parser.add_argument("--dim", type=int, default=64)
    args = parser.parse_args()

    tf.keras.utils.set_random_seed(0)
    model = build_vit((args.size, args.size, 3), 10, patch_size=4, dim=args.dim,
                      depth=args.depth, num_heads=4, mlp_dim=2 * args.dim)
    images = np.random.default_rng(0).random((args.batch, args.size, args.size, 3),
                                             dtype=np.float32)
    forward = tf.function(lambda x: model(x, training=False))
    batch = tf.constant(images)
    explainers = {"gradcam": cet.explain.GradCAM(model, batch_size=args.batch),
                  "rollout": AttentionRollout(model, batch_size=args.batch),
                  "gradient_attention": GradientAttention(model, batch_size=args.batch)}
    timings = interleaved_medians(
        {"forward": lambda: forward(batch).numpy(),
         **{name: (lambda e=explainer: e(images)) for name, explainer in explainers.items()}},
        args.repeats)
    print_report(
        f"ViT {args.size}x{args.size}, 4x4 patches, depth {args.depth}, D {args.dim}, batch "
        f"{args.batch}; Grad-CAM layer {explainers['gradcam'].layer.name}",
        timings,
        [("Grad-CAM (token layer) / forward", timings["gradcam"] / timings["forward"], "<= 1.5"),
         ("attention rollout / forward", timings["rollout"] / timings["forward"], "-"),
         ("gradient x attention / forward",
          timings["gradient_attention"] / timings["forward"], "-")],
        name_width=20)


if __name__ == "__main__":
    main()
