"""The report's declared words and numbers: the paper's targets, the goals, each section's prose."""

from __future__ import annotations

import dataclasses

__all__ = ["CHARTS", "DISPLAY_NAMES", "FIG7_READING", "FIGURE_CAPTIONS", "GOALS", "PAPER",
           "QUICK_MINUTES", "RELEVANCE_READING", "SECTIONS", "SectionProse", "label",
           "strategy_label"]

PAPER = {"drop": {"lsft": 9.95, "gradcam": 11.49, "gsft": 11.73}, "win": 53.9}
"""The paper's Table 3 numbers the goals compare with: average drop % of LSFT, Grad-CAM and GSFT,
and LSFT's win % against Grad-CAM (Guna et al., arXiv 2301.08067)."""
QUICK_MINUTES = 30
"""The quick preset's goal: a run from an empty folder finishes within this many minutes."""

DISPLAY_NAMES = {"gradcam": "Grad-CAM", "gsft": "GSFT", "lsft": "LSFT",
                 "lsft_similar": "LSFT (strategy 1)", "mask": "mask"}
"""How the report spells the methods whose registry name is not readable."""

GOALS = {
    "drop": "LSFT average drop lower than Grad-CAM's (Table 3; ours: LSFT - Grad-CAM)",
    "win": "LSFT wins against Grad-CAM on more than half the images (Table 3; ties are not wins)",
    "gsft": "LSFT average drop lower than GSFT's (Table 3; ours: LSFT - GSFT)",
    "noise": "LSFT background error lower than GSFT's at every noise amount (Fig. 13)",
    "quick": f"preset quick finishes in <= {QUICK_MINUTES} minutes from an empty directory",
    "quick_ours": "{minutes:.1f} min (the stages of the run that started from an empty folder)",
}
"""The goal texts of the report's goals table."""


def label(method: str) -> str:
    """The report's name of a method: "Grad-CAM" for "gradcam", the registry name otherwise."""
    return DISPLAY_NAMES.get(method, method)


def strategy_label(semantics: str) -> str:
    """"strategy 1 (similar)" or "strategy 2 (dissimilar)"."""
    return f"strategy {1 if semantics == 'similar' else 2} ({semantics})"


RELEVANCE_READING = ("{label} on the unseen pairs, {arch}: the most relevant CGMAs are {top} of "
                     "{k}; the first and the last together hold {ends:.0%} of the relevance "
                     "({uniform:.0%} if all were equal). The paper reads its Fig. 15 as the first "
                     "and last CGMAs being the most relevant: {reading}.")
"""The measured reading of Sec. 5.3 per architecture; `reading` is "so here too" or "not
here"."""

FIG7_READING = ("On the held-out examples of {dataset}, after epoch 1 the LSFT trained on "
                "{many} has a reconstruction MSE of {many_first:.4f}, the one trained on {dataset} "
                "alone {one_first:.4f}; the single-dataset LSFT {reaches}. The paper reads its "
                "Fig. 7 as the three-dataset LSFT producing meaningful maps after one epoch and "
                "the single-dataset one after six.")
"""The measured reading of Fig. 7; `reaches` says after which epoch the single-dataset LSFT
first matches the other's first-epoch error, if it does."""


@dataclasses.dataclass(frozen=True)
class SectionProse:
    """The words of one report section.

    Attributes:
        title: the section's heading.
        text: the paragraph under it.
        captions: table id -> caption, in the order the tables appear.
    """

    title: str
    text: str
    captions: dict[str, str]



