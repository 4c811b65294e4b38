"""Entry script: ships four SFT-GAN generators as the package's pretrained ones, with cards.

    cnn-explain reproduce --preset quick --seed 0 --out runs/quick
    python training/package_pretrained.py runs/quick [--gans runs/gan20]

Copies `GANS/{similar,dissimilar}/{lsft,gsft}/generator.keras` (GANS: the reproduction's own
`RUN/gan`, or `train-gan` runs on its CGMA shards) to
`cnn_explain_tf/pretrained/{lsft,gsft}-s{1,2}.keras` (s1: strategy 1, similar semantics; s2:
strategy 2) and writes each model card `NAME.json`: datasets, classifiers, GAN recipe, command,
seed and commit, the file's sha256, and the shipped file's numbers on the run's unseen pairs
(classifiers and datasets neither strategy saw): Dice with Grad-CAM and with the mask, average
drop, win rate against Grad-CAM and average drop minus Grad-CAM's, each with its 95 % bootstrap
interval (images resampled, stratified by pair). The unseen pairs are explained on the
reproduction's own evaluation images (the first `eval_count` of its shuffled test set, the
images of its report). Each variant's default ("lsft", "gsft") is the strategy with the higher
Dice with Grad-CAM on the NEXT `eval_count` test images of the unseen pairs, never on the
reported ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts, data, explain, metrics
from cnn_explain_tf.protocols.common import EvalSet, explain_all
from cnn_explain_tf.protocols.sft_gan import dice_rows, faithfulness_rows
from cnn_explain_tf.studies.reproduce import PRESETS
from cnn_explain_tf.studies.reproduce.layout import Run

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "cnn_explain_tf" / "pretrained"
SHIPPED = {f"{variant}-s{number}": (semantics, variant)
           for number, semantics in ((1, "similar"), (2, "dissimilar"))
           for variant in ("lsft", "gsft")}
QUANTITIES = {"dice_vs_gradcam": ("dice", "gradcam"), "dice_vs_mask": ("dice", "mask"),
              "average_drop": ("faithfulness", "average_drop"),
              "win_rate": ("faithfulness", "win_rate")}
"""Card quantity -> (protocol, field or Dice reference)."""
UNUSED_FIELDS = ("leaderboard_methods",)
"""Run config fields no card depends on: a run stays packageable when the library's leaderboard
gains methods after it."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished `cnn-explain reproduce` folder")
    parser.add_argument("--gans", type=Path, default=None,
                        help="a folder of train-gan runs SEMANTICS/VARIANT to ship instead of "
                             "the reproduction's own (RUN/gan)")
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR, help="where to write")
    parser.add_argument("--command", default=None, help="the recipe command for the cards")
    parser.add_argument("--commit", default=None,
                        help="the commit the run was trained at (default: the current one)")
    args = parser.parse_args()
    results = artifacts.read_json(args.run / "run.json")
    config = dataclasses.replace(PRESETS[results["preset"]], seed=results["config"]["seed"])
    if _comparable(dataclasses.asdict(config)) != _comparable(results["config"]):
        raise SystemExit(f"{args.run}: its config is not preset {results['preset']!r}")
    run = Run(args.run, config, verbose=0)
    gans = args.gans or args.run / "gan"
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (semantics, variant) in SHIPPED.items():
        shutil.copyfile(gans / semantics / variant / "generator.keras", args.out / f"{name}.keras")
    reported, selection = measure_unseen(run, args.out)
    defaults = {variant: max((n for n in SHIPPED if SHIPPED[n][1] == variant),
                             key=lambda n: selection[n]) for variant in ("lsft", "gsft")}
    command = args.command or (f"cnn-explain reproduce --preset {config.preset} --seed "
                               f"{config.seed} --out RUN && python training/package_pretrained.py"
                               " RUN")
    for name in SHIPPED:
        card = model_card(run, results, name, reported, selection, gans)
        card["sha256"] = hashlib.sha256((args.out / card["file"]).read_bytes()).hexdigest()
        card["recipe"].update(command=command, commit=args.commit or _commit())
        card["default"] = defaults[card["variant"]] == name
        artifacts.write_json(card, args.out / f"{name}.json", sort_keys=False)
        print(f"{name}: default={card['default']} selection Dice vs Grad-CAM "
              f"{selection[name]:.3f}; unseen: " + ", ".join(
                  f"{q} {v['95 % interval']}" for q, v in card["unseen_pairs"]["all"].items()))


def _comparable(config: dict) -> dict:
    """A run config as JSON values, without `UNUSED_FIELDS`."""
    return {key: value for key, value in json.loads(json.dumps(config)).items()
            if key not in UNUSED_FIELDS}


