"""ROAD's noisy linear imputation against a direct sparse solve, and its noise draws."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg
import tensorflow as tf
from linear_cases import linear_case, probability

import cnn_explain_tf as cet
from cnn_explain_tf.metrics.faithfulness import imputation
from cnn_explain_tf.metrics.faithfulness.imputation import NEIGHBOUR_WEIGHTS
from cnn_explain_tf.validation import InputError


def direct_solve(plane: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Rong et al.'s equations sum_j w_ij (x_i - x_j) = 0 per removed pixel, by scipy's spsolve."""
    height, width = plane.shape
    unknown = -np.ones(plane.shape, int)
    unknown[removed] = np.arange(removed.sum())
    rows, columns, values, rhs = [], [], [], np.zeros(removed.sum())
    for y, x in zip(*np.nonzero(removed)):
        for dy, dx in zip(*np.nonzero(NEIGHBOUR_WEIGHTS)):
            ny, nx, weight = y + dy - 1, x + dx - 1, NEIGHBOUR_WEIGHTS[dy, dx]
            if 0 <= ny < height and 0 <= nx < width:
                rows.append(unknown[y, x]), columns.append(unknown[y, x]), values.append(weight)
                if removed[ny, nx]:
                    rows.append(unknown[y, x]), columns.append(unknown[ny, nx])
                    values.append(-weight)
                else:
                    rhs[unknown[y, x]] += weight * plane[ny, nx]
    size = len(rhs)
    matrix = scipy.sparse.csr_matrix((values, (rows, columns)), (size, size))
    filled = plane.astype(np.float64).copy()
    filled[removed] = scipy.sparse.linalg.spsolve(matrix, rhs)
    return filled


