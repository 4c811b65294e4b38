"""The stages of `cnn-explain reproduce`: classifiers, CGMA shards, GANs, evaluation, report."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from cnn_explain_tf import artifacts, data, explain, protocols, report, viz
from cnn_explain_tf.cgma_shards import build_cgma
from cnn_explain_tf.training.classifiers import train_classifiers
from cnn_explain_tf.training.sft_gan import train_sft_gan

__all__ = ["CORE_METHODS", "LEADERBOARD_METHODS", "Runner"]

CORE_METHODS = ("gradcam", "gsft", "lsft")
"""The paper's comparison: Grad-CAM and the two SFT-GAN variants."""
VARIANTS = ("gsft", "lsft")
LEADERBOARD_METHODS = ("saliency", "smoothgrad", "guided_backprop", "deconvnet", "gradcam",
                       "gradcam++", "scorecam", "guided_gradcam", "lrp_epsilon", *VARIANTS)
"""Every explainer of the library, in the order of the report's leaderboard."""
LABELS = protocols.DISPLAY_NAMES
PAPER = {"drop": {"lsft": 9.95, "gradcam": 11.49}, "win": 53.9}
QUICK_MINUTES = 30
GRID_IMAGES = 4


class Runner:
    """Runs the stages of one reproduction into `out_dir` (see `reproduce.reproduce`).

    Each stage method returns the artifact paths that prove it finished.
    """

    def __init__(self, out_dir: Path, config, verbose: int):
        self.out_dir, self.config, self.verbose = Path(out_dir), config, verbose

    # ---- stages -------------------------------------------------------------------------
    def classifiers(self) -> list[Path]:
        """Trains the seen and the unseen classifiers (pairs already trained are kept)."""
        config = self.config
        preset = "paper" if config.classifier.transfer else "quick"
        runs = [train_classifiers(self.out_dir / "classifiers" / kind, datasets, archs, preset,
                                  config=config.classifier, resume=True, seed=config.seed,
                                  verbose=self.verbose)
                for kind, datasets, archs in (
                    ("seen", config.datasets, config.archs),
                    ("unseen", config.unseen_datasets, config.unseen_archs))]
        return [path for results in runs for r in results
                for path in (r.path, r.path.with_suffix(".json"))]

    def cgma(self) -> list[Path]:
        """Builds the CGMA shards of every seen classifier."""
        build_cgma(self.out_dir / "classifiers" / "seen", self.out_dir / "cgma", self.config.shards,
                   strategy=None, datasets=self.config.datasets, verbose=self.verbose)
        return sorted(p for p in (self.out_dir / "cgma").glob("*/*")
                      if not p.name.startswith("."))  # not a killed write's temporary file

    def gan(self) -> list[Path]:
        """Trains LSFT and GSFT on the seen pairs' shards (resuming from checkpoints)."""
        outputs = []
        for variant in VARIANTS:
            run_dir = self.out_dir / "gan" / variant
            generator = run_dir / "generator.keras"
            if not (generator.exists() and generator.with_suffix(".json").exists()):
                preset = "paper" if self.config.gan.generator_size == "paper" else "quick"
                train_sft_gan(self.out_dir / "cgma", run_dir, variant, 1, preset,
                              config=self.config.gan, resume=(run_dir / "checkpoints").exists(),
                              seed=self.config.seed, verbose=self.verbose)
            outputs += [generator, generator.with_suffix(".json")]
        return outputs

    def evaluate(self) -> list[Path]:
        """Evaluates every classifier; each pair's numbers are cached in evaluate/pairs/."""
        directory = self.out_dir / "evaluate"
        digest = artifacts.config_hash(self.config.stage_configs()["evaluate"])
        gans = {v: explain.SFTGANExplainer.load(self.out_dir / "gan" / v, v) for v in VARIANTS}
        outputs = []
        pairs = self._classifier_paths()
        # The sanity check builds (and traces) an explainer per randomised model on purpose:
        # TensorFlow's retracing warnings are silenced while it runs.
        logger = tf.get_logger()
        level = logger.level
        logger.setLevel("ERROR")
        try:
            for kind, path in tqdm(pairs, desc="evaluate", unit="pair",
                                   disable=not self.verbose):
                record_path = directory / "pairs" / f"{path.stem}.json"
                record = artifacts.read_json(record_path)
                if not (record and record.get("config_hash") == digest
                        and all((self.out_dir / f["path"]).exists() for f in record["figures"])):
                    record = _plain(_PairEvaluation(self, path, kind, gans).run())
                    artifacts.write_json({**record, "config_hash": digest}, record_path,
                                         sort_keys=False)
                outputs += [record_path, *(self.out_dir / f["path"] for f in record["figures"])]
        finally:
            logger.setLevel(level)
        return outputs

    def report(self, header: dict) -> dict:
        """Assembles results.json and report.html from the cached stage outputs."""
        records = [artifacts.read_json(self.out_dir / "evaluate" / "pairs" / f"{p.stem}.json")
                   for _, p in self._classifier_paths()]
        results = {**header, **_Sections(self.out_dir, self.config, records, header).build()}
        report.write_report(results, self.out_dir)  # first: it validates every figure and table
        artifacts.write_json(_plain(results, nan=None), self.out_dir / "results.json",
                             sort_keys=False)
        return results

    def _classifier_paths(self) -> list[tuple[str, Path]]:
        root = self.out_dir / "classifiers"
        return [(kind, root / kind / f"{dataset}__{arch}.keras")
                for kind, datasets, archs in (
                    ("seen", self.config.datasets, self.config.archs),
                    ("unseen", self.config.unseen_datasets, self.config.unseen_archs))
                for dataset in datasets for arch in archs]