def measure_unseen(run: Run, folder: Path) -> tuple[dict, dict]:
    """(method -> quantity -> per-pair per-image values on the reported images, shipped name ->
    mean Dice with Grad-CAM on the selection images)."""
    factories = {"gradcam": explain.get("gradcam")}
    for name, (_, variant) in SHIPPED.items():
        generator, _ = explain.sft_gan.read_generator(folder / f"{name}.keras", variant)
        factories[name] = lambda model, g=generator, v=variant: explain.SFTGANExplainer(
            model, g, v)
    reported, selection = {}, {name: [] for name in SHIPPED}
    for kind, path in run.classifier_paths():
        if kind != "unseen":
            continue
        for part, eval_set in enumerate(unseen_sets(run, path)):
            maps = explain_all(eval_set, factories)[0]
            if part == 1:  # the selection images: only the default's choice looks at them
                for row in dice_rows(eval_set, maps):
                    selection.get(row.method, []).append(row.dice)
                continue
            reported[eval_set.dataset, eval_set.arch] = {
                "dice": dice_rows(eval_set, maps) + dice_rows(eval_set, maps, "mask"),
                "faithfulness": faithfulness_rows(eval_set, maps)}
    return reported, {name: float(np.mean(values)) for name, values in selection.items()}


def unseen_sets(run: Run, path: Path) -> tuple[EvalSet, EvalSet]:
    """The reported images of an unseen pair (the reproduction's: its test set shuffled with the
    run's seed, the first `eval_count`) and the selection images (the next `eval_count`)."""
    model = artifacts.load_model(path, "classifier")
    meta = artifacts.read_json(path.with_suffix(".json"))
    images, labels, masks = data.load_arrays(meta["dataset"], "test",
                                             tuple(meta["input_shape"][:2]), with_masks=True,
                                             seed=run.config.shards.seed)
    order = np.random.default_rng(run.config.seed).permutation(len(images))
    count = run.config.eval_count
    return tuple(EvalSet(meta["dataset"], meta["arch"], model, images[part], labels[part],
                         masks[part, ..., 0])
                 for part in (order[:count], order[count:2 * count]))


def strata(reported: dict, method: str, quantity: str, dataset: str | None) -> list:
    """Per unseen pair (of `dataset`, or all), the per-image values of one card quantity."""
    table, key = QUANTITIES[quantity]
    found = []
    for (pair_dataset, _), rows in reported.items():
        if dataset not in (None, pair_dataset):
            continue
        for row in rows[table]:
            if row.method != method:
                continue
            if table == "dice" and row.reference == key:
                found.append(np.asarray(row.per_image["dice"], np.float64))
            elif table == "faithfulness":
                found.append(np.asarray(row.per_image[key], np.float64))
    return found


def unseen_numbers(reported: dict, method: str, dataset: str | None, resamples: int,
                   seed: int) -> dict:
    """Card quantity -> {"estimate", "low", "high", "95 % interval"} of one method."""
    options = {"resamples": resamples, "seed": seed}
    found = {quantity: metrics.mean_interval(strata(reported, method, quantity, dataset),
                                             **options) for quantity in QUANTITIES}
    found["average_drop_minus_gradcam"] = metrics.difference_interval(
        strata(reported, method, "average_drop", dataset),
        strata(reported, "gradcam", "average_drop", dataset), **options)
    return {quantity: {"estimate": i.estimate, "low": i.low, "high": i.high,
                       "95 % interval": i.text()} for quantity, i in found.items()}


def model_card(run: Run, results: dict, name: str, reported: dict, selection: dict,
               gans: Path) -> dict:
    """The model card of one shipped generator (also its side-car: "variant", "k")."""
    semantics, variant = SHIPPED[name]
    config = run.config
    trained = artifacts.read_json(gans / semantics / variant / "generator.json")
    datasets = sorted({dataset for dataset, _ in reported})
    resamples = config.resamples
    unseen = {"all": unseen_numbers(reported, name, None, resamples, config.seed)}
    unseen.update({d: unseen_numbers(reported, name, d, resamples, config.seed)
                   for d in datasets})
    gradcam = unseen_numbers(reported, "gradcam", None, resamples, config.seed)
    return {
        "name": name, "variant": variant, "k": trained["k"],
        "image_shape": trained["image_shape"],
        "strategy": 1 if semantics == "similar" else 2, "semantics": semantics,
        "file": f"{name}.keras", "sha256": None,
        "training": {"datasets": list(config.strategy_datasets(semantics)),
                     "classifiers": trained["pairs"], "archs": list(config.archs),
                     "gan": trained["config"], "steps": trained["steps"],
                     "train_seconds": trained["seconds"]},
        "recipe": {"command": None, "preset": config.preset, "seed": config.seed,
                   "config_hash": results["config_hash"], "commit": None,
                   "versions": artifacts.library_versions(), "created": results["created"]},
        "unseen_pairs": {"pairs": [f"{d}__{a}" for d, a in reported],
                         "images_per_pair": config.eval_count, "resamples": resamples, **unseen,
                         "gradcam": gradcam},
        "selection_dice_vs_gradcam": selection[name],
    }


def _commit() -> str:
    """The repository's commit, with "+uncommitted" when its tree differs from it."""
    def git(*argv):
        return subprocess.run(["git", *argv], capture_output=True, text=True,
                              cwd=PACKAGE_DIR.parent).stdout.strip()
    return git("rev-parse", "HEAD") + ("+uncommitted" if git("status", "--porcelain") else "")


if __name__ == "__main__":
    main()
