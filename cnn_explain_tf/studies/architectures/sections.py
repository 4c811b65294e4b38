"""The study report's sections (tables, texts, figures), built from the cached stage outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cnn_explain_tf import artifacts, viz
from cnn_explain_tf.protocols import architectures as protocol
from cnn_explain_tf.studies.architectures.figures import similarity_figure
from cnn_explain_tf.studies.architectures.layout import Study

__all__ = ["GRID_IMAGES", "build", "conclusion"]

GRID_IMAGES = 4
"""Images shown as a models x methods map grid (and per-image dendrograms); every image's
matrices are in results.json."""
ALPHA = 0.05


def build(study: Study) -> dict:
    """The report's sections and the numbers behind them, in results.json's layout."""
    out = study.out_dir
    models = artifacts.read_json(out / "models" / "models.json")["models"]
    explained = artifacts.read_json(out / "explain" / "explain.json")
    bundle = np.load(out / "explain" / "maps.npz")
    similarity = artifacts.read_json(out / "similarity" / "similarity.json")
    aopc = artifacts.read_json(out / "perturbation" / "aopc.json")
    hypothesis = _hypothesis_rows(similarity)
    sections = [_models(study, models, explained),
                _maps(study, explained, bundle["maps"], bundle["images"]),
                _similarity(study, similarity), _readings(similarity),
                _round3(study, explained, bundle["maps"], bundle["images"]),
                {"id": "hypothesis", "title": "The family hypothesis, tested", "tables": [
                    {"id": "hypothesis", "rows": hypothesis, "caption": HYPOTHESIS_CAPTION}],
                 "text": HYPOTHESIS_TEXT},
                _aopc(study, aopc),
                {"id": "conclusion", "title": "Conclusion",
                 "text": conclusion(hypothesis, similarity, aopc["rows"])}]
    return {"sections": sections, "models": models, "explain": explained,
            "similarity": similarity, "aopc": aopc}


HYPOTHESIS_CAPTION = ("Per method: mean SSIM within / between families of the image-averaged "
                      "matrix, permutation test over family labels, ARI of the tree cut into as "
                      "many clusters as families, bootstrap over images, and how far 1 - SSIM is "
                      "from Euclidean (Ward's assumption)")
HYPOTHESIS_TEXT = (
    "The paper reads its dendrograms by eye. Here the hypothesis 'maps of one family are more "
    "alike than maps of different families' is tested: the statistic is within- minus "
    "between-family mean SSIM; its null distribution permutes the family labels over the "
    "models (seeded); p is one-sided. ARI 1 means the cut tree recovers the families, 0 chance. "
    "The bootstrap resamples the images and reports how often the outlier survives.")


def _models(study: Study, models: list[dict], explained: Mapping) -> dict:
    recipe = study.config.classifier
    text = ("Every model is built from its family's declared topology; its family and Grad-CAM "
            "layer are declared data (models.families.MEMBERS), the layer standing for the "
            "paper's Table 3.2 entry. ")
    text += (f"All trained on {study.config.dataset} with one recipe: {recipe.epochs} epochs, "
             f"{recipe.optimizer} {recipe.learning_rate}, {recipe.schedule} schedule, batch "
             f"{recipe.batch_size}." if recipe else "Pretrained ImageNet weights.")
    if explained["resized_for"]:
        text += ("\n\nImages were resized (bilinear) to the input size of: "
                 f"{', '.join(explained['resized_for'])}; every map is resized to "
                 f"{'x'.join(map(str, study.config.map_size))} before comparison.")
    return {"id": "models", "title": "Models", "text": text,
            "tables": [{"id": "models", "rows": models, "caption": "The compared models"}]}


def _grid(study: Study, name: str, maps: np.ndarray, image: np.ndarray, title: str) -> dict:
    """One image's models x methods overlay grid; maps (methods, models, H, W)."""
    config = study.config
    size = tuple(config.map_size)
    shown = protocol.common_form(image.mean(axis=-1)[None], size)[0]
    columns = {"image": [shown] * len(config.archs)}
    for row, method in enumerate(config.methods):
        columns[method] = [viz.overlay(shown, np.nan_to_num(m)) for m in maps[row]]
    path = study.figure(name)
    viz.image_grid(columns, study.out_dir / path, row_labels=list(config.archs), title=title)
    return {"path": str(path), "caption": f"{title} (n/a maps are blank)"}


