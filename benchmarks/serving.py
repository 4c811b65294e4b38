"""Times an exported Grad-CAM signature (tf.saved_model.load) against the library's GradCAM.

Run: python benchmarks/serving.py [--repeats 5] [--batch 32] [--size 64]
VGG16 (weights=None, softmax head), batch 32 of 64x64x3 images, predicted classes; medians of
`repeats` calls after one warm-up, measured side by side in this process. The signature also
checks its inputs and returns the probabilities and resolved targets (from the logits of
Grad-CAM's own forward pass); the forward-only `probabilities` signature is timed for scale.
"""

from __future__ import annotations

import argparse
import tempfile

import keras
import numpy as np
import tensorflow as tf
from timing import median_seconds, print_report

import cnn_explain_tf as cet
from cnn_explain_tf import serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    model = keras.applications.VGG16(weights=None, input_shape=(args.size, args.size, 3),
                                     classes=10)
    images = np.random.default_rng(0).random((args.batch, args.size, args.size, 3),
                                             dtype=np.float32)
    library = cet.explain.GradCAM(model)
    with tempfile.TemporaryDirectory() as folder:
        result = serving.export(model, folder, ["gradcam"], verbose=0)
        loaded = tf.saved_model.load(str(result.path))
        gradcam, probabilities = loaded.signatures["gradcam"], loaded.signatures["probabilities"]
        inputs = {"images": tf.constant(images),
                  "targets": tf.constant(np.full(args.batch, -1, np.int32))}
        exported_maps = gradcam(**inputs)["maps"].numpy()
        difference = float(np.abs(exported_maps - library(images)).max())
        t = {
            "library": median_seconds(lambda: library(images), args.repeats),
            "signature": median_seconds(lambda: gradcam(**inputs)["maps"].numpy(), args.repeats),
            "probabilities": median_seconds(
                lambda: probabilities(images=inputs["images"])["probabilities"].numpy(),
                args.repeats),
        }
    print_report(f"Grad-CAM, VGG16 {args.size}x{args.size}x3, batch {args.batch}; max |exported "
                 f"- library| = {difference:.2e}", t, [
                     ("exported signature / library GradCAM.__call__",
                      t["signature"] / t["library"], "<= 1.1")])


if __name__ == "__main__":
    main()
