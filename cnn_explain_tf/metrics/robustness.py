"""Robustness probes: salt-and-pepper noise with an exact, seeded fraction of corrupted pixels."""

from __future__ import annotations

import numpy as np

from cnn_explain_tf.metrics._checks import check_fraction
from cnn_explain_tf.validation import check_images


def salt_and_pepper(images, amount: float, seed: int = 0) -> np.ndarray:
    """Sets exactly round(amount * H * W) pixel positions of each image to 0 or 1 (all channels).

    Positions are drawn without replacement, independently per image; half of them (rounded
    down) become pepper (0), the rest salt (1). The input is not modified.

    Args:
        images: (B, H, W, C) floats in [0, 1].
        amount: fraction of pixel positions to corrupt, in [0, 1].
        seed: same seed, same noise.

    Returns:
        float32 (B, H, W, C) noisy copy.

    References:
        Fig. 12-13 of Guna et al., arXiv 2301.08067 (amounts 0.05 to 0.5).
    """
    images = check_images(images, (None, None, None)).copy()
    amount = check_fraction("amount", amount)
    batch, height, width, _ = images.shape
    count = int(round(amount * height * width))
    rng = np.random.default_rng(seed)
    positions = np.argsort(rng.random((batch, height * width)), axis=1)[:, :count]
    values = np.where(np.arange(count) < count // 2, 0.0, 1.0).astype(np.float32)
    flat = images.reshape(batch, height * width, -1)
    np.put_along_axis(flat, positions[..., None], values[None, :, None], axis=1)
    return flat.reshape(images.shape)


