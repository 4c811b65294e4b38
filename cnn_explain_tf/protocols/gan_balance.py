"""GAN balance study: SFT-GAN recipe variants x seeds, their end losses, Table 3 vs a baseline.

| what the study measures (arXiv 2301.08067 states no GAN recipe)    | function          |
| ------------------------------------------------------------------ | ----------------- |
| each variant x seed: LSFT trained on one strategy's CGMA shards    | `train_and_score` |
| D loss, G's adversarial and reconstruction losses, last epoch      | `LOSSES`          |
| Table 3: average drop (Eq. 7) and win % vs Grad-CAM, true class    | `PairScorer`      |
| mean +- std over seeds; paired interval of variant - baseline      | `summarize`       |
| verdict: improves / worse / within noise (interval and every seed) | `summarize`       |
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts, cgma_shards, data, explain, metrics
from cnn_explain_tf.explain.sft_gan import TrainedGenerator
from cnn_explain_tf.metrics import intervals
from cnn_explain_tf.protocols.common import EvalSet
from cnn_explain_tf.training import sft_gan
from cnn_explain_tf.training.options import RunOptions
from cnn_explain_tf.validation import InputError, check_choice, check_config

__all__ = ["BASELINE", "DEFAULT", "LOSSES", "VARIANTS", "BalanceConfig", "BalanceRow", "PairScorer",
           "add_arguments", "eval_sets", "main", "markdown_table", "run_study", "summarize",
           "train_and_score"]

BASELINE = "baseline"
VARIANTS: dict[str, dict] = {
    BASELINE: {},
    "real_label_0.9": {"real_label": 0.9},
    "d_lr_x0.25": {"discriminator_lr_scale": 0.25},
    "d_filters_16": {"discriminator_filters": 16},
    "lambda_adv_0.1": {"lambda_adv": 0.1},
    "lambda_adv_10": {"lambda_adv": 10.0},
}
"""Changes to the base recipe (`sft_gan.GANConfig` fields) by name: one-sided label smoothing,
a slower or smaller discriminator, a weaker or stronger adversarial term; "baseline" is the
recipe itself."""
LOSSES = ("d_loss", "adv_loss", "rec_loss")
"""The training losses recorded per run: each the mean over the last epoch's steps."""
_SCORES = {"average_drop": "lower", "win_rate": "higher"}  # Table 3 columns; which is better


@dataclasses.dataclass(frozen=True)
class BalanceConfig:
    """What the study trains and measures.

    Attributes:
        gan: the base recipe (the baseline); every variant changes some of its fields.
        variants: names of `VARIANTS`, "baseline" among them.
        seeds: GAN seeds (weights, shuffling); classifiers and CGMA shards stay fixed, so runs of
            one seed are paired across variants.
        semantics: the strategy's pairs to train on and evaluate ("similar": strategy 1).
        generator: "lsft" or "gsft".
        eval_count: held-out test images per pair for Table 3 (the same for every run).
        resamples: bootstrap resamples of the difference intervals.
    """

    gan: sft_gan.GANConfig
    variants: tuple[str, ...] = tuple(VARIANTS)
    seeds: tuple[int, ...] = (0, 1, 2)
    semantics: str = "similar"
    generator: str = "lsft"
    eval_count: int = 48
    resamples: int = 2000

    def __post_init__(self):
        check_config(self, positive=("eval_count", "resamples"),
                     choices={"semantics": cgma_shards.SEMANTICS, "generator": sft_gan.VARIANTS})
        for name in self.variants:
            check_choice("variants", name, VARIANTS)
        if BASELINE not in self.variants or not self.seeds:
            raise InputError(f"variants, seeds: expected {BASELINE!r} among the variants and at "
                             f"least one seed, got {list(self.variants)} and {list(self.seeds)}")
        if len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise InputError(f"seeds: expected distinct ints >= 0, got {list(self.seeds)}")

    def recipe(self, variant: str) -> sft_gan.GANConfig:
        """The GAN recipe of one variant."""
        return dataclasses.replace(self.gan, **VARIANTS[variant])


DEFAULT = BalanceConfig(gan=sft_gan.PRESETS["quick"],
                        variants=(BASELINE, "real_label_0.9", "d_lr_x0.25"))
