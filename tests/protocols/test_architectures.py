"""The architecture study's protocol: SSIM matrices, Ward readings, family tests, AOPC baseline."""

import keras
import numpy as np
import pytest
from helpers import classifier, images
from scipy import stats

import cnn_explain_tf as cet
from cnn_explain_tf.protocols import architectures as arch
from cnn_explain_tf.validation import InputError


def _family_maps(structured: bool, seed: int, families=3, per_family=3, size=16) -> np.ndarray:
    """(models, H, W) maps: with structure, each family's models share a smooth prototype."""
    rng = np.random.default_rng(seed)
    smooth = lambda: arch.common_form(rng.random((1, 4, 4)), (size, size))[0]  # noqa: E731
    prototypes = [smooth() for _ in range(families)]
    maps = [(prototypes[f] if structured else smooth()) + 0.15 * rng.random((size, size))
            for f in range(families) for _ in range(per_family)]
    return arch.common_form(np.stack(maps), (size, size))


LABELS = [f for f in ("a", "b", "c") for _ in range(3)]


def test_identical_maps_give_an_all_ones_matrix():
    one = images(1, size=16, channels=1)[0, ..., 0]
    matrix = arch.similarity_matrix({name: one for name in "abcd"})
    np.testing.assert_allclose(matrix, np.ones((4, 4)), atol=1e-6)


def test_matrix_is_symmetric_equals_pairwise_ssim_and_permutes_with_the_models():
    maps = _family_maps(False, seed=1)[:5]
    matrix = arch.similarity_matrix(dict(zip("abcde", maps)))
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 1)
    np.testing.assert_allclose(matrix[0, 3], cet.metrics.map_similarity(maps[:1], maps[3:4]),
                               atol=1e-5)
    order = [3, 0, 4, 1, 2]
    permuted = arch.similarity_matrix({str(i): maps[i] for i in order})
    np.testing.assert_allclose(permuted, matrix[np.ix_(order, order)], atol=1e-6)


def test_batched_matrices_equal_one_matrix_per_set():
    sets = np.stack([_family_maps(False, seed=s)[:4] for s in range(3)])
    batched = arch.similarity_matrices(sets)
    for one, matrix in zip(sets, batched):
        np.testing.assert_allclose(matrix, arch.similarity_matrix(dict(zip("abcd", one))),
                                   atol=1e-6)


def test_common_form_collapses_channels_by_max_abs_resizes_and_normalises():
    gradients = np.zeros((1, 4, 4, 3), np.float32)
    gradients[0, 1, 2] = [0.1, -0.8, 0.3]
    gradients[0, 3, 0] = [0.2, 0.1, 0.0]
    same = arch.common_form(gradients, (4, 4))[0]
    assert same[1, 2] == 1 and same[3, 0] == pytest.approx(0.25) and same.min() == 0
    assert arch.common_form(gradients, (9, 7)).shape == (1, 9, 7)
    assert not arch.common_form(np.ones((1, 4, 4)), (4, 4)).any()


def test_distance_is_a_parameter_and_euclidean_defect_flags_non_euclidean_matrices():
    similarity = np.array([[1, 0.8, 0.1], [0.8, 1, 0.3], [0.1, 0.3, 1]])
    np.testing.assert_allclose(arch.distance_matrix(similarity)[0], [0, 0.2, 0.9])
    squared = arch.distance_matrix(similarity, lambda s: np.sqrt(2 * (1 - s)))
    assert squared[0, 2] == pytest.approx(np.sqrt(1.8))
    points = np.random.default_rng(0).random((6, 3))
    euclidean = np.linalg.norm(points[:, None] - points[None], axis=-1)
    assert arch.euclidean_defect(euclidean) == pytest.approx(0, abs=1e-9)
    violating = np.array([[0, 1, 1, 5], [1, 0, 1, 1], [1, 1, 0, 1], [5, 1, 1, 0.0]])
    assert arch.euclidean_defect(violating) > 0.05  # breaks the triangle inequality


def test_ward_on_a_hand_built_matrix_merges_in_the_known_order():
    # points on a line at 0, 1, 5, 7: (A, B) at 1, (C, D) at 2, then the two pairs at
    # sqrt(2 * 2 * 2 / 4) * |0.5 - 6| = 5.5 * sqrt(2) (Ward's distance of two clusters).
    points = np.array([0.0, 1.0, 5.0, 7.0])
    linkage = arch.ward(np.abs(points[:, None] - points[None]))
    np.testing.assert_allclose(linkage[:, :3], [[0, 1, 1], [2, 3, 2], [4, 5, 5.5 * np.sqrt(2)]])
    assert arch.merge_reading(linkage, list("ABCD")) == {"first_pair": ("A", "B"),
                                                         "outlier": None}
    far = np.array([0.0, 1.0, 1.5, 9.0])
    reading = arch.merge_reading(arch.ward(np.abs(far[:, None] - far[None])), list("ABCD"))
    assert reading == {"first_pair": ("B", "C"), "outlier": "D"}
    counts = arch.count_readings([reading, reading, {"first_pair": ("A", "B"), "outlier": None}])
    assert counts["outlier"] == {"D": 2} and counts["first_pair"]["B + C"] == 2


def test_family_means_and_disagreements_by_hand():
    similarity = np.array([[1, 0.9, 0.2], [0.9, 1, 0.4], [0.2, 0.4, 1]])
    assert arch.family_means(similarity, ["x", "x", "y"]) == pytest.approx((0.9, 0.3))
    predictions = {"a": np.array([1, 2, 3]), "b": np.array([1, 0, 3]), "c": np.array([1, 2, 0])}
    assert arch.disagreements(predictions) == [1, 2]