class _PairEvaluation:
    """Every protocol on one classifier; figures are written to evaluate/figures/."""

    def __init__(self, runner: Runner, path: Path, kind: str, gans: Mapping):
        self.runner, self.config, self.kind, self.gans = runner, runner.config, kind, gans
        self.model = keras.models.load_model(path, compile=False)
        self.meta = artifacts.read_json(path.with_suffix(".json"))
        self.pair = path.stem
        self.factories = {name: gans[name] if name in gans else _registry_factory(name)
                          for name in LEADERBOARD_METHODS}
        self.core = {name: self.factories[name] for name in CORE_METHODS}
        self.figures: list[dict] = []

    def run(self) -> dict:
        eval_set = self._eval_set()
        maps, _ = protocols.explain_all(eval_set, self.core)
        record = {"pair": self.pair, "dataset": eval_set.dataset, "arch": eval_set.arch,
                  "kind": self.kind, "test_accuracy": self.meta["test_accuracy"],
                  "images": len(eval_set.images),
                  "table1": protocols.localization_rows(eval_set, maps),
                  "table2": protocols.dice_rows(eval_set, maps),
                  "table3": protocols.faithfulness_rows(eval_set, maps)}
        self._grid("fig5", eval_set.images[:GRID_IMAGES],
                   {LABELS[m]: maps[m][:GRID_IMAGES] for m in CORE_METHODS},
                   f"{self.pair} ({self.kind}): Grad-CAM, GSFT and LSFT")
        if self.kind == "seen":
            record.update(self._seen_protocols(eval_set))
        return {**record, "figures": self.figures}

    def _seen_protocols(self, eval_set: protocols.EvalSet) -> dict:
        config = self.config
        noise, shown = protocols.noise_robustness(_head(eval_set, config.noise_count), self.core,
                                                  config.noise_amounts, config.seed)
        self._noise_grid(shown)
        board = _head(eval_set, config.leaderboard_count)
        board_maps, seconds = protocols.explain_all(board, self.factories)
        shown_maps = {name: board_maps[name][:3] for name in self.factories}
        self._grid("methods", board.images[:3], shown_maps, f"{self.pair}: every explainer")
        sanity, curves = protocols.sanity_rows(eval_set, self.factories, config.sanity_count,
                                               config.seed, config.sanity_checkpoints)
        return {"noise": noise,
                "relevance": {v: protocols.cgma_relevance(eval_set, gan).tolist()
                              for v, gan in self.gans.items()},
                "leaderboard": protocols.leaderboard_rows(board, board_maps, seconds),
                "sanity": sanity,
                "sanity_curves": {name: {"layers": result.layers,
                                         "similarity": result.similarity.tolist()}
                                  for name, result in curves.items()}}

    def _eval_set(self) -> protocols.EvalSet:
        """Test images (held-out classes for seen pairs, all for unseen ones), shuffled, capped."""
        spec, dataset = self.config.shards, self.meta["dataset"]
        classes = None
        if self.kind == "seen":
            classes = data.class_split(data.info(dataset).num_classes, spec.held_out_fraction,
                                       spec.seed)[1]
        images, labels, masks = data.load_arrays(dataset, "test",
                                                 tuple(self.meta["input_shape"][:2]),
                                                 with_masks=True, seed=spec.seed, classes=classes)
        order = np.random.default_rng(self.config.seed).permutation(len(images))
        order = order[:self.config.eval_count]
        return protocols.EvalSet(dataset, self.meta["arch"], self.model, images[order],
                                 labels[order], masks[order, ..., 0])

    def _grid(self, name: str, images, maps: Mapping[str, np.ndarray], title: str) -> None:
        path = Path("evaluate") / "figures" / f"{name}_{self.pair}.png"
        viz.comparison_grid(list(images), maps, self.runner.out_dir / path, title=title)
        self.figures.append({"kind": name, "path": str(path), "caption": title})

    def _noise_grid(self, shown: dict) -> None:
        """Fig. 12-13: one column per noise amount; the noisy image, then each method's map."""
        columns = {f"{amount:g}": [shown["images"][amount][0]] + [
            viz.overlay(shown["images"][amount][0], shown["maps"][m][amount][0])
            for m in CORE_METHODS] for amount in shown["amounts"]}
        path = Path("evaluate") / "figures" / f"noise_{self.pair}.png"
        title = f"{self.pair}: salt-and-pepper noise (amount per column)"
        viz.image_grid(columns, self.runner.out_dir / path,
                       row_labels=["noisy image", *(LABELS[m] for m in CORE_METHODS)],
                       title=title)
        self.figures.append({"kind": "noise", "path": str(path), "caption": title})