"""The quick-sized study: `sft_gan.PRESETS["quick"]` (the GAN recipe of `reproduce --preset
quick`: 4 epochs of 256 examples per pair, 288 steps on strategy 1's 9 pairs, Adam 1e-3) as
the baseline, the two changes aimed at D's dominance, 3 seeds; the other `VARIANTS` are there
to pass by name."""


@dataclasses.dataclass(frozen=True)
class BalanceRow:
    """One variant over the seeds: end losses, Table 3 and the paired difference from baseline.

    Attributes:
        variant: a `VARIANTS` name.
        losses: `LOSSES` name -> (mean, std) over seeds of the last epoch's mean.
        scores: "average_drop" / "win_rate" (LSFT vs Grad-CAM, %) -> (mean, std) over seeds of
            the mean over pairs.
        per_seed: score -> each seed's value.
        differences: score -> paired bootstrap interval of variant minus baseline (images
            resampled within each seed x pair stratum, the same images for both).
        seed_differences: score -> each seed's variant minus baseline.
        verdicts: score -> "improves", "worse" or "within noise" (see `summarize`).
        gradcam_drop: Grad-CAM's average drop (%) on the same images, for reference.
    """

    variant: str
    losses: dict[str, tuple[float, float]]
    scores: dict[str, tuple[float, float]]
    per_seed: dict[str, list[float]]
    differences: dict[str, intervals.Interval]
    seed_differences: dict[str, list[float]]
    verdicts: dict[str, str]
    gradcam_drop: float


def eval_sets(classifiers_dir: str | Path, shards_dir: str | Path, semantics: str,
              count: int, seed: int = 0) -> list[EvalSet]:
    """Every pair of one semantics in the shards: its classifier and `count` test images of the
    classes held out of GAN training (shuffled with `seed`), with labels and masks."""
    sets = []
    for manifest in cgma_shards.read_manifests(shards_dir):
        if data.info(manifest["dataset"]).semantics != semantics:
            continue
        model = artifacts.load_model(Path(classifiers_dir) / f"{manifest['pair']}.keras",
                                     "classifiers")
        images, labels, masks = data.load_arrays(
            manifest["dataset"], "test", tuple(manifest["classifier_input_shape"][:2]),
            with_masks=True, seed=manifest["spec"]["seed"],
            classes=manifest["classes"]["heldout"])
        order = np.random.default_rng(seed).permutation(len(images))[:count]
        sets.append(EvalSet(manifest["dataset"], manifest["arch"], model, images[order],
                            labels[order], masks[order, ..., 0]))
    if not sets:
        raise InputError(f"shards: expected pairs of {semantics}-semantics datasets under "
                         f"{shards_dir}, found none")
    return sets


class PairScorer:
    """Table 3 of one pair for generator after generator: LSFT's average drop and win against
    Grad-CAM, with the confidences of the ground-truth class (the paper's definitions, as
    `protocols.sft_gan.faithfulness_rows` with target="label", the maps explaining the
    predicted class).

    The metrics, Grad-CAM's maps and the SFT explainer are built once: the explainer is the
    first scored generator's, and each later `score` loads its generator's weights into it (the
    study's variants share the generator's architecture), so no compiled step is traced again.

    Args:
        eval_set: the classifier, its images, labels and masks.
    """

    def __init__(self, eval_set: EvalSet):
        self.eval_set, model, images = eval_set, eval_set.model, eval_set.images
        self.drop, self.win = metrics.AverageDrop(model), metrics.WinRate(model)
        self.gradcam = explain.get("gradcam")(model)(images)
        self.gradcam_drop = self.drop.detailed_evaluate(images, self.gradcam, eval_set.labels)
        self.explainer = None

    def score(self, generator: TrainedGenerator) -> dict[str, list[float]]:
        """Per-image "average_drop" and "win_rate" of `generator`'s maps, and "gradcam_drop"."""
        if self.explainer is None:
            self.explainer = generator(self.eval_set.model)
        else:
            self.explainer.generator.set_weights(generator.generator.get_weights())
        images, labels = self.eval_set.images, self.eval_set.labels
        heat = self.explainer(images)
        return {"average_drop": self.drop.detailed_evaluate(images, heat, labels).tolist(),
                "win_rate": self.win.detailed_evaluate(images, heat, self.gradcam,
                                                       labels).tolist(),
                "gradcam_drop": self.gradcam_drop.tolist()}