def _maps(study: Study, explained: Mapping, maps: np.ndarray, images: np.ndarray) -> dict:
    count = min(GRID_IMAGES, len(images))
    figures = [_grid(study, f"maps_{i}", maps[:, :, i], images[i],
                     f"{explained['image_names'][i]}: every model x method") for i in range(count)]
    rows = [{"method": method, "model": arch, "reason": reason}
            for method, by_model in explained["not_applicable"].items()
            for arch, reason in by_model.items()]
    return {"id": "maps", "title": "Heat maps: models x methods", "figures": figures,
            "text": f"The first {count} of {len(images)} images; maps in common form.",
            "tables": [{"id": "not_applicable", "rows": rows,
                        "caption": "Methods that could not run on a model (n/a)"}]}


def _similarity(study: Study, similarity: Mapping) -> dict:
    matrices = np.load(study.out_dir / "similarity" / "similarity.npz")
    figures = []
    for method, result in similarity.items():
        if "not_applicable" in result:
            continue
        panels = [("mean over images", np.array(result["mean_similarity"]),
                   np.array(result["linkage"]))]
        per_image = matrices[method][:GRID_IMAGES]
        panels += [(f"image {i}", m, protocol.ward(protocol.distance_matrix(m)))
                   for i, m in enumerate(per_image)]
        path = study.figure(f"similarity_{method}")
        similarity_figure(panels, result["archs"], study.out_dir / path)
        figures.append({"path": str(path), "caption": f"{method}: SSIM matrix and Ward "
                        f"dendrogram, averaged over images, then the first {len(per_image)} "
                        "images"})
    skipped = [m for m, r in similarity.items() if "not_applicable" in r]
    text = ("Distance 1 - SSIM (the paper's formula is lost from its text); Ward linkage "
            "(scipy). " + (f"Not compared (fewer than 3 models): {skipped}." if skipped else ""))
    return {"id": "similarity", "title": "Similarity matrices and dendrograms", "text": text,
            "figures": figures}


def _readings(similarity: Mapping) -> dict:
    outliers, pairs = [], []
    for method, result in similarity.items():
        total = len(result.get("readings", []))
        outliers += [{"method": method, "outlier (merged last)": name, "images": count,
                      "of": total} for name, count in result.get("outlier_counts", {}).items()]
        pairs += [{"method": method, "first pair": name, "images": count, "of": total}
                  for name, count in result.get("first_pair_counts", {}).items()]
    return {"id": "readings", "title": "Merge-order readings (the paper's Sec. 4.2 tables)",
            "text": "Per image and method, the model merged last to all others (an image whose "
                    "last merge joins two groups has no outlier) and the pair merged first.",
            "tables": [{"id": "outliers", "rows": outliers, "caption": "Outliers"},
                       {"id": "first_pairs", "rows": pairs, "caption": "First pairs"}]}


def _round3(study: Study, explained: Mapping, maps: np.ndarray, images: np.ndarray) -> dict:
    disagreeing = protocol.disagreements(explained["predictions"])
    rows = [{"image": explained["image_names"][i], "label": explained["labels"][i],
             **{arch: p[i] for arch, p in explained["predictions"].items()}}
            for i in disagreeing]
    figures = [_grid(study, f"round3_{i}", maps[:, :, i], images[i],
                     f"{explained['image_names'][i]}: models disagree on the class")
               for i in disagreeing[:GRID_IMAGES]]
    return {"id": "round3", "title": "Round 3: images the models disagree on",
            "text": f"{len(disagreeing)} of {len(images)} images get different classes from "
                    "different models (the paper's 'broom'); every model's prediction below.",
            "tables": [{"id": "disagreements", "rows": rows, "caption": "Predictions"}],
            "figures": figures}


