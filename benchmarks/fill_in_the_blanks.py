"""Times Fill in the blanks on a 28x28 digit classifier: batched masks vs a per-mask loop.

Run: python benchmarks/fill_in_the_blanks.py [--masks 10000] [--batch-sizes 64 256 1000]
         [--loop-masks 500]
Trains a small CNN on the embedded digits at 28x28 (4 epochs), then times the probe keeping N*
masks for one image with `batch_size` masks per compiled step (each batch size in turn), and the
same probe with one mask per compiled step (the per-mask loop: the same compiled computation,
one mask at a time). Each probe is called once untimed first and the second call is timed, so
neither side times tracing. Prints the rates, the ratio of the fastest batch size to the loop
and the time for N*. The load average is printed too: timings on a shared CPU vary.
TensorFlow's oneDNN CPU kernels are on, as in the `cnn-explain` command, unless
TF_ENABLE_ONEDNN_OPTS is set (run it with TF_ENABLE_ONEDNN_OPTS=0 for TensorFlow's default
kernels on CPUs without AVX-512; both settings are printed).
"""

from __future__ import annotations

import argparse
import os
import time

ONEDNN = "TF_ENABLE_ONEDNN_OPTS"
os.environ.setdefault(ONEDNN, "1")  # before TensorFlow loads, as `startup.use_onednn` does

import keras  # noqa: E402
import numpy as np  # noqa: E402

import cnn_explain_tf as cet  # noqa: E402


def digit_classifier(seed: int = 0) -> tuple[keras.Model, np.ndarray, np.ndarray]:
    """A LeNet-sized CNN trained for 4 epochs on digits at 28x28; returns it and test data."""
    keras.utils.set_random_seed(seed)
    images, labels = cet.data.load_arrays("digits", "train", (28, 28))
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, batch_size=64, epochs=4, verbose=0)
    test_images, test_labels = cet.data.load_arrays("digits", "test", (28, 28))
    return model, test_images, test_labels


def kept_per_second(model, image, label, masks: int, batch_size: int) -> tuple[float, float]:
    """(kept masks per second, seconds) of the second of two calls of one probe keeping `masks`.

    The first call traces the probe's compiled steps (and warms caches); only the second is timed.
    """
    probe = cet.probes.FillInTheBlanks(model, mask_ratio=0.25, patch_size=2, num_masks=masks,
                                       batch_size=batch_size, verbose=0)
    probe(image[None], int(label))
    start = time.perf_counter()
    kept = int(probe(image[None], int(label)).kept[0])
    seconds = time.perf_counter() - start
    return kept / seconds, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masks", type=int, default=10_000, help="N*, kept masks")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 1000])
    parser.add_argument("--loop-masks", type=int, default=500, help="masks for the per-mask loop")
    args = parser.parse_args()

    model, images, labels = digit_classifier()
    accuracy = float(np.mean(np.argmax(model.predict(images, verbose=0), -1) == labels))
    index = int(np.flatnonzero(np.argmax(model.predict(images[:50], verbose=0), -1)
                               == labels[:50])[0])
    print(f"digit CNN 28x28 (test accuracy {accuracy:.3f}), mask ratio 0.25, patch 2, "
          f"{os.cpu_count()} CPUs, {ONEDNN}={os.environ[ONEDNN]}, "
          f"load average {os.getloadavg()[0]:.1f}")
    batched = {size: kept_per_second(model, images[index], labels[index], args.masks, size)
               for size in args.batch_sizes}
    for size, (rate, _) in batched.items():
        print(f"batched ({size} masks per compiled step): {rate:,.0f} kept masks/s")
    loop_rate, _ = kept_per_second(model, images[index], labels[index], args.loop_masks, 1)
    print(f"per-mask loop (1 mask per compiled step): {loop_rate:,.0f} kept masks/s")
    best = max(batched, key=lambda size: batched[size][0])
    print(f"ratio batched ({best}) / per-mask: {batched[best][0] / loop_rate:.1f}x (goal >= 20x)")
    print(f"time for N* = {args.masks:,} kept masks: {batched[best][1]:.2f} s; load average "
          f"{os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    main()