def train_and_score(shards_dir: str | Path, run_dir: str | Path, config: BalanceConfig,
                    variant: str, seed: int, scorers: Sequence[PairScorer],
                    verbose: int = 0) -> dict:
    """Trains one variant with one seed (a finished run is reused) and scores Table 3.

    Returns (and writes as `run_dir/table3.json`, reused when the run is unchanged) the last
    epoch's `LOSSES` and, per pair, the `PairScorer.score` values.
    """
    meta = sft_gan.train_sft_gan(shards_dir, run_dir, config.generator, config.recipe(variant),
                                 semantics=config.semantics,
                                 options=RunOptions(resume=True, seed=seed, verbose=verbose))
    digest = artifacts.config_hash({"gan": meta["config_hash"], "eval_count": config.eval_count,
                                    "pairs": [s.eval_set.name for s in scorers]})
    saved = artifacts.reusable(Path(run_dir) / "table3.json", digest)
    if saved:
        return saved
    generator = explain.SFTGANExplainer.load(run_dir, config.generator)
    record = {"config_hash": digest, "variant": variant, "seed": seed,
              "losses": {name: meta["losses"][name][-1] for name in LOSSES},
              "pairs": {s.eval_set.name: s.score(generator) for s in scorers}}
    artifacts.write_json(record, Path(run_dir) / "table3.json")
    return record


def summarize(records: Mapping[tuple[str, int], dict], config: BalanceConfig
              ) -> list[BalanceRow]:
    """One row per variant from the `train_and_score` records keyed by (variant, seed).

    A variant "improves" a score when the 95 % paired interval of its difference from the
    baseline lies wholly on the better side of 0 and every seed's difference does too; "worse"
    when both lie wholly on the other side; else "within noise".
    """
    seeds, rows = config.seeds, []
    for variant in config.variants:
        runs = [records[variant, seed] for seed in seeds]
        bases = [records[BASELINE, seed] for seed in seeds]
        per_seed = {s: [_pair_mean(run, s) for run in runs] for s in _SCORES}
        seed_diff = {s: [a - b for a, b in zip(per_seed[s], (_pair_mean(r, s) for r in bases))]
                     for s in _SCORES}
        differences = {s: intervals.difference_interval(
            _strata(runs, s), _strata(bases, s), resamples=config.resamples, seed=0)
            for s in _SCORES}
        rows.append(BalanceRow(
            variant, {n: _mean_std([run["losses"][n] for run in runs]) for n in LOSSES},
            {s: _mean_std(per_seed[s]) for s in _SCORES}, per_seed, differences, seed_diff,
            {s: _verdict(differences[s], seed_diff[s], better) for s, better in _SCORES.items()},
            float(np.mean([_pair_mean(run, "gradcam_drop") for run in runs]))))
    return rows


def run_study(classifiers_dir: str | Path, shards_dir: str | Path, out_dir: str | Path,
              config: BalanceConfig = DEFAULT, verbose: int = 1) -> list[BalanceRow]:
    """Trains every variant x seed under `out_dir/<variant>/seed_<s>` (finished runs are
    reused, so the study can run in pieces), then writes `gan_balance.json` and
    `gan_balance.md` (the table of `markdown_table`) in `out_dir`.

    Args:
        classifiers_dir: the classifiers the shards were built from (`<pair>.keras`).
        shards_dir: the `build-cgma` output (the pairs of `config.semantics` are used).
        out_dir: the study's folder.
        config: variants, seeds and the base recipe.
        verbose: 0 silences, 1 prints each run, 2 also Keras's per-epoch lines.
    """
    out_dir = Path(out_dir)
    sets = eval_sets(classifiers_dir, shards_dir, config.semantics, config.eval_count)
    scorers, records = [PairScorer(eval_set) for eval_set in sets], {}
    for seed in config.seeds:  # seed by seed: a study cut short has every variant of a seed
        for variant in config.variants:
            if verbose:
                print(f"gan_balance: {variant} seed {seed}", flush=True)
            records[variant, seed] = train_and_score(
                shards_dir, out_dir / variant / f"seed_{seed}", config, variant, seed, scorers,
                max(0, verbose - 1) * 2)
    rows = summarize(records, config)
    artifacts.write_json({"config": dataclasses.asdict(config),
                          "rows": [dataclasses.asdict(row) for row in rows]},
                         out_dir / "gan_balance.json", sort_keys=False)
    (out_dir / "gan_balance.md").write_text(markdown_table(rows, config))
    return rows


