"""The architecture study's protocols: heat maps of many models compared by SSIM, Ward and AOPC.

"An Evaluation of Explainability of CNN Architectures Based on Heat Maps" (Sections 3-4). Where
each step of the paper lives in this library:

| paper                                        | function                                   |
| -------------------------------------------- | ------------------------------------------ |
| Sec. 3.1.1, Table 3.1: 13 models, 6 families | `models.families.MEMBERS`, `zoo.build`     |
| Sec. 3.1.2, Table 3.2: the Grad-CAM layers   | `models.families.PAPER_LAYERS`             |
| Sec. 3.1.2: 5 methods (+ LRP-eps, Sec. 4.3)  | `PAPER_METHODS`, `explain_models`          |
| maps in one comparable form (not in paper)   | `common_form`                              |
| Sec. 3.2.1: SSIM similarity matrix           | `similarity_matrix`, `similarity_matrices` |
| Sec. 3.2.2: distance matrix (formula lost)   | `distance_matrix`, `euclidean_defect`      |
| Sec. 3.2.2: Ward clustering, dendrograms     | `ward`                                     |
| Sec. 4.1-4.2: last merged, first pair counts | `merge_reading`, `count_readings`          |
| Sec. 4.2 round 3 ("broom"): disagreement     | `disagreements`                            |
| beyond the paper: family hypothesis tested   | `family_means`, `permutation_test`,        |
|                                              | `cluster_agreement`, `bootstrap_stability` |
| Sec. 3.3, 4.3-4.4: AOPC, 15 steps, MoRF      | `aopc_rows` (beside a random map's AOPC)   |
| AOPC per method across the architectures     | `aopc_by_method`                           |

The paper's distance formula was lost from the extracted text ("we calculate the distance matrix
... as follow:" and nothing follows); `distance_matrix` uses `1 - SSIM` by default and takes any
other function. Ward's method assumes Euclidean distances, which `1 - SSIM` is not in general:
we cluster it as the paper did and report `euclidean_defect` (the share of negative eigenvalue
mass of the double-centred squared distances; 0 for a Euclidean matrix) so the reader sees how
far from that assumption each matrix is.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from sklearn.metrics import adjusted_rand_score

from cnn_explain_tf import explain, metrics
from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["AOPC_STEPS", "PAPER_METHODS", "AOPCRow", "NotApplicable", "aopc_by_method", "aopc_rows",
           "bootstrap_stability", "cluster_agreement", "common_form", "count_readings",
           "disagreements", "distance_matrix", "euclidean_defect", "explain_models",
           "family_means", "merge_reading", "permutation_test", "similarity_matrices",
           "similarity_matrix", "ward"]

PAPER_METHODS = ("saliency", "guided_backprop", "deconvnet", "gradcam", "guided_gradcam")
"""The paper's five methods (Sec. 3.1.2): vanilla backprop, guided backprop, deconvnet,
Grad-CAM and guided Grad-CAM."""
AOPC_STEPS = 15
"""The paper's perturbation steps (Sec. 4.3)."""


@dataclasses.dataclass(frozen=True)
class NotApplicable:
    """A method that could not run on a model, with the reason (shown as "n/a" in tables)."""

    reason: str


def explain_models(models: Mapping[str, keras.Model], images: np.ndarray,
                   methods: Sequence[str], gradcam_layers: Mapping[str, str],
                   options: Mapping[str, dict] | None = None) -> dict[str, dict]:
    """method -> model name -> (N, H, W) maps, or `NotApplicable` where the method fails.

    Every method that takes a `layer` (Grad-CAM, guided Grad-CAM, the other CAMs) explains the
    model's declared layer (the paper's Table 3.2), never a guessed one; a bad-input error of one
    (method, model) becomes `NotApplicable(reason)` instead of stopping the study.

    Raises:
        InputError: a model without a declared Grad-CAM layer.
    """
    missing = sorted(set(models) - set(gradcam_layers))
    if missing:
        raise InputError(f"gradcam_layers: expected a declared Grad-CAM layer for every model, "
                         f"got none for {missing}")
    results: dict[str, dict] = {method: {} for method in methods}
    for method in methods:
        factory = explain.get(method)
        takes_layer = "layer" in inspect.signature(factory).parameters
        for name, model in models.items():
            kwargs = dict((options or {}).get(method, {}))
            if takes_layer:
                kwargs["layer"] = gradcam_layers[name]
            try:
                results[method][name] = factory(model, **kwargs)(images)
            except (ValueError, TypeError, NotImplementedError, tf.errors.OpError) as error:
                results[method][name] = NotApplicable(f"{type(error).__name__}: {error}")
    return results