class _Sections:
    """Builds the report's goals and sections from the per-pair records."""

    def __init__(self, out_dir: Path, config, records: Sequence[dict], header: dict):
        self.out_dir, self.config, self.header = out_dir, config, header
        self.seen = [r for r in records if r["kind"] == "seen"]
        self.unseen = [r for r in records if r["kind"] == "unseen"]
        self.records = list(records)

    def build(self) -> dict:
        table3 = protocols.average_rows(_rows(self.seen, "table3"), ("method",))
        return {"goals": self._goals(table3),
                "sections": [self._classifiers(), self._table1(), self._table2(),
                             self._table3(table3), self._noise(), self._relevance(),
                             self._unseen(), self._leaderboard(), self._sanity()]}

    def _goals(self, table3: list[dict]) -> list[dict]:
        by_method = {row["method"]: row for row in table3}
        drop = {m: by_method[m]["average drop %"] for m in ("lsft", "gradcam")}
        win = by_method["lsft"]["win % vs Grad-CAM"]
        goals = [{"goal": "LSFT average drop lower than Grad-CAM's (Table 3)",
                  "ours": f"{_percent(drop['lsft'])} vs {_percent(drop['gradcam'])}",
                  "paper": f"{PAPER['drop']['lsft']} % vs {PAPER['drop']['gradcam']} %",
                  "met": bool(drop["lsft"] < drop["gradcam"])},
                 {"goal": "LSFT wins against Grad-CAM on more than half the images (Table 3)",
                  "ours": _percent(win, 1), "paper": f"{PAPER['win']} %", "met": bool(win > 50)}]
        if self.header["preset"] == "quick" and self.header["fresh_run_seconds"] is not None:
            minutes = self.header["fresh_run_seconds"] / 60
            goals.append({"goal": f"preset quick finishes in <= {QUICK_MINUTES} minutes "
                                  "from an empty directory",
                          "ours": f"{minutes:.1f} min (the stages of the run that started "
                                  "from an empty folder)",
                          "paper": "-", "met": bool(minutes <= QUICK_MINUTES)})
        return goals

    def _figures(self, kind: str, records: Sequence[dict]) -> list[dict]:
        return [{"path": f["path"], "caption": f["caption"]}
                for r in records for f in r["figures"] if f["kind"] == kind]

    def _classifiers(self) -> dict:
        rows = [{"pair": r["pair"], "kind": r["kind"], "dataset": r["dataset"],
                 "arch": r["arch"], "test accuracy": r["test_accuracy"]} for r in self.records]
        gans = []
        for variant in VARIANTS:
            meta = artifacts.read_json(self.out_dir / "gan" / variant / "generator.json")
            gans.append({"variant": LABELS[variant], "pairs": len(meta["pairs"]),
                         "epochs": meta["epochs"], "steps": meta["steps"],
                         "final reconstruction MSE": (meta["losses"].get("rec_loss")
                                                      or [float("nan")])[-1],
                         "seconds": meta["seconds"]})
        return _section("classifiers", "Classifiers and SFT-GANs",
                        "Every classifier the GANs explain, with its test accuracy; the GANs "
                        "were trained only on the CGMA shards of the seen pairs' seen classes. "
                        "Unseen pairs (architectures and datasets never shown to the GANs) are "
                        "evaluated in their own section.",
                        [_table("classifiers", "Classifiers", rows),
                         _table("gans", "SFT-GAN training", gans)])

    def _table1(self) -> dict:
        rows = _rows(self.seen, "table1")
        return _section("table1", "Table 1: localization against the ground-truth foreground",
                        "Rates of the binarised maps (threshold 127/255) against each image's "
                        "foreground mask, on the test images of the classes held out of GAN "
                        "training. TP % is the share of foreground pixels the map marks, FP % the "
                        "share of background pixels it marks (TN, FN their complements).",
                        [_table("table1", "Per pair", rows),
                         _table("table1_average", "Average over pairs",
                                protocols.average_rows(rows, ("method",)))])

    def _table2(self) -> dict:
        rows = _rows(self.seen, "table2")
        return _section("table2", "Table 2: Dice similarity with Grad-CAM",
                        "Sørensen-Dice of each binarised map with the binarised Grad-CAM map of "
                        "the same classifier (Grad-CAM with itself is 1): how well each GAN "
                        "reproduces the explanation it was trained to generate, on unseen classes.",
                        [_table("table2", "Per pair", rows),
                         _table("table2_average", "Average over pairs",
                                protocols.average_rows(rows, ()))],
                        self._figures("fig5", self.seen))

    def _table3(self, average: list[dict]) -> dict:
        rows = _rows(self.seen, "table3")
        by_method = {row["method"]: row for row in average}
        lsft, gradcam = by_method["lsft"], by_method["gradcam"]
        verdict = ("lower than" if lsft["average drop %"] < gradcam["average drop %"]
                   else "not lower than")
        return _section("table3", "Table 3: faithfulness (average drop, increase, win %)",
                        "Energy map = image x map. Average drop: mean relative loss of the target "
                        "probability on the energy map, excluding images whose energy map is more "
                        "confident (lower is better). Increase in confidence: share of images "
                        "whose energy map is more confident. Win %: share of images whose energy "
                        "map keeps more confidence than Grad-CAM's (ties count half). "
                        f"Our LSFT average drop ({_percent(lsft['average drop %'])}) is {verdict} "
                        f"Grad-CAM's ({_percent(gradcam['average drop %'])}), with a win rate of "
                        f"{_percent(lsft['win % vs Grad-CAM'], 1)}; the paper reports "
                        f"{PAPER['drop']['lsft']} % vs {PAPER['drop']['gradcam']} % and "
                        f"{PAPER['win']} %.",
                        [_table("table3", "Per pair", rows),
                         _table("table3_average", "Average over pairs", average)])

    def _noise(self) -> dict:
        average = protocols.average_rows(_rows(self.seen, "noise"), ("amount", "method"))
        amounts = sorted({row["amount"] for row in average})
        methods = list(dict.fromkeys(row["method"] for row in average))
        value = {(row["amount"], row["method"]): row["background error"] for row in average}
        rows = [{"amount": a, **{m: value[a, m] for m in methods}} for a in amounts]
        curve = Path("figures") / "noise_background_error.png"
        viz.line_chart(amounts, {m: [value[a, m] for a in amounts] for m in methods},
                       self.out_dir / curve, title="Background error under salt-and-pepper noise",
                       xlabel="noise amount", ylabel="background error")
        return _section("noise", "Fig. 12-13: robustness to salt-and-pepper noise",
                        "Each method explains noisy copies of the images (the class the classifier "
                        "predicted on the clean image); background error is the mean heat on the "
                        "ground-truth background (lower is better), averaged over the seen pairs. "
                        "A map that is zero everywhere also scores 0: Grad-CAM's map goes blank "
                        "when strong noise removes all positive evidence for the class (see the "
                        "map rows), which is why its background error falls as the noise grows.",
                        [_table("noise", "Background error per noise amount", rows)],
                        [{"path": str(curve), "caption": "Background error vs noise amount"},
                         *self._figures("noise", self.seen)])

    def _relevance(self) -> dict:
        rows, figures = [], []
        for variant in VARIANTS:
            k = len(self.seen[0]["relevance"][variant])
            rows += [{"pair": r["pair"], "variant": LABELS[variant],
                      **{f"CGMA {j + 1}": v for j, v in enumerate(r["relevance"][variant])}}
                     for r in self.seen]
            per_dataset = protocols.average_rows(
                [{"dataset": r["dataset"], **{str(j): v for j, v in
                                              enumerate(r["relevance"][variant])}}
                 for r in self.seen], ("dataset",))
            path = Path("figures") / f"relevance_{variant}.png"
            viz.bar_chart({row["dataset"]: [row[str(j)] for j in range(k)]
                           for row in per_dataset},
                          self.out_dir / path, [f"CGMA {j + 1}" for j in range(k)],
                          title=f"{LABELS[variant]}: relative relevance of each CGMA "
                                "(mean over architectures)",
                          ylabel="share of relevance")
            figures.append({"path": str(path), "caption": f"{LABELS[variant]} CGMA relevance per "
                                                          "dataset"})
        return _section("relevance", "Section 5: CGMA relevance",
                        "How much the generated map changes when one CGMA (cumulative average of "
                        "intermediate Grad-CAMs, from the first to the last selected layer) is "
                        "zeroed (Eq. 10), normalised to sum to 1 per pair.",
                        [_table("relevance", "Relevance per pair", rows)], figures)

    def _unseen(self) -> dict:
        rows = []
        for r in self.unseen:
            seen_arch = r["arch"] in self.config.archs
            row = {"dataset": r["dataset"], "arch": r["arch"],
                   "unseen": "dataset" if seen_arch else "dataset and architecture",
                   "test accuracy": r["test_accuracy"]}
            dice = r["table2"][0]
            for method_row in r["table3"]:
                method = method_row["method"]
                row[f"{method} Dice vs Grad-CAM"] = dice.get(f"Dice {method}", float("nan"))
            for loc in r["table1"]:
                row[f"{loc['method']} TP %"] = loc["TP %"]
            for method_row in r["table3"]:
                row[f"{method_row['method']} average drop %"] = method_row["average drop %"]
                row[f"{method_row['method']} win %"] = method_row["win % vs Grad-CAM"]
            rows.append(row)
        return _section("unseen", "Unseen pairs: architectures and datasets the GANs never saw",
                        "Classifiers of datasets (and, where marked, architecture families) "
                        "never used to train the GANs, explained by the same generators on all "
                        "test classes.",
                        [_table("unseen", "Unseen pairs", rows)],
                        self._figures("fig5", self.unseen))

    def _leaderboard(self) -> dict:
        rows = protocols.average_rows(_rows(self.seen, "leaderboard"), ("dataset", "method"))
        overall = protocols.average_rows(rows, ("method",))
        return _section("leaderboard", "Leaderboard: every explainer on the same metrics",
                        "Every explainer of the library on the same images of each seen pair, "
                        "averaged over the architectures of each dataset. Dice vs mask and "
                        "pointing game against the foreground (higher is better); background "
                        "error, average drop and deletion AUC lower is better; increase in "
                        "confidence, AOPC and insertion AUC higher is better.",
                        [_table("leaderboard", "Per dataset", rows),
                         _table("leaderboard_overall", "All datasets", overall)],
                        self._figures("methods", self.seen))

    def _sanity(self) -> dict:
        rows = [{**row, "sanity passed": float(row["sanity passed"])}
                for r in self.seen for row in r["sanity"]]
        rows = [{"dataset": row["dataset"], "method": row["method"],
                 "sanity SSIM": row["sanity SSIM"], "pairs passed": f"{passed}/{row['pairs']}",
                 "passed": passed == row["pairs"]}
                for row in protocols.average_rows(rows, ("dataset", "method"))
                for passed in [round(row["sanity passed"] * row["pairs"])]]
        curves, figures = [], []
        for r in self.seen:
            for method, curve in r["sanity_curves"].items():
                curves.append({"pair": r["pair"], "method": method,
                               "layers randomised up to": ", ".join(curve["layers"]),
                               **{f"SSIM {j + 1}": v for j, v in enumerate(curve["similarity"])}})
        for r in {record["dataset"]: record for record in reversed(self.seen)}.values():
            series = {m: c["similarity"] for m, c in r["sanity_curves"].items()}
            length = len(next(iter(series.values())))
            path = Path("figures") / f"sanity_{r['pair']}.png"
            viz.line_chart(list(range(1, length + 1)), series, self.out_dir / path,
                           title=f"{r['pair']}: cascading randomisation",
                           xlabel="checkpoint (evenly spaced layers from the output; the last: "
                                  "all randomised)", ylabel="SSIM to the trained model's maps")
            figures.append({"path": str(path), "caption": f"sanity check curves, {r['pair']}"})
        return _section("sanity", "Sanity check: cascading model randomisation",
                        "Weights are re-initialised layer by layer from the output (Adebayo et "
                        "al.); a method passes when its maps on the fully randomised model are "
                        "dissimilar (SSIM < 0.5) from the maps of the trained model.",
                        [_table("sanity", "Sanity check per dataset", rows),
                         _table("sanity_curves", "SSIM at each checkpoint of the cascade", curves)],
                        figures)


def _plain(value, nan=float("nan")):
    """`value` with numpy scalars and arrays as Python numbers and lists, NaN as `nan`."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item, nan) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(item, nan) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return nan if np.isnan(value) else float(value)
    return value


def _percent(value: float, decimals: int = 2) -> str:
    """"12.34 %", or "n/a" for NaN (e.g. an average drop where every image was excluded)."""
    return "n/a" if np.isnan(value) else f"{value:.{decimals}f} %"


def _registry_factory(name: str):
    def factory(model: keras.Model):
        return explain.get(name)(model)
    return factory


def _head(eval_set: protocols.EvalSet, count: int) -> protocols.EvalSet:
    return dataclasses.replace(eval_set, images=eval_set.images[:count],
                               labels=eval_set.labels[:count], masks=eval_set.masks[:count])


def _rows(records: Sequence[dict], key: str) -> list[dict]:
    return [row for record in records for row in record[key]]


def _table(table_id: str, caption: str, rows: list[dict]) -> dict:
    return {"id": table_id, "caption": caption, "rows": rows}


def _section(section_id: str, title: str, text: str, tables: list[dict],
             figures: list[dict] | None = None) -> dict:
    return {"id": section_id, "title": title, "text": text, "tables": tables,
            "figures": figures or []}