def test_permutation_test_finds_family_structure_and_the_tree_recovers_it():
    per_image = arch.similarity_matrices(np.stack([_family_maps(True, seed=s) for s in range(4)]))
    test = arch.permutation_test(per_image, LABELS, permutations=1000, seed=0)
    assert test["p_value"] < 0.05 and test["within"] > test["between"]
    tree = arch.ward(arch.distance_matrix(per_image.mean(axis=0)))
    assert arch.cluster_agreement(tree, LABELS) == pytest.approx(1.0)
    stability = arch.bootstrap_stability(per_image, LABELS, rounds=20, seed=0)
    assert stability["ari_to_families"] > 0.9 and stability["ari_to_full"] > 0.9


def test_permutation_p_is_roughly_uniform_without_structure():
    p_values = [arch.permutation_test(arch.similarity_matrices(_family_maps(False, s)[None]),
                                      LABELS, permutations=200, seed=s)["p_value"]
                for s in range(40)]
    assert stats.kstest(p_values, "uniform").pvalue > 0.01
    assert 0.3 < np.mean(p_values) < 0.7


def test_permutation_test_refuses_labels_without_a_shared_family():
    with pytest.raises(InputError, match="families: expected at least two families"):
        arch.permutation_test(np.eye(3), ["a", "b", "c"])


def test_similarity_matrix_refuses_fewer_than_three_models_and_mixed_sizes():
    with pytest.raises(InputError, match="at least 3 models, got 2"):
        arch.similarity_matrix({"a": np.zeros((4, 4)), "b": np.zeros((4, 4))})
    with pytest.raises(InputError, match="one shape"):
        arch.similarity_matrix({"a": np.zeros((4, 4)), "b": np.zeros((4, 4)),
                                "c": np.zeros((5, 4))})


def _quadrant_model(size: int = 16) -> keras.Model:
    """Softmax of [20 x mean of the top-left quadrant, 0]: only that quadrant matters."""
    inputs = keras.Input((size, size, 1))
    quadrant = keras.layers.Cropping2D(((0, size // 2), (0, size // 2)))(inputs)
    mean = keras.layers.GlobalAveragePooling2D()(quadrant)
    logits = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant([[20.0, 0.0]]),
                                bias_initializer=keras.initializers.Constant([-10.0, 0.0]))(mean)
    return keras.Model(inputs, keras.layers.Softmax()(logits))


def test_aopc_of_a_random_map_is_its_random_baseline_and_a_true_map_beats_it():
    model, x = _quadrant_model(), images(16, size=16, channels=1, seed=3) * 0.3 + 0.7
    noise = np.random.default_rng(11).random((16, 16, 16)).astype(np.float32)
    truth = np.zeros((16, 16, 16), np.float32)
    truth[:, :8, :8] = 1
    row, good = arch.aopc_rows(model, x, {"noise": noise, "truth": truth}, "quadrant", steps=15,
                               patch_size=2)
    assert (row.model, row.method, good.method) == ("quadrant", "noise", "truth")
    assert abs(row.difference) < 0.03
    assert row.difference_interval[0] <= 0 <= row.difference_interval[1]
    assert good.difference > 0.05 and good.difference_interval[0] > 0
    assert len(good.curve) == 16 and good.random_curve == row.random_curve
    alone = cet.metrics.aopc(model, x, truth, patch_size=2, steps=15)
    assert good.aopc == pytest.approx(alone, abs=1e-6)


def test_a_method_that_cannot_run_is_not_applicable_with_its_reason():
    model = classifier(16, 3, classes=3)
    found = arch.explain_models({"m": model}, images(2), ["gradcam", "saliency"], {"m": "head"})
    assert isinstance(found["gradcam"]["m"], arch.NotApplicable)
    assert "4-D output" in found["gradcam"]["m"].reason
    assert found["saliency"]["m"].shape == (2, 16, 16)
    with pytest.raises(InputError, match="declared Grad-CAM layer for every model.*'m'"):
        arch.explain_models({"m": model}, images(2), ["gradcam"], {})


def test_aopc_by_method_averages_over_models_and_counts_beyond_noise():
    def row(model, method, aopc, random, low, high):
        return {"model": model, "method": method, "aopc": aopc, "random_aopc": random,
                "difference": aopc - random, "difference_interval": (low, high)}

    rows = [row("a", "gradcam", 0.5, 0.3, 0.1, 0.3), row("b", "gradcam", 0.4, 0.3, -0.1, 0.3),
            row("c", "gradcam", 0.3, 0.3, -0.2, -0.05), row("a", "saliency", 0.3, 0.3, -0.1, 0.1)]
    gradcam, saliency = arch.aopc_by_method(rows)
    assert (gradcam["method"], gradcam["models"], saliency["models"]) == ("gradcam", 3, 1)
    assert gradcam["AOPC"] == pytest.approx(0.4)
    assert gradcam["random-map AOPC"] == pytest.approx(0.3)
    assert gradcam["difference"] == pytest.approx(0.1)
    assert -1e-9 <= gradcam["interval"][0] <= 0.1 <= gradcam["interval"][1] <= 0.2 + 1e-9
    assert (gradcam["above random"], gradcam["below random"]) == (1, 1)
    assert saliency["difference"] == pytest.approx(0.0) and saliency["interval"] == (0.0, 0.0)