def _hypothesis_rows(similarity: Mapping) -> list[dict]:
    rows = []
    for method, r in similarity.items():
        if "not_applicable" in r:
            continue
        test, boot = r["permutation"], r["bootstrap"]
        low, high = boot["ari_to_families_interval"]
        rows.append({"method": method, "models": len(r["archs"]),
                     "within-family SSIM": test["within"],
                     "between-family SSIM": test["between"], "difference": test["difference"],
                     "p-value": test["p_value"], "permutations": test["permutations"],
                     "ARI (tree vs families)": r["ari"],
                     "bootstrap ARI to families": boot["ari_to_families"],
                     "95 % interval": f"[{low:.2f}, {high:.2f}]",
                     "bootstrap ARI to full tree": boot["ari_to_full"],
                     "outlier": r["reading"]["outlier"] or "-",
                     "outlier kept": boot["outlier_kept"],
                     "non-Euclidean share": r["euclidean_defect"]})
    return rows


def _aopc(study: Study, aopc: Mapping) -> dict:
    rows = [{"model": r["model"], "method": r["method"], "AOPC": r["aopc"],
             "random-map AOPC": r["random_aopc"], "difference": r["difference"],
             "95 % interval": "[{:.3f}, {:.3f}]".format(*r["difference_interval"])}
            for r in aopc["rows"]]
    steps = list(range(study.config.aopc_steps + 1))
    figures = []
    for method in study.config.aopc_methods:
        series = {r["model"]: r["curve"] for r in aopc["rows"] if r["method"] == method}
        if not series:
            continue
        path = study.figure(f"aopc_{method}")
        viz.line_chart(steps, series, study.out_dir / path, title=f"MoRF curves: {method}",
                       xlabel="patches perturbed", ylabel="target probability")
        figures.append({"path": str(path), "caption": f"{method}: mean MoRF curve per model"})
    return {"id": "aopc", "title": "Perturbation test: AOPC beside a random map", "text": (
        f"AOPC over {study.config.aopc_steps} steps of {study.config.patch_size}-pixel patches, "
        "most relevant first, uniform-noise fill (Sec. 3.3, 4.3). Each model's AOPC for seeded "
        "random maps is its baseline: the difference says how much the map beats chance on "
        "that model, which answers the paper's objection (Sec. 4.4) that raw AOPC compares "
        "models as much as maps."),
        "tables": [{"id": "aopc", "rows": rows, "caption": "AOPC per model x method"},
                   {"id": "aopc_by_method", "rows": _aopc_by_method(aopc["rows"]),
                    "caption": "Per method over the models: mean AOPC, mean difference to the "
                               "random map (95 % bootstrap interval over the models), models "
                               "above / below their random map beyond noise"}],
        "figures": figures}


def _aopc_by_method(rows: Sequence[Mapping]) -> list[dict]:
    return [{**{k: v for k, v in summary.items() if k != "interval"},
             "95 % interval": "[{:+.3f}, {:+.3f}]".format(*summary["interval"])}
            for summary in protocol.aopc_by_method(rows)]


def conclusion(hypothesis: Sequence[Mapping], similarity: Mapping,
               aopc_rows: Sequence[Mapping]) -> str:
    """The report's closing paragraphs, generated from the numbers (never hard-coded)."""
    significant = [r["method"] for r in hypothesis if r["p-value"] < ALPHA]
    parts = [f"Family structure: within-family maps are more similar than between-family maps "
             f"beyond chance (p < {ALPHA}) for {len(significant)} of {len(hypothesis)} methods"
             + (f" ({', '.join(significant)})." if significant else ".")]
    parts += [f"{r['method']}: within {r['within-family SSIM']:.3f} vs between "
              f"{r['between-family SSIM']:.3f} (p = {r['p-value']:.3f}, ARI "
              f"{r['ARI (tree vs families)']:.2f})." for r in hypothesis]
    outliers = {m: max(r["outlier_counts"], key=r["outlier_counts"].get)
                for m, r in similarity.items() if r.get("outlier_counts")}
    if outliers:
        parts.append("Most frequent outlier per method: " + "; ".join(
            f"{m}: {name} ({similarity[m]['outlier_counts'][name]} of "
            f"{len(similarity[m]['readings'])} images)" for m, name in outliers.items()) + ".")
    if aopc_rows:
        best = max(aopc_rows, key=lambda r: r["difference"])
        beaten = sum(r["difference_interval"][0] > 0 for r in aopc_rows)
        parts.append(f"Perturbation: {beaten} of {len(aopc_rows)} model x method maps beat "
                     f"the random map beyond noise (95 % interval above 0); the largest gain is "
                     f"{best['method']} on {best['model']} ({best['difference']:+.3f} AOPC).")
    return "\n\n".join(parts)