def smooth_removal(size: int, share: float, seed: int) -> np.ndarray:
    """A MoRF-like mask: the top `share` of a smooth random map (a 4x4 grid upsampled)."""
    rng = np.random.default_rng(seed)
    heat = np.kron(rng.random((4, 4)), np.ones((size // 4, size // 4)))
    heat += 1e-3 * rng.random(heat.shape)
    return heat >= np.quantile(heat, 1 - share)


def test_the_road_tolerance_stays_well_within_the_noise_of_a_direct_solve():
    images = np.random.default_rng(3).random((2, 32, 32, 3)).astype(np.float32)
    removed = np.stack([smooth_removal(32, 0.8, 0), smooth_removal(32, 0.3, 5)])
    found = cet.metrics.noisy_linear_imputation(images, removed, noise=0.0, tolerance=5e-4)
    for index in range(2):
        for channel in range(3):
            exact = direct_solve(images[index, ..., channel], removed[index])
            error = np.abs(found[index, ..., channel] - exact).max()
            assert error < 0.005, (index, channel, error)  # half the noise std of 0.01


@pytest.mark.parametrize("share", [0.1, 0.5, 0.8, 0.95])
def test_nested_removals_match_a_direct_solve_on_a_size_that_is_not_whole_coarse_cells(share):
    """ROAD's MoRF removals of one map at 10 % to 95 %, on a 28 x 20 image (the coarse cells of
    8 pixels do not divide it: the planes are padded)."""
    rng = np.random.default_rng(11)
    heat = np.kron(rng.random((7, 5)), np.ones((4, 4))) + 1e-3 * rng.random((28, 20))
    removed = heat >= np.quantile(heat, 1 - share)
    image = rng.random((28, 20)).astype(np.float32)
    found = cet.metrics.noisy_linear_imputation(image[None, ..., None], removed[None],
                                                noise=0.0, tolerance=5e-4)[0, ..., 0]
    assert np.abs(found - direct_solve(image, removed)).max() < 0.002


def test_a_whole_image_removed_becomes_zero_and_nothing_removed_is_unchanged():
    images = np.random.default_rng(4).random((2, 9, 7, 2)).astype(np.float32)
    removed = np.stack([np.ones((9, 7), bool), np.zeros((9, 7), bool)])
    found = cet.metrics.noisy_linear_imputation(images, removed, noise=0.0)
    np.testing.assert_array_equal(found[0], 0.0)
    np.testing.assert_array_equal(found[1], images[1])


@pytest.mark.parametrize("batch_size", [1, 3])
def test_road_imputes_spans_of_chunks_as_the_direct_solve_does(batch_size):
    """Without noise, ROAD's curve on a linear model is the model on the exactly imputed images,
    whatever the chunks (batch_size 1: many chunks per imputed span; 3: a partial last chunk)."""
    model, images, weights = linear_case(size=8, count=5)
    maps = np.random.default_rng(2).random((5, 8, 8)).astype(np.float32)
    percentages = (0.25, 0.5, 0.75)
    result = cet.metrics.road(model, images, maps, 0, percentages=percentages, noise=0.0,
                              batch_size=batch_size, tolerance=1e-6)
    ranks = np.argsort(np.argsort(-maps.reshape(5, -1), axis=1, kind="stable"), axis=1)
    for index, image in enumerate(images):
        for step, share in enumerate(percentages):
            removed = ranks[index].reshape(8, 8) < round(share * 64)
            exact = direct_solve(image[..., 0], removed)[..., None]
            assert result.details["curves"][index, step] == pytest.approx(
                probability(weights, exact), abs=1e-5)


def test_the_noise_is_one_stateless_normal_draw_per_plane_in_image_channel_order():
    images = np.random.default_rng(0).random((3, 5, 6, 2)).astype(np.float32)
    removed = np.random.default_rng(1).random((3, 5, 6)) < 0.5
    clean = cet.metrics.noisy_linear_imputation(images, removed, noise=0.0, tolerance=1e-6)
    noisy = cet.metrics.noisy_linear_imputation(images, removed, noise=0.01, seed=7,
                                                tolerance=1e-6)
    draws = tf.random.stateless_normal([6, 5, 6, 1], [7, 0]).numpy()
    expected = 0.01 * draws[..., 0].reshape(3, 2, 5, 6).transpose(0, 2, 3, 1)
    np.testing.assert_allclose((noisy - clean)[removed], expected[removed], atol=1e-6)
    np.testing.assert_array_equal(noisy[~removed], images[~removed])


def test_the_coarse_matrices_are_the_galerkin_products_of_the_cell_indicators():
    """P^T A P, P the removed pixels of each cell, built densely, on a 28 x 20 image whose planes
    are padded to whole cells (two removals, so two planes)."""
    height, width = 28, 20
    rng = np.random.default_rng(8)
    removed = rng.random((2, height, width)) < 0.6
    grid = imputation._Grid(height, width)
    pad = [[0, 0], [0, grid.height - height], [0, grid.width - width], [0, 0]]
    mask = tf.pad(tf.constant(removed.transpose(1, 2, 0)[None], tf.float32), pad)
    degree = mask * imputation._neighbours(tf.pad(tf.ones([1, height, width, 1]), pad),
                                           imputation._kernel(1))
    operator = imputation._Operator(mask, degree, imputation._kernel(2))
    found = imputation._coarse_matrices(operator, grid).numpy()
    rows, columns = np.divmod(np.arange(height * width), width)
    cell = (rows // grid.block) * grid.cells[1] + columns // grid.block
    for plane, kept_out in enumerate(removed):
        matrix = np.zeros((height * width,) * 2)
        for y, x in zip(*np.nonzero(kept_out)):
            for dy, dx in zip(*np.nonzero(NEIGHBOUR_WEIGHTS)):
                ny, nx, weight = y + dy - 1, x + dx - 1, NEIGHBOUR_WEIGHTS[dy, dx]
                if 0 <= ny < height and 0 <= nx < width:
                    matrix[y * width + x, y * width + x] += weight
                    if kept_out[ny, nx]:
                        matrix[y * width + x, ny * width + nx] -= weight
        indicators = (cell[:, None] == np.arange(found.shape[1])) * kept_out.reshape(-1, 1)
        np.testing.assert_allclose(found[plane], indicators.T @ matrix @ indicators, atol=1e-5)


def test_removals_per_image_share_its_noise_and_equal_separate_calls_without_it():
    images = np.random.default_rng(6).random((2, 6, 5, 2)).astype(np.float32)
    removed = np.random.default_rng(7).random((2, 3, 6, 5)) < 0.5
    together = cet.metrics.noisy_linear_imputation(images, removed, noise=0.0, tolerance=1e-6)
    assert together.shape == (2, 3, 6, 5, 2)
    for k in range(3):
        alone = cet.metrics.noisy_linear_imputation(images, removed[:, k], noise=0.0,
                                                    tolerance=1e-6)
        np.testing.assert_allclose(together[:, k], alone, atol=1e-5)
    noisy = cet.metrics.noisy_linear_imputation(images, removed, noise=0.01, seed=7,
                                                tolerance=1e-6)
    draws = tf.random.stateless_normal([4, 6, 5, 1], [7, 0]).numpy()
    expected = 0.01 * draws[..., 0].reshape(2, 2, 6, 5).transpose(0, 2, 3, 1)
    for k in range(3):
        mask = removed[:, k]
        np.testing.assert_allclose((noisy - together)[:, k][mask], expected[mask], atol=1e-6)


def test_removals_that_do_not_match_the_images_are_refused():
    with pytest.raises(InputError, match=r"removed: expected \(2, \[K,\] 6, 5\) masks"):
        cet.metrics.noisy_linear_imputation(np.zeros((2, 6, 5, 1)), np.zeros((2, 5, 6), bool))