def markdown_table(rows: Sequence[BalanceRow], config: BalanceConfig) -> str:
    """The study's table: per variant the end losses, LSFT's average drop and win % vs Grad-CAM
    (mean +- std over seeds), each difference from the baseline with its interval, verdicts."""
    lines = [f"{len(config.seeds)} seeds ({', '.join(map(str, config.seeds))}); Grad-CAM's "
             f"average drop {rows[0].gradcam_drop:.2f} %.", "",
             "| variant | D loss | G adv loss | avg drop % | diff [95 % CI] | verdict | win % "
             "| diff [95 % CI] | verdict |", "|" + " --- |" * 9]
    for row in rows:
        cells = [row.variant, _pm(row.losses["d_loss"], 3), _pm(row.losses["adv_loss"], 2)]
        for score in _SCORES:
            same = row.variant == BASELINE
            cells += [_pm(row.scores[score], 2), "-" if same else row.differences[score].text(),
                      "-" if same else row.verdicts[score]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the study's options to `parser` (used by evaluation/gan_balance.py)."""
    parser.add_argument("--classifiers", required=True, type=Path,
                        help="the classifiers the shards were built from (train-classifiers)")
    parser.add_argument("--shards", required=True, type=Path, help="output of build-cgma")
    parser.add_argument("--out", required=True, type=Path, help="the study's folder")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), metavar="NAME",
                        default=list(DEFAULT.variants),
                        help=f"recipe changes to compare with the baseline, of {list(VARIANTS)}")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(DEFAULT.seeds))
    parser.add_argument("--epochs", type=int, default=DEFAULT.gan.epochs)
    parser.add_argument("--max-examples", type=int, default=DEFAULT.gan.max_examples,
                        help="training examples per pair")
    parser.add_argument("--eval-count", type=int, default=DEFAULT.eval_count,
                        help="held-out test images per pair for Table 3")
    parser.add_argument("--resamples", type=int, default=DEFAULT.resamples)
    parser.add_argument("--quiet", action="store_true", help="print only the table")
    return parser


def main(args: argparse.Namespace) -> int:
    """Runs `run_study` from parsed `add_arguments` options and prints the table; returns the
    exit status (2 for bad input)."""
    try:
        config = dataclasses.replace(
            DEFAULT, gan=dataclasses.replace(DEFAULT.gan, epochs=args.epochs,
                                             max_examples=args.max_examples),
            variants=tuple(dict.fromkeys([BASELINE, *args.variants])), seeds=tuple(args.seeds),
            eval_count=args.eval_count, resamples=args.resamples)
        rows = run_study(args.classifiers, args.shards, args.out, config,
                         verbose=0 if args.quiet else 1)
    except (ValueError, TypeError) as error:
        print(f"gan_balance: error: {error}", file=sys.stderr)
        return 2
    print(markdown_table(rows, config), end="")
    return 0


def _pair_mean(record: dict, score: str) -> float:
    """The mean over pairs of each pair's mean (NaN images not counted)."""
    return float(np.mean([np.nanmean(pair[score]) for pair in record["pairs"].values()]))


def _strata(records: Sequence[dict], score: str) -> list[np.ndarray]:
    return [np.asarray(pair[score], np.float64) for record in records
            for pair in record["pairs"].values()]


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    return float(np.mean(values)), (float(np.std(values, ddof=1)) if len(values) > 1 else 0.0)


def _verdict(interval: intervals.Interval, seed_differences: Sequence[float], better: str) -> str:
    sign = 1.0 if better == "higher" else -1.0
    outcome = intervals.verdict(interval, better)
    if outcome == "met" and all(sign * d > 0 for d in seed_differences):
        return "improves"
    if outcome == "not met" and all(sign * d < 0 for d in seed_differences):
        return "worse"
    return "within noise"


def _pm(mean_std: tuple[float, float], decimals: int) -> str:
    return f"{mean_std[0]:.{decimals}f} +- {mean_std[1]:.{decimals}f}"