def common_form(maps, size: tuple[int, int]) -> np.ndarray:
    """Maps of any model to one comparable form: (N, H, W) float32 in [0, 1] at `size`.

    (N, h, w, C) gradient maps are collapsed to 2-D by the largest absolute value over channels
    (Simonyan et al.'s saliency rule, the library's for every gradient method; the paper does
    not say how it collapsed them); then bilinear resizing to `size` and min-max normalisation
    per map (a constant map becomes all zeros).
    """
    maps = np.asarray(maps, np.float32)
    if maps.ndim == 4:
        maps = np.abs(maps).max(axis=-1)
    if maps.ndim != 3:
        raise InputError(f"maps: expected (N, H, W) or (N, H, W, C) maps, got shape {maps.shape}")
    resized = tf.image.resize(maps[..., None], size, method="bilinear")[..., 0].numpy()
    low = resized.min(axis=(1, 2), keepdims=True)
    span = resized.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 0, (resized - low) / np.where(span > 0, span, 1), 0).astype(np.float32)


@tf.function(reduce_retracing=True)
def _ssim(left: tf.Tensor, right: tf.Tensor, filter_size: int) -> tf.Tensor:
    return tf.image.ssim(left, right, max_val=1.0, filter_size=filter_size)


def similarity_matrices(maps: np.ndarray) -> np.ndarray:
    """(K, M, M) SSIM matrices of K sets of M maps (K, M, H, W) in [0, 1], in ONE batched
    `tf.image.ssim` call (compiled) over the K x M (M - 1) / 2 distinct pairs (SSIM is symmetric;
    window min(11, H, W), max_val 1); unit diagonal."""
    maps = np.asarray(maps, np.float32)
    if maps.ndim != 4:
        raise InputError(f"maps: expected (sets, models, H, W) maps, got shape {maps.shape}")
    sets, count, height, width = maps.shape
    rows, cols = np.triu_indices(count, 1)
    left = maps[:, rows].reshape(-1, height, width, 1)
    right = maps[:, cols].reshape(-1, height, width, 1)
    values = _ssim(left, right, min(11, height, width)).numpy().reshape(sets, len(rows))
    matrix = np.ones((sets, count, count), np.float32)
    matrix[:, rows, cols] = matrix[:, cols, rows] = values
    return matrix


def similarity_matrix(maps_by_model: Mapping[str, np.ndarray]) -> np.ndarray:
    """(M, M) SSIM matrix of one image's maps, one (H, W) map per model (M >= 3, one size).

    Raises:
        InputError: fewer than 3 models or maps of different shapes.
    """
    shapes = {name: np.shape(m) for name, m in maps_by_model.items()}
    if len(shapes) < 3:
        raise InputError(f"maps_by_model: expected maps of at least 3 models, got {len(shapes)}")
    if len(set(shapes.values())) != 1:
        raise InputError(f"maps_by_model: expected (H, W) maps of one shape (see `common_form`),"
                         f" got {shapes}")
    return similarity_matrices(np.stack(list(maps_by_model.values()))[None])[0]


def distance_matrix(similarity: np.ndarray,
                    distance: Callable[[np.ndarray], np.ndarray] = lambda s: 1.0 - s) -> np.ndarray:
    """Distances from a similarity matrix: `distance(similarity)` (default 1 - SSIM), clipped at
    0, symmetric, zero diagonal."""
    matrix = np.clip(np.asarray(distance(np.asarray(similarity, np.float64))), 0, None)
    matrix = (matrix + matrix.T) / 2
    np.fill_diagonal(matrix, 0.0)
    return matrix


def euclidean_defect(distances: np.ndarray) -> float:
    """Share of negative eigenvalue mass of -1/2 J D^2 J (classical MDS): 0 when the distances
    embed in a Euclidean space (Ward's assumption), larger the further they are from it."""
    count = len(distances)
    centring = np.eye(count) - np.ones((count, count)) / count
    eigenvalues = np.linalg.eigvalsh(-0.5 * centring @ (distances ** 2) @ centring)
    total = np.abs(eigenvalues).sum()
    return float(abs(eigenvalues[eigenvalues < 0].sum()) / total) if total > 0 else 0.0


