"""Compares Fill in the blanks' fill rules (Eq. 4's normalisation) on Table 1, paired.

Run: python benchmarks/fill_rules.py --out runs/fill_rules [--num-masks 500]
Trains the quick preset's `cnn3` and `resnet5` on the embedded digits (or reuses them from
--out), then measures Table 1's consistency accuracy of every rule of
`probes.fill_blanks.FILL_RULES` in both modes, first on the selection images (test images
100-199) and then on the reported images (test images 0-99). The rule is chosen on the selection
images only (highest mean progressive accuracy over the two classifiers); the reported images
give each rule's accuracy with its bootstrap 95 % interval and its paired difference with the
"minmax" rule (the same images resampled for both). Writes `fill_rules.json` to --out
and prints the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts, data
from cnn_explain_tf.metrics.intervals import difference_interval, mean_interval
from cnn_explain_tf.models.fill_blanks import build
from cnn_explain_tf.probes.fill_blanks import FILL_RULES, MODES
from cnn_explain_tf.protocols.fill_blanks import CLASSIFIED, prototype_set
from cnn_explain_tf.studies.fill_in_the_blanks import PRESETS
from cnn_explain_tf.studies.fill_in_the_blanks.training import train_classifier

SPLITS = {"selection": slice(100, 200), "reported": slice(0, 100)}
CONFIG = dataclasses.replace(PRESETS["quick"], datasets=("digits",))


def classifier(arch: str, out: Path):
    """The quick preset's `arch` on digits, trained once and kept in `out`."""
    path = out / f"digits-{arch}.keras"
    if path.exists():
        return artifacts.load_model(path, "classifier")
    images, labels = data.load_arrays("digits", "train", CONFIG.image_size, seed=CONFIG.seed)
    model = train_classifier(build(arch, images.shape[1:], 10),
                             images[:CONFIG.train_examples], labels[:CONFIG.train_examples],
                             epochs=CONFIG.epochs, batch_size=CONFIG.batch_size,
                             seed=CONFIG.seed)
    artifacts.save_model(model, path)
    return model


def correct(model, images, truth, mode: str, rule: str, num_masks: int) -> list[float]:
    """Per image: 1 where the mode's first classified image is given ŷ, else 0 (Table 1)."""
    found = prototype_set(model, images, mode, truth, 0, mask_ratio=CONFIG.mask_ratio,
                          patch_size=CONFIG.patch_size, num_masks=num_masks,
                          threshold=CONFIG.threshold, fill_rule=rule, seed=CONFIG.seed,
                          batch_size=256)
    first = next(iter(CLASSIFIED[mode]))
    return (found.classified[first] == found.labels).astype(float).tolist()


def measure(out: Path, num_masks: int) -> dict:
    """{arch: {split: {mode: {rule: per-image correctness}}}}."""
    images, truth = data.load_arrays("digits", "test", CONFIG.image_size, seed=CONFIG.seed)
    table = {}
    for arch in CONFIG.archs:
        model = classifier(arch, out)
        table[arch] = {split: {mode: {rule: correct(model, images[part], truth[part], mode,
                                                    rule, num_masks)
                                      for rule in FILL_RULES} for mode in MODES}
                       for split, part in SPLITS.items()}
        print(f"{arch}: measured", flush=True)
    return table


def chosen_rule(table: dict) -> str:
    """The rule of highest mean progressive accuracy on the selection images."""
    return max(FILL_RULES, key=lambda rule: np.mean(
        [np.mean(table[arch]["selection"]["progressive"][rule]) for arch in table]))


def report(table: dict) -> list[str]:
    lines = ["split      arch     mode         rule       accuracy             minus minmax"]
    for arch, splits in table.items():
        for split, mode, rules in ((s, m, r) for s in SPLITS for m, r in splits[s].items()):
            for rule, values in rules.items():
                accuracy = mean_interval([np.array(values)], seed=0).text()
                change = difference_interval([np.array(values)], [np.array(rules["minmax"])],
                                             seed=0).text()
                lines.append(f"{split:10} {arch:8} {mode:12} {rule:10} {accuracy:20} {change}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--num-masks", type=int, default=CONFIG.num_masks)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table = measure(args.out, args.num_masks)
    lines = [f"chosen on test images 100-199: {chosen_rule(table)}", *report(table)]
    (args.out / "fill_rules.json").write_text(json.dumps(
        {"num_masks": args.num_masks, "chosen": chosen_rule(table), "correct": table}))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
