"""Times the CAM variants and attributions (issues 14, 27) against peers and naive loops.

Run: python benchmarks/methods.py [--repeats 3] [--batch 32] [--masks 256] [--scorecam]
LayerCAM runs on VGG16 (64x64x3, 10 classes, as benchmarks/explainers.py); the attributions on the
zoo's vgg_lite (64x64x3, 10 classes). All timings are medians of `repeats` runs after one warm-up,
measured side by side in this process.

The naive baselines: "32 plain gradient passes" calls a compiled input-gradient step 32 times on
the same batch; the "per-step Python loop" runs Integrated Gradients as a Python loop over the 32
interpolation steps, one eager GradientTape pass over the batch per step; "one mask per call"
calls the Keras model eagerly once per occluded / masked image (the same masks as ours), and
"compiled, one mask per call" does the same through a compiled forward function. The gradient
statistics are timed against the same number of plain gradient passes (against xplique's VarGrad
and SquareGrad in benchmarks/xplique_speed.py); Occlusion and RISE against the batched forward
passes they make.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np
import tensorflow as tf
from tf_keras_vis.layercam import Layercam
from tf_keras_vis.scorecam import Scorecam
from tf_keras_vis.utils.scores import CategoricalScore
from timing import median_seconds, print_report

import cnn_explain_tf as cet


def vgg16(batch: int, policy: str = "float32"):
    """(VGG16 64x64x3 with 10 logits, images, predicted targets, last conv layer name)."""
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_dtype_policy(policy)
    model = keras.applications.VGG16(weights=None, input_shape=(64, 64, 3), classes=10,
                                     classifier_activation=None)
    keras.mixed_precision.set_dtype_policy("float32")
    images = np.random.default_rng(0).random((batch, 64, 64, 3), dtype=np.float32)
    targets = np.argmax(model.predict(images, verbose=0), axis=1)
    layer = [one.name for one in model.layers if isinstance(one, keras.layers.Conv2D)][-1]
    return model, images, targets, layer


def layercam_times(batch: int, repeats: int) -> dict[str, float]:
    """LayerCAM and tf-keras-vis Layercam on VGG16, same model, batch and layer."""
    model, images, targets, layer = vgg16(batch)
    ours = cet.explain.LayerCAM(model, layer=layer)
    theirs = Layercam(model, clone=False)
    score = CategoricalScore(targets.tolist())
    return {"layercam": median_seconds(lambda: ours(images, targets), repeats),
            "tkv_layercam": median_seconds(lambda: theirs(score, images, penultimate_layer=layer),
                                           repeats)}


def integrated_gradients_times(model, images, targets, repeats: int, steps: int = 32):
    """Integrated Gradients (one compiled step) vs plain gradient passes and a per-step loop."""
    ig = cet.explain.IntegratedGradients(model, steps=steps, batch_size=len(images))
    one_pass = cet.explain.IntegratedGradients(model, steps=steps, steps_per_pass=steps)
    saliency = cet.explain.VanillaGradients(model, batch_size=len(images))
    gradient_step = saliency.compile(saliency.input_gradients)
    x, t = tf.constant(images), tf.constant(targets, tf.int32)
    alphas = (np.arange(steps, dtype=np.float32) + 0.5) / steps

    def python_loop():
        total = tf.zeros_like(x)
        for alpha in alphas:
            point = x * alpha
            with tf.GradientTape() as tape:
                tape.watch(point)
                scores = tf.gather(model(point, training=False), t, batch_dims=1)
            total += tape.gradient(scores, point)
        return (x * total / steps).numpy()

    return {"ig": median_seconds(lambda: ig.attributions(images, targets), repeats),
            "ig_one_pass": median_seconds(lambda: one_pass.attributions(images, targets),
                                          repeats),
            "plain_gradients": median_seconds(
                lambda: [gradient_step(x, t).numpy() for _ in range(steps)], repeats),
            "ig_python_loop": median_seconds(python_loop, max(1, repeats // 2))}


def per_mask_times(model, image, masks, fill: float, repeats: int) -> dict[str, float]:
    """One model call per masked image: eager Keras calls and a compiled forward function."""
    forward = tf.function(lambda x: model(x, training=False))
    inputs = [tf.constant(image[None] * m[None, ..., None] + fill * (1 - m[None, ..., None]))
              for m in masks]
    return {"eager": median_seconds(lambda: [model(x, training=False).numpy() for x in inputs],
                                    max(1, repeats // 2)),
            "compiled": median_seconds(lambda: [forward(x).numpy() for x in inputs], repeats)}


def mask_times(model, image, num_masks: int, repeats: int) -> dict[str, float]:
    """Occlusion (patch 8, stride 4) and RISE batched vs one mask per call, on one image."""
    occlusion = cet.explain.Occlusion(model, patch_size=8, stride=4)
    rise = cet.explain.RISE(model, num_masks=num_masks)
    patches = occlusion.masks(tf.range(occlusion.num_masks)).numpy()
    occluded = per_mask_times(model, image, 1.0 - patches, 0.0, repeats)
    masked = per_mask_times(model, image, rise.masks(tf.range(num_masks)).numpy(), 0.0, repeats)
    return {"occlusion": median_seconds(lambda: occlusion(image[None], 0), repeats),
            "occlusion_eager": occluded["eager"], "occlusion_compiled": occluded["compiled"],
            "rise": median_seconds(lambda: rise(image[None], 0), repeats),
            "rise_eager": masked["eager"], "rise_compiled": masked["compiled"],
            "patches": occlusion.num_masks}


def statistics_times(model, images, targets, repeats: int, samples: int = 16) -> dict:
    """SmoothGrad, VarGrad, SquareGrad and GradientSHAP (`samples` draws, one batched gradient
    pass each) vs `samples` plain compiled gradient passes."""
    saliency = cet.explain.VanillaGradients(model, batch_size=len(images))
    gradient_step = saliency.compile(saliency.input_gradients)
    x, t = tf.constant(images), tf.constant(targets, tf.int32)
    times = {"plain_gradients_n": median_seconds(
        lambda: [gradient_step(x, t).numpy() for _ in range(samples)], repeats)}
    for name in ("smoothgrad", "vargrad", "squaregrad", "gradient_shap"):
        explainer = cet.explain.get(name)(model, num_samples=samples, batch_size=len(images))
        times[name] = median_seconds(lambda: explainer.attributions(images, targets),  # noqa: B023
                                     repeats)
    return times


def forward_pass_times(model, images, repeats: int, num_masks: int) -> dict:
    """RISE and Occlusion on a batch vs the compiled forward passes they make: ceil(masks /
    per_pass) passes of per_pass x B images, per_pass = batch_size // B (32 // B)."""
    occlusion = cet.explain.Occlusion(model, patch_size=8, stride=4)
    rise = cet.explain.RISE(model, num_masks=num_masks)
    forward = tf.function(lambda x: cet.graph.run(model, x)[1])
    per_pass = max(1, 32 // len(images))
    chunk = tf.constant(np.repeat(images, per_pass, axis=0))
    times = {}
    for name, explainer in (("occlusion", occlusion), ("rise", rise)):
        passes = -(-explainer.num_masks // per_pass) + 1  # + the clean forward pass
        times[name] = median_seconds(lambda: explainer.attributions(images, 0),  # noqa: B023
                                     repeats)
        times[f"{name}_passes"] = median_seconds(
            lambda: [forward(chunk).numpy() for _ in range(passes)], repeats)  # noqa: B023
    return times


class XLAForwardScoreCAM(cet.explain.ScoreCAM):
    """Score-CAM whose masked forward passes (the calls without taps) are XLA-compiled."""

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self._xla_forward = tf.function(
            lambda x: cet.graph.run(self.model, x, output=self.output)[1], jit_compile=True)

    def forward(self, images, taps=(), rules=None):
        if taps or rules is not None:
            return super().forward(images, taps, rules)
        return [], self._xla_forward(images)


def scorecam_experiments(repeats: int, channels: int = 16, batch: int = 8) -> None:
    """Score-CAM / tf-keras-vis Scorecam with what might remove work: XLA on the compiled step,
    larger mask batches, a bfloat16 copy of the model; prints each ratio and its accuracy."""
    model, images, targets, layer = vgg16(batch)
    reference = cet.explain.ScoreCAM(model, layer=layer, max_channels=channels)
    xla = XLAForwardScoreCAM(model, layer=layer, max_channels=channels)
    bf16_model = vgg16(batch, "mixed_bfloat16")[0]
    bf16_model.set_weights(model.get_weights())
    variants = {"float32, batch 32 (library)": reference, "XLA on masked forwards": xla,
                "mask batch 128": cet.explain.ScoreCAM(model, layer=layer, max_channels=channels,
                                                       batch_size=128),
                "bfloat16 model": cet.explain.ScoreCAM(bf16_model, layer=layer,
                                                       max_channels=channels)}
    theirs = Scorecam(model, clone=False)
    expected = reference(images, targets)
    for count in (batch, 1):
        x, t = images[:count], targets[:count]
        tkv = median_seconds(lambda: theirs(CategoricalScore(t.tolist()), x,  # noqa: B023
                                            penultimate_layer=layer, max_N=channels), repeats)
        for label, explainer in variants.items():
            seconds = median_seconds(lambda: explainer(x, t), repeats)  # noqa: B023
            pearson = min(np.corrcoef(a.ravel(), b.ravel())[0, 1]
                          for a, b in zip(explainer(x, t), expected[:count]))
            print(f"Score-CAM {label:<28} / Scorecam, {count} image(s), {channels} channels: "
                  f"{seconds / tkv:6.3f}  (min Pearson vs float32 {pearson:.4f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32, help="LayerCAM batch")
    parser.add_argument("--masks", type=int, default=256, help="RISE masks")
    parser.add_argument("--scorecam", action="store_true",
                        help="only the Score-CAM experiments (XLA, mask batch, bfloat16)")
    args = parser.parse_args()
    if args.scorecam:
        scorecam_experiments(args.repeats)
        return

    t = layercam_times(args.batch, args.repeats)
    model = cet.models.zoo.build("vgg_lite", (64, 64, 3), 10)
    images = np.random.default_rng(1).random((16, 64, 64, 3), dtype=np.float32)
    targets = np.argmax(model.predict(images, verbose=0), axis=1)
    t.update(integrated_gradients_times(model, images, targets, args.repeats))
    t.update(mask_times(model, images[0], args.masks, args.repeats))
    t.update(statistics_times(model, images, targets, args.repeats))
    t.update(forward_pass_times(model, images[:4], args.repeats, args.masks))
    patches = t.pop("patches")
    rows = [
        (f"LayerCAM / tf-keras-vis Layercam (VGG16, batch {args.batch})",
         t["layercam"] / t["tkv_layercam"], "<= 0.33"),
        ("IG 32 steps batch 16 / 32 plain gradient passes", t["ig"] / t["plain_gradients"],
         "<= 1.3"),
        ("IG, all 32 steps in one pass / 32 plain gradient passes",
         t["ig_one_pass"] / t["plain_gradients"], "(info)"),
        ("IG per-step Python loop / IG", t["ig_python_loop"] / t["ig"], ">= 5"),
        (f"Occlusion: one mask per call (eager) / batched ({patches} patches)",
         t["occlusion_eager"] / t["occlusion"], ">= 10"),
        ("Occlusion: one mask per call (compiled) / batched",
         t["occlusion_compiled"] / t["occlusion"], "(info)"),
        (f"RISE: one mask per call (eager) / batched ({args.masks} masks)",
         t["rise_eager"] / t["rise"], ">= 10"),
        ("RISE: one mask per call (compiled) / batched", t["rise_compiled"] / t["rise"],
         "(info)"),
    ]
    rows += [(f"{name} 16 samples / 16 plain gradient passes", t[name] / t["plain_gradients_n"],
              "<= 1.3") for name in ("smoothgrad", "vargrad", "squaregrad", "gradient_shap")]
    rows += [(f"{name} (batch 4) / its batched forward passes", t[name] / t[f"{name}_passes"],
              "<= 1.2") for name in ("occlusion", "rise")]
    print_report(f"medians of {args.repeats} runs; attributions on vgg_lite 64x64x3, 10 classes",
                 t, rows, name_width=20, label_width=62)


if __name__ == "__main__":
    main()