def ward(distances: np.ndarray) -> np.ndarray:
    """scipy's Ward linkage (M - 1, 4) of a square distance matrix (as the paper: Sec. 3.2.2)."""
    return hierarchy.linkage(squareform(distances, checks=False), method="ward")


def merge_reading(linkage: np.ndarray, names: Sequence[str]) -> dict:
    """The paper's readings of one dendrogram: the pair merged first, and the outlier (the
    single model joined last to all the others; None when the last merge joins two groups)."""
    count = len(names)
    first = tuple(sorted(names[int(i)] for i in linkage[0, :2]))
    last = [int(i) for i in linkage[-1, :2] if i < count]
    return {"first_pair": first, "outlier": names[last[0]] if last else None}


def count_readings(readings: Sequence[Mapping]) -> dict[str, Counter]:
    """Counts of outliers and first pairs over many images (the paper's Sec. 4.2 tables)."""
    return {"outlier": Counter(r["outlier"] for r in readings if r["outlier"] is not None),
            "first_pair": Counter(" + ".join(r["first_pair"]) for r in readings)}


def disagreements(predictions: Mapping[str, np.ndarray]) -> list[int]:
    """Indices of the images on which the models do not all predict the same class (round 3)."""
    stacked = np.stack([np.asarray(p) for p in predictions.values()])
    return [int(i) for i in np.flatnonzero((stacked != stacked[:1]).any(axis=0))]


def family_means(similarity: np.ndarray, families: Sequence[str]) -> tuple[float, float]:
    """(within-family, between-family) mean off-diagonal similarity of one (M, M) matrix."""
    labels = np.asarray(families)
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(len(labels), dtype=bool)
    within = similarity[same & off]
    return (float(within.mean()) if within.size else float("nan"),
            float(similarity[~same].mean()))


def permutation_test(similarities: np.ndarray, families: Sequence[str], permutations: int = 1000,
                     seed: int = 0) -> dict:
    """Are maps more alike within a family than between families? A permutation test.

    The statistic is the within- minus between-family mean SSIM of the image-averaged matrix;
    its null distribution permutes the family labels over the models (seeded). p = (1 + #{null
    >= observed}) / (1 + permutations), one-sided.

    Args:
        similarities: (N, M, M) matrices of N images (or one (M, M)).
        families: the M models' declared families (at least one family with two models).
    """
    check_positive_int("permutations", permutations)
    mean = np.mean(np.reshape(similarities, (-1, *np.shape(similarities)[-2:])), axis=0)
    labels = np.asarray(families)
    if len(set(labels)) == len(labels) or len(set(labels)) < 2:
        raise InputError(f"families: expected at least two families and one with two models, "
                         f"got {list(labels)}")
    within, between = family_means(mean, labels)
    rng = np.random.default_rng(seed)
    null = np.array([np.subtract(*family_means(mean, rng.permutation(labels)))
                     for _ in range(permutations)])
    p_value = (1 + np.sum(null >= within - between - 1e-12)) / (1 + permutations)
    return {"within": within, "between": between, "difference": within - between,
            "p_value": float(p_value), "permutations": permutations}


def cluster_agreement(linkage: np.ndarray, families: Sequence[str]) -> float:
    """Adjusted Rand index between the tree cut into as many clusters as there are families and
    the family labels (1: the dendrogram recovers the families; ~0: chance)."""
    clusters = hierarchy.fcluster(linkage, t=len(set(families)), criterion="maxclust")
    return float(adjusted_rand_score(list(families), clusters))


