"""Beyond the paper: is the family hypothesis true? Family means, permutations, ARI, bootstrap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.cluster import hierarchy
from sklearn.metrics import adjusted_rand_score

from cnn_explain_tf.protocols.architectures.similarity import distance_matrix, merge_reading, ward
from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["bootstrap_stability", "cluster_agreement", "family_means", "permutation_test"]


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