SECTIONS = {
    "headline": SectionProse(
        "Headline numbers with 95 % intervals",
        "Each number is the mean over the pairs of a scope (each strategy's seen pairs, each "
        "unseen dataset's pairs) of the per-pair means, with its 95 % percentile bootstrap "
        "interval: the images of every pair are resampled with replacement (stratified by pair), "
        "the same images for both methods of a difference (paired). The goals are judged on "
        "these intervals: met or not met when the interval lies wholly on one side of the "
        "target, within noise when it contains it. The trained models are held fixed: an "
        "interval says how sure a number is for these models, not over retraining. Another "
        "seed or another CPU (other floating-point kernels) trains other models, and in our "
        "runs that spread is larger than these intervals: run --seeds and read the seed "
        "section before calling a verdict a result.",
        {"headline": "Headline numbers"}),
    "classifiers": SectionProse(
        "Classifiers and SFT-GANs",
        "Every classifier the GANs explain, with its test accuracy. Strategy 1 trains GSFT and "
        "LSFT on the CGMA shards of the similar-semantics pairs, strategy 2 on the "
        "dissimilar-semantics pairs (each on its pairs' seen classes only). Unseen pairs "
        "(datasets neither strategy saw) are evaluated in their own section.",
        {"classifiers": "Classifiers", "gans": "SFT-GAN training"}),
    "table1": SectionProse(
        "Table 1: localization against the ground-truth foreground",
        "Rates of the binarised maps (threshold 127/255) against each image's foreground mask, "
        "on the test images of the classes held out of GAN training, per strategy (the paper "
        "reports strategy 1 only: its strategy-2 sets have no masks; the embedded sets all have "
        "them, and with the paper's datasets, strategy 1's only: a pair without masks has no "
        "row here and n/a in the mask columns of Table 2). TP % is the share "
        "of foreground pixels the map marks, FP % the share of background pixels it marks (TN, "
        "FN their complements).",
        {"table1": "Per pair", "table1_average": "Average over pairs"}),
    "table2": SectionProse(
        "Table 2: Dice similarity with Grad-CAM and with the mask",
        "Sørensen-Dice of each binarised map with the binarised Grad-CAM map of the same "
        "classifier (the paper's text; Grad-CAM with itself is 1) and with the ground-truth "
        "mask (what the paper's numbers suggest: its Grad-CAM column is 0.6577 on average, not "
        "1, and the experiment is limited to the sets with ground truths), each labelled.",
        {"table2": "Per pair", "table2_average": "Average over pairs"}),
    "table3": SectionProse(
        "Table 3: faithfulness (average drop, increase, win %)",
        "Energy map = image x map (the map explains the predicted class). Confidence: the "
        "probability of the ground-truth class (the paper's \"correct class\"). Average drop "
        "(Eq. 7): mean relative loss of confidence on the energy map, excluding the images whose "
        "energy map is more confident (lower is better). Increase in confidence (Eq. 8, the "
        "paper's modification, reconstructed from Sec. 4.2.3): the mean relative gain over "
        "exactly those excluded images; the increase count is Chattopadhyay et al.'s original, "
        "the share of such images. Win %: share of images whose energy map is more confident "
        "than Grad-CAM's; a tie (within 1e-6) is not a win and is reported as tie %. The last "
        "table is the predicted-class variant.",
        {"table3": "Per pair", "table3_average": "Average over pairs",
         "table3_predicted": "Average over pairs, confidence of the predicted class"}),
    "noise": SectionProse(
        "Fig. 12-13: robustness to salt-and-pepper noise",
        "Noisy copies of the images are classified anew and each method explains that "
        "prediction (Sec. 4.4), for both strategies on their seen pairs; background error is "
        "the mean heat on the ground-truth background (lower is better). A map that is zero "
        "everywhere also scores 0: Grad-CAM's map goes blank when strong noise removes all "
        "positive evidence for the class (see the map rows).",
        {"noise": "Background error per noise amount"}),
    "relevance": SectionProse(
        "Section 5: CGMA relevance",
        "How much the generated map changes when one CGMA (cumulative average of intermediate "
        "Grad-CAMs, from the first to the last selected layer) is zeroed (Eq. 10), normalised to "
        "sum to 1 per pair: on the seen pairs per dataset, and on the unseen pairs per "
        "architecture with the strategy-2 LSFT (Sec. 5.2-5.3, Fig. 14-16).",
        {"relevance": "Relevance per pair"}),
    "unseen": SectionProse(
        "Unseen pairs and Fig. 9: strategy 1 vs strategy 2",
        "Classifiers of datasets neither strategy saw (one of similar, one of dissimilar "
        "semantics), explained on all test classes by the strategy-2 GSFT and LSFT (Sec. 4.3.4) "
        "and by the strategy-1 LSFT (Fig. 9 compares the two strategies).",
        {"unseen": "Unseen pairs"}),
    "fig7": SectionProse(
        "Fig. 7: LSFT trained on one dataset vs on all of strategy 1's",
        "Two LSFTs with the GAN stage's recipe and seed, one trained on the pairs of strategy "
        "1's first dataset alone, one on the pairs of all its datasets (every training example "
        "of their CGMA shards), evaluated after every epoch: the mean squared error between the "
        "generated map and the classifier's Grad-CAM on each dataset's held-out examples "
        "(classes held out of GAN training), and the maps of held-out images.",
        {"fig7": "Held-out reconstruction MSE per epoch"}),
    "leaderboard": SectionProse(
        "Leaderboard: every explainer on the same metrics",
        "Every explainer of the library on the same images of strategy 1's pairs, averaged over "
        "the architectures of each dataset. Dice vs mask and pointing game against the "
        "foreground (higher is better); background error, average drop and deletion AUC lower is "
        "better; increase in confidence (the count), AOPC and insertion AUC higher is better.",
        {"leaderboard": "Per dataset", "leaderboard_overall": "All datasets"}),
    "sanity": SectionProse(
        "Sanity check: cascading model randomisation",
        "Weights are re-initialised layer by layer from the output (Adebayo et al.); a method "
        "passes when its maps on the fully randomised model are dissimilar (SSIM < 0.5) from the "
        "maps of the trained model.",
        {"sanity": "Sanity check per dataset",
         "sanity_curves": "SSIM at each checkpoint of the cascade"}),
}
"""Every section of the report, in order."""

FIGURE_CAPTIONS = {
    "fig5": "{pair} ({kind}): Grad-CAM, GSFT and LSFT",
    "fig9": "{pair} (unseen): Grad-CAM, strategy-2 GSFT and LSFT, strategy-1 LSFT (Fig. 8-9)",
    "methods": "{pair}: every explainer",
    "noise": "{pair}: salt-and-pepper noise (amount per column)",
    "noise_curve": "Background error vs noise amount, {strategy}",
    "relevance": "{label} CGMA relevance per {group} ({kind} pairs)",
    "sanity": "sanity check curves, {pair}",
    "fig7": "Fig. 7: LSFT maps per epoch, held-out {dataset} images (rows: training data)",
    "fig7_curve": "Fig. 7: held-out reconstruction MSE per epoch",
}
"""Figure captions; the per-pair ones double as the figures' titles."""

CHARTS = {
    "noise": {"title": "Background error under salt-and-pepper noise", "xlabel": "noise amount",
              "ylabel": "background error"},
    "relevance": {"title": "{label}: relative relevance of each CGMA per {group} ({kind} pairs)",
                  "ylabel": "share of relevance"},
    "sanity": {"title": "{pair}: cascading randomisation",
               "xlabel": "checkpoint (evenly spaced layers from the output; the last: all "
                         "randomised)",
               "ylabel": "SSIM to the trained model's maps"},
    "fig7": {"title": "Held-out reconstruction error of the LSFT per epoch", "xlabel": "epoch",
             "ylabel": "MSE to the Grad-CAM target"},
}
"""Titles and axis labels of the report's charts."""