def bootstrap_stability(similarities: np.ndarray, families: Sequence[str], rounds: int = 200,
                        seed: int = 0) -> dict:
    """Stability of the image-averaged Ward tree when the images are resampled with replacement.

    Returns:
        "ari_to_full": mean ARI of each round's cut tree with the full data's cut tree;
        "ari_to_families": mean and (2.5, 97.5) percentiles of the rounds' family agreement;
        "outlier_kept": share of rounds with the full data's outlier.
    """
    check_positive_int("rounds", rounds)
    count, names = len(similarities), list(range(np.shape(similarities)[-1]))
    k = len(set(families))

    def tree(matrix):
        return ward(distance_matrix(matrix))

    full = tree(similarities.mean(axis=0))
    full_cut = hierarchy.fcluster(full, t=k, criterion="maxclust")
    rng = np.random.default_rng(seed)
    trees = [tree(similarities[rng.integers(0, count, count)].mean(axis=0))
             for _ in range(rounds)]
    to_full = [adjusted_rand_score(full_cut, hierarchy.fcluster(t, k, "maxclust")) for t in trees]
    to_families = [cluster_agreement(t, families) for t in trees]
    outlier = merge_reading(full, names)["outlier"]
    kept = [merge_reading(t, names)["outlier"] == outlier for t in trees]
    return {"ari_to_full": float(np.mean(to_full)), "ari_to_families": float(np.mean(to_families)),
            "ari_to_families_interval": tuple(np.percentile(to_families, [2.5, 97.5]).tolist()),
            "outlier_kept": float(np.mean(kept)), "rounds": rounds}


@dataclasses.dataclass(frozen=True)
class AOPCRow:
    """AOPC of one model x method (Sec. 4.3) beside the same model's AOPC for random maps.

    `difference = aopc - random_aopc` answers the paper's objection (Sec. 4.4) that AOPC compares
    models as much as maps: the random baseline absorbs how fragile the model is to
    perturbation, so differences are comparable across architectures. `curve` and
    `random_curve` are the mean MoRF curves (steps + 1 target probabilities).
    """

    model: str
    method: str
    aopc: float
    random_aopc: float
    difference: float
    difference_interval: tuple[float, float]
    curve: tuple[float, ...]
    random_curve: tuple[float, ...]


def aopc_rows(model: keras.Model, images: np.ndarray, maps_by_method: Mapping[str, np.ndarray],
              model_name: str, steps: int = AOPC_STEPS, patch_size: int = 4,
              seed: int = 0) -> list[AOPCRow]:
    """One `AOPCRow` per method: AOPC (most relevant first, `steps` patches, uniform-noise fill)
    of its (N, H, W) maps and of seeded uniform random maps on the same model and images, their
    difference with a 95 % interval (`metrics.difference_interval` over images). The random maps'
    curves and the compiled perturbation step are computed once per model and shared by every
    method.
    """
    metric = metrics.AOPC(model, patch_size=patch_size, steps=steps, fill="uniform", seed=seed)
    shape = np.shape(images)[:3]
    random_curves, _ = metric.curves(
        images, np.random.default_rng(seed).random(shape).astype(np.float32))
    random_scores = metric.summarize(random_curves, None)
    rows = []
    for method, maps in maps_by_method.items():
        curves, _ = metric.curves(images, maps)
        scores = metric.summarize(curves, None)
        interval = metrics.difference_interval([scores], [random_scores])
        rows.append(AOPCRow(model_name, method, float(scores.mean()),
                            float(random_scores.mean()),
                            float(scores.mean() - random_scores.mean()),
                            (float(interval.low), float(interval.high)),
                            tuple(curves.mean(axis=0).tolist()),
                            tuple(random_curves.mean(axis=0).tolist())))
    return rows


def aopc_by_method(rows: Sequence[Mapping]) -> list[dict]:
    """Per method over the models of `aopc_rows` rows (as dicts): mean AOPC and random-map AOPC,
    the mean difference with a 95 % bootstrap interval over the models (`metrics.mean_interval`,
    seed 0), and how many models' paired intervals lie above / below 0."""
    summary = []
    for method in dict.fromkeys(row["method"] for row in rows):
        mine = [row for row in rows if row["method"] == method]
        gain = metrics.mean_interval([np.array([row["difference"] for row in mine])])
        summary.append({"method": method, "models": len(mine),
                        "AOPC": float(np.mean([row["aopc"] for row in mine])),
                        "random-map AOPC": float(np.mean([row["random_aopc"] for row in mine])),
                        "difference": gain.estimate, "interval": (gain.low, gain.high),
                        "above random": sum(row["difference_interval"][0] > 0 for row in mine),
                        "below random": sum(row["difference_interval"][1] < 0 for row in mine)})
    return summary
