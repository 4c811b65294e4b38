"""Times Fill in the blanks on a 28x28 digit classifier: batched masks vs a per-mask loop.

Run: python benchmarks/fill_in_the_blanks.py [--masks 10000] [--batch-size 1000] [--loop-masks 300]
Trains a small CNN on the embedded digits at 28x28 (4 epochs), then times, after one warm-up each,
the probe keeping N* masks for one image with `batch_size` masks per compiled step, and the
same probe with one mask per compiled step (the per-mask loop), and prints both rates, their
ratio and the time for N*. The machine's load average is printed too: timings on a shared CPU vary.
"""

from __future__ import annotations

import argparse
import os
import time

import keras
import numpy as np

import cnn_explain_tf as cet


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
    """(kept masks per second, seconds) for `masks` kept masks, after a warm-up call."""
    def run(count):
        probe = cet.probes.FillInTheBlanks(model, mask_ratio=0.25, patch_size=2,
                                           num_masks=count, batch_size=batch_size, verbose=0)
        start = time.perf_counter()
        kept = int(probe(image[None], int(label)).kept[0])
        return kept, time.perf_counter() - start

    run(min(masks, 2 * batch_size))  # warm-up: tracing is not timed
    kept, seconds = run(masks)
    return kept / seconds, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masks", type=int, default=10_000, help="N*, kept masks")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--loop-masks", type=int, default=300, help="masks for the per-mask loop")
    args = parser.parse_args()

    model, images, labels = digit_classifier()
    accuracy = float(np.mean(np.argmax(model.predict(images, verbose=0), -1) == labels))
    index = int(np.flatnonzero(np.argmax(model.predict(images[:50], verbose=0), -1)
                               == labels[:50])[0])
    batched_rate, batched_seconds = kept_per_second(model, images[index], labels[index],
                                                    args.masks, args.batch_size)
    loop_rate, _ = kept_per_second(model, images[index], labels[index], args.loop_masks, 1)
    print(f"digit CNN 28x28 (test accuracy {accuracy:.3f}), mask ratio 0.25, patch 2, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"batched ({args.batch_size} masks per compiled step): {batched_rate:,.0f} kept masks/s")
    print(f"per-mask loop (1 mask per compiled step): {loop_rate:,.0f} kept masks/s")
    print(f"ratio batched / per-mask: {batched_rate / loop_rate:.1f}x (goal >= 20x)")
    print(f"time for N* = {args.masks:,} kept masks: {batched_seconds:.2f} s")


if __name__ == "__main__":
    main()
