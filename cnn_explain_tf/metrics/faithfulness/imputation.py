"""ROAD's noisy linear imputation: removed pixels solved from their neighbours, plus noise."""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from cnn_explain_tf.validation import InputError, describe

__all__ = ["NEIGHBOUR_WEIGHTS", "noisy_linear_imputation"]

NEIGHBOUR_WEIGHTS = np.array(
    [[1 / 12, 1 / 6, 1 / 12], [1 / 6, 0.0, 1 / 6], [1 / 12, 1 / 6, 1 / 12]], np.float32)
"""Rong et al.'s weights of the 8 neighbours: 1/6 for the 4 direct ones, 1/12 diagonally."""
_KERNEL = tf.constant(NEIGHBOUR_WEIGHTS[:, :, None, None])
BLOCK = 8
"""Side in pixels of the preconditioner's coarse cells (see `_Grid` for small or large images)."""


def noisy_linear_imputation(images: np.ndarray, removed: np.ndarray, noise: float = 0.01,
                            seed: int = 0, tolerance: float = 1e-5) -> np.ndarray:
    """Fills the removed pixels of each image with the weighted mean of their neighbours.

    Each removed pixel x_i satisfies sum_j w_ij (x_i - x_j) = 0 over its neighbours j inside the
    image (`NEIGHBOUR_WEIGHTS`), the kept pixels being fixed: a sparse symmetric system per image,
    removal and channel, solved for every plane at once in one compiled graph by conjugate
    gradients preconditioned with a coarse grid (until the residual falls by `tolerance`, at most
    H * W iterations). The coarse space holds one value per cell of `BLOCK` x `BLOCK` pixels (the
    removed pixels of a cell move together); its Galerkin matrix P^T A P is solved exactly, so
    the smooth error that plain conjugate gradients remove only slowly across a large hole goes
    in one step, and the iteration count grows less with the hole: 13 to 21 on 32x32 digits
    from 10 % to 80 % removed (MoRF by Grad-CAM, ROAD's tolerance 5e-4), against 16 to 60
    without the coarse grid. Gaussian noise of standard deviation `noise` is then added to the
    imputed pixels: one draw per image and channel, shared by the image's removals (a pixel
    imputed in several removals of one image gets the same noise, as a pixel perturbed twice
    keeps its value with the "noise" baseline). A removed region without kept neighbours (the
    whole image) becomes 0.

    Args:
        images: (B, H, W, C) float32 images.
        removed: (B, H, W) bool, True where a pixel is removed; or (B, K, H, W): K removals of
            each image (ROAD's percentages), solved in the same call.
        noise: standard deviation of the noise added to the imputed pixels.
        seed: seed of the noise.
        tolerance: relative residual at which the solver stops.

    Returns:
        (B, H, W, C) float32 images, or (B, K, H, W, C) for K removals per image; kept pixels
        unchanged.

    Raises:
        InputError: `removed` does not match the images' batch and size.

    References:
        Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution Methods"
        (ROAD), ICML 2022, Sec. 4.2 (Eq. 6, noisy linear imputation).
    """
    images = np.asarray(images, np.float32)
    removed = np.asarray(removed, bool)
    if removed.ndim not in (3, 4) or removed.shape[0] != len(images) or (
            removed.shape[-2:] != images.shape[1:3]):
        raise InputError(f"removed: expected ({len(images)}, [K,] {images.shape[1]}, "
                         f"{images.shape[2]}) masks for images of shape {images.shape}, got "
                         f"{describe(removed)}")
    filled = _imputer(*images.shape[1:3])(
        tf.convert_to_tensor(images), tf.convert_to_tensor(removed.reshape(
            len(images), -1, *images.shape[1:3])),
        tf.constant(noise, tf.float32), tf.constant([seed, 0], tf.int32),
        tf.constant(tolerance, tf.float32)).numpy()
    return filled if removed.ndim == 4 else filled[:, 0]


@functools.lru_cache(maxsize=8)
def _imputer(height: int, width: int):
    """The compiled imputation of (height, width) images: the coarse grid's shape is static (the
    last 8 image sizes are kept; the cache holds no model)."""
    spec = [tf.TensorSpec((None, height, width, None), tf.float32),
            tf.TensorSpec((None, None, height, width), tf.bool), tf.TensorSpec((), tf.float32),
            tf.TensorSpec((2,), tf.int32), tf.TensorSpec((), tf.float32)]
    return tf.function(functools.partial(_impute, _Grid(height, width)), input_signature=spec)


