"""The report's declared words and numbers: the paper's targets, the goals, each section's prose."""

from __future__ import annotations

import dataclasses

__all__ = ["CHARTS", "DISPLAY_NAMES", "FIGURE_CAPTIONS", "GOALS", "PAPER", "QUICK_MINUTES",
           "SECTIONS", "TABLE3_VERDICT", "SectionProse", "label"]

PAPER = {"drop": {"lsft": 9.95, "gradcam": 11.49}, "win": 53.9}
"""The paper's Table 3 numbers the goals compare with: average drop % of LSFT and Grad-CAM, and
LSFT's win % against Grad-CAM (Guna et al., arXiv 2301.08067)."""
QUICK_MINUTES = 30
"""The quick preset's goal: a run from an empty folder finishes within this many minutes."""

DISPLAY_NAMES = {"gradcam": "Grad-CAM", "gsft": "GSFT", "lsft": "LSFT"}
"""How the report spells the methods whose registry name is not readable."""

GOALS = {
    "drop": "LSFT average drop lower than Grad-CAM's (Table 3)",
    "win": "LSFT wins against Grad-CAM on more than half the images (Table 3)",
    "quick": f"preset quick finishes in <= {QUICK_MINUTES} minutes from an empty directory",
    "quick_ours": "{minutes:.1f} min (the stages of the run that started from an empty folder)",
}
"""The goal texts of the report's goals table."""


def label(method: str) -> str:
    """The report's name of a method: "Grad-CAM" for "gradcam", the registry name otherwise."""
    return DISPLAY_NAMES.get(method, method)


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


TABLE3_VERDICT = ("Our LSFT average drop ({lsft}) is {verdict} Grad-CAM's ({gradcam}), with a win "
                  "rate of {win}; the paper reports {paper_lsft} % vs {paper_gradcam} % and "
                  "{paper_win} %.")
"""The measured end of Table 3's text; `verdict` is "lower than" or "not lower than"."""

SECTIONS = {
    "classifiers": SectionProse(
        "Classifiers and SFT-GANs",
        "Every classifier the GANs explain, with its test accuracy; the GANs were trained only on "
        "the CGMA shards of the seen pairs' seen classes. Unseen pairs (architectures and "
        "datasets never shown to the GANs) are evaluated in their own section.",
        {"classifiers": "Classifiers", "gans": "SFT-GAN training"}),
    "table1": SectionProse(
        "Table 1: localization against the ground-truth foreground",
        "Rates of the binarised maps (threshold 127/255) against each image's foreground mask, "
        "on the test images of the classes held out of GAN training. TP % is the share of "
        "foreground pixels the map marks, FP % the share of background pixels it marks (TN, FN "
        "their complements).",
        {"table1": "Per pair", "table1_average": "Average over pairs"}),
    "table2": SectionProse(
        "Table 2: Dice similarity with Grad-CAM",
        "Sørensen-Dice of each binarised map with the binarised Grad-CAM map of the same "
        "classifier (Grad-CAM with itself is 1): how well each GAN reproduces the explanation it "
        "was trained to generate, on unseen classes.",
        {"table2": "Per pair", "table2_average": "Average over pairs"}),
    "table3": SectionProse(
        "Table 3: faithfulness (average drop, increase, win %)",
        "Energy map = image x map. Average drop: mean relative loss of the target probability on "
        "the energy map, excluding images whose energy map is more confident (lower is better). "
        "Increase in confidence: share of images whose energy map is more confident. Win %: "
        "share of images whose energy map keeps more confidence than Grad-CAM's (ties count "
        "half). ",
        {"table3": "Per pair", "table3_average": "Average over pairs"}),
    "noise": SectionProse(
        "Fig. 12-13: robustness to salt-and-pepper noise",
        "Each method explains noisy copies of the images (the class the classifier predicted on "
        "the clean image); background error is the mean heat on the ground-truth background "
        "(lower is better), averaged over the seen pairs. A map that is zero everywhere also "
        "scores 0: Grad-CAM's map goes blank when strong noise removes all positive evidence for "
        "the class (see the map rows), which is why its background error falls as the noise "
        "grows.",
        {"noise": "Background error per noise amount"}),
    "relevance": SectionProse(
        "Section 5: CGMA relevance",
        "How much the generated map changes when one CGMA (cumulative average of intermediate "
        "Grad-CAMs, from the first to the last selected layer) is zeroed (Eq. 10), normalised to "
        "sum to 1 per pair.",
        {"relevance": "Relevance per pair"}),
    "unseen": SectionProse(
        "Unseen pairs: architectures and datasets the GANs never saw",
        "Classifiers of datasets (and, where marked, architecture families) never used to train "
        "the GANs, explained by the same generators on all test classes.",
        {"unseen": "Unseen pairs"}),
    "leaderboard": SectionProse(
        "Leaderboard: every explainer on the same metrics",
        "Every explainer of the library on the same images of each seen pair, averaged over the "
        "architectures of each dataset. Dice vs mask and pointing game against the foreground "
        "(higher is better); background error, average drop and deletion AUC lower is better; "
        "increase in confidence, AOPC and insertion AUC higher is better.",
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
    "methods": "{pair}: every explainer",
    "noise": "{pair}: salt-and-pepper noise (amount per column)",
    "noise_curve": "Background error vs noise amount",
    "relevance": "{label} CGMA relevance per dataset",
    "sanity": "sanity check curves, {pair}",
}
"""Figure captions; the per-pair ones double as the figures' titles."""

CHARTS = {
    "noise": {"title": "Background error under salt-and-pepper noise", "xlabel": "noise amount",
              "ylabel": "background error"},
    "relevance": {"title": "{label}: relative relevance of each CGMA (mean over architectures)",
                  "ylabel": "share of relevance"},
    "sanity": {"title": "{pair}: cascading randomisation",
               "xlabel": "checkpoint (evenly spaced layers from the output; the last: all "
                         "randomised)",
               "ylabel": "SSIM to the trained model's maps"},
}
"""Titles and axis labels of the report's charts."""
