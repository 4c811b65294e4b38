"""Salt-and-pepper noise: exact corrupted fraction, half salt and half pepper, seeded."""

import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError

GREY = np.full((3, 10, 8, 3), 0.5, np.float32)


@pytest.mark.parametrize("amount", [0.0, 0.05, 0.3, 0.5, 1.0])
def test_exact_fraction_of_pixels_set_to_zero_or_one(amount):
    noisy = cet.metrics.salt_and_pepper(GREY, amount, seed=1)
    count = round(amount * 80)
    pepper, salt = (noisy == 0).all(-1), (noisy == 1).all(-1)
    np.testing.assert_array_equal(pepper.sum((1, 2)), [count // 2] * 3)
    np.testing.assert_array_equal(salt.sum((1, 2)), [count - count // 2] * 3)
    assert np.all((noisy == 0.5) | pepper[..., None] | salt[..., None])
    assert np.all(GREY == 0.5)  # input untouched


def test_same_seed_same_noise_and_images_differ():
    first, second = (cet.metrics.salt_and_pepper(GREY, 0.2, seed=7) for _ in range(2))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, cet.metrics.salt_and_pepper(GREY, 0.2, seed=8))
    assert not np.array_equal(first[0], first[1])


def test_bad_amounts_and_images_are_refused():
    with pytest.raises(InputError, match=r"amount: expected a number in \[0, 1\], got 1.5"):
        cet.metrics.salt_and_pepper(GREY, 1.5)
    with pytest.raises(TypeError, match="amount"):
        cet.metrics.salt_and_pepper(GREY, "0.1")
    with pytest.raises(InputError, match="images: expected at least one image"):
        cet.metrics.salt_and_pepper(GREY[:0], 0.1)