def _impute(grid, images, removed, noise, seed, tolerance):
    """The planes (image x removal x channel) become the channels of one (1, H, W, P) tensor:
    the neighbour sum is then one depthwise convolution, about 10x cheaper on a CPU than a
    one-channel conv2d over P images. The planes are padded to whole coarse cells."""
    (b, c), k, (h, w) = tf.unstack(tf.shape(images))[::3], tf.shape(removed)[1], grid.image
    pad = [[0, 0], [0, grid.height - h], [0, grid.width - w], [0, 0]]

    def planes_of(tensor):
        """(H, W, B, K or 1, C or 1) -> (1, H, W, B * K * C), image-major."""
        return tf.reshape(tf.broadcast_to(tensor, [h, w, b, k, c]), [1, h, w, b * k * c])

    planes = tf.pad(planes_of(tf.transpose(images, [1, 2, 0, 3])[:, :, :, None]), pad)
    mask = tf.pad(planes_of(tf.cast(tf.transpose(removed, [2, 3, 0, 1]), tf.float32)[
        ..., None]), pad)
    kernel = _kernel(b * k * c)
    degree = mask * _neighbours(tf.pad(tf.ones([1, h, w, 1]), pad), _kernel(1))
    operator = _Operator(mask, degree, kernel)
    solution = _conjugate_gradients(operator, grid, _coarse_inverse(operator, grid),
                                    mask * _neighbours((1 - mask) * planes, kernel),
                                    tolerance, h * w)
    draws = tf.random.stateless_normal([b * c, h, w, 1], seed)
    noisy = solution[:, :h, :w] + noise * planes_of(tf.reshape(tf.transpose(
        draws, [1, 2, 0, 3]), [h, w, b, 1, c]))
    filled = tf.where(mask[:, :h, :w] > 0, noisy, planes[:, :h, :w])
    return tf.transpose(tf.reshape(filled[0], [h, w, b, k, c]), [2, 3, 0, 1, 4])


def _kernel(planes):
    return tf.tile(_KERNEL, [1, 1, planes, 1])


def _neighbours(planes, kernel):
    return tf.nn.depthwise_conv2d(planes, kernel, [1, 1, 1, 1], "SAME")


def _window_sums(planes, window):
    """Sums of (1, H, W, P) planes over non-overlapping `window`s (a size or a (rows, columns)
    pair): a pooling, cheaper on a CPU than reduce_sum over the leading axes."""
    rows, columns = (window, window) if isinstance(window, int) else window
    return tf.nn.avg_pool2d(planes, window, window, "VALID") * float(rows * columns)


def _dot(a, b):
    """(1, 1, 1, P) per-plane dot products: one window over the whole plane."""
    return _window_sums(a * b, tuple(a.shape[1:3]))


class _Operator:
    """A u = degree * u - mask * neighbours(u): the equations of the removed pixels, applied to
    (1, H, W, P) planes that are 0 on the kept pixels."""

    def __init__(self, mask, degree, kernel):
        self.mask, self.degree, self.kernel = mask, degree, kernel

    def __call__(self, planes):
        return self.degree * planes - self.mask * _neighbours(planes, self.kernel)


class _Grid:
    """The coarse cells of (height, width) images: `BLOCK` pixels a side, smaller below 32 pixels
    (4 cells on the longer side) and larger above 64 (8 cells, so that the coarse matrices stay
    64 x 64); the planes are padded to whole cells. `pairs` lists the neighbouring pixels that lie
    in different cells (each unordered pair once), which alone couple two cells."""

    def __init__(self, height: int, width: int):
        side = max(height, width)
        self.block = max(-(-side // 8), min(BLOCK, -(-side // 4)))
        self.cells = (-(-height // self.block), -(-width // self.block))
        self.image = (height, width)
        self.height, self.width = (count * self.block for count in self.cells)
        self.pairs = self._pairs()

    def _pairs(self):
        """(pixel, neighbour, weight, cell * cells + neighbour's cell) of the pixels whose
        forward neighbour (right, below, below left or right) is in another cell, pixels indexed
        row-major in the padded planes."""
        rows, columns = np.divmod(np.arange(self.height * self.width), self.width)
        cell = (rows // self.block) * self.cells[1] + columns // self.block
        found = []
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            ny, nx = rows + dy, columns + dx
            inside = (ny < self.height) & (nx >= 0) & (nx < self.width)
            pixel = np.nonzero(inside)[0]
            neighbour = ny[pixel] * self.width + nx[pixel]
            crossing = cell[pixel] != cell[neighbour]
            pixel, neighbour = pixel[crossing], neighbour[crossing]
            weight = np.full(len(pixel), NEIGHBOUR_WEIGHTS[1 + dy, 1 + dx], np.float32)
            found.append((pixel, neighbour, weight,
                          cell[pixel] * self.cells[0] * self.cells[1] + cell[neighbour]))
        return tuple(np.concatenate(column) for column in zip(*found))

    def sums(self, planes):
        """P^T: (1, H, W, P) planes -> (cells, P) sums over each cell."""
        return tf.reshape(_window_sums(planes, self.block), [self.cells[0] * self.cells[1], -1])

    def spread(self, coarse, mask):
        """P: (cells, P) -> (1, H, W, P), each cell's value on its pixels where `mask` is 1 (one
        broadcasting product)."""
        rows, columns = self.cells
        cells = tf.reshape(mask, [rows, self.block, columns, self.block, -1])
        coarse = tf.reshape(coarse, [rows, 1, columns, 1, -1])
        return tf.reshape(cells * coarse, [1, self.height, self.width, -1])


def _coarse_matrices(operator, grid):
    """(P, cells, cells) Galerkin matrices P^T A P, P the cell indicators times the mask m.
    Entry (I, J), J != I, is -sum w_ij m_i m_j over the neighbouring pixels i in I and j in J,
    which lie on the cells' borders (`grid.pairs`: a gather of a few rows, not a pass over the
    planes). Entry (I, I) is sum_{i in I} m_i degree_i - sum_{i, j in I} w_ij m_i m_j, the
    within-cell sum being every neighbour pair's sum, sums(m * neighbours(m)), less the
    borders'."""
    pixel, neighbour, weight, pair = grid.pairs
    cells = grid.cells[0] * grid.cells[1]
    flat = tf.reshape(operator.mask, [grid.height * grid.width, -1])
    border = tf.math.unsorted_segment_sum(
        weight[:, None] * tf.gather(flat, pixel) * tf.gather(flat, neighbour), pair, cells ** 2)
    border = tf.transpose(tf.reshape(border, [cells, cells, -1]), [2, 0, 1])
    border += tf.linalg.matrix_transpose(border)
    inside = grid.sums(operator.degree - operator.mask * _neighbours(operator.mask,
                                                                     operator.kernel))
    return tf.linalg.set_diag(-border, tf.transpose(inside) + tf.reduce_sum(border, axis=2))


def _coarse_inverse(operator, grid):
    """(cells, cells, P) inverses of `_coarse_matrices`. Cells without a removed pixel get a 1
    on the diagonal, and the diagonal grows by 1e-3 relative, so that a whole image removed
    (singular) stays invertible."""
    coarse = _coarse_matrices(operator, grid)
    diagonal = tf.linalg.diag_part(coarse)
    return tf.transpose(tf.linalg.inv(tf.linalg.set_diag(
        coarse, tf.where(diagonal > 0, diagonal * (1 + 1e-3), 1.0))), [1, 2, 0])


def _conjugate_gradients(operator, grid, inverse, rhs, tolerance, max_iterations):
    """Solves A u = rhs per plane (channel), preconditioned by M r = r + P (P^T A P)^-1 P^T r
    (identity plus the exact coarse correction, symmetric positive definite), until every
    plane's squared residual is below tolerance^2 * (the largest squared rhs). The start is the
    coarse solution P (P^T A P)^-1 P^T rhs, which saves an iteration or two over a start at 0."""
    limit = tolerance ** 2 * tf.reduce_max(_dot(rhs, rhs))

    def coarse_solution(r):
        """((cells, P) coarse values (P^T A P)^-1 P^T r, (cells, P) sums P^T r)."""
        coarse_r = grid.sums(r)
        return tf.reduce_sum(inverse * coarse_r, axis=1), coarse_r

    def precondition(r, rr):
        """(M r, r . M r) from the residual r and its squared norm rr."""
        coarse, coarse_r = coarse_solution(r)
        rz = rr + tf.reduce_sum(coarse * coarse_r, axis=0)[None, None, None]
        return r + grid.spread(coarse, operator.mask), rz

    def body(u, r, p, rz, rr):
        ap = operator(p)
        alpha = tf.math.divide_no_nan(rz, _dot(p, ap))
        u, r = u + alpha * p, r - alpha * ap
        rr = _dot(r, r)
        z, rz_new = precondition(r, rr)
        return u, r, z + tf.math.divide_no_nan(rz_new, rz) * p, rz_new, rr

    start = grid.spread(coarse_solution(rhs)[0], operator.mask)
    residual = rhs - operator(start)
    rr = _dot(residual, residual)
    z, rz = precondition(residual, rr)
    return tf.while_loop(lambda *state: tf.reduce_max(state[4]) > limit, body,
                         (start, residual, z, rz, rr),
                         maximum_iterations=max_iterations)[0]
