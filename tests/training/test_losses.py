"""The SFT-GAN losses (pix2pix, Isola et al. 2017, Eq. 1-4) against hand-computed values."""

import math

import numpy as np
import pytest

from cnn_explain_tf.training import losses

LN3 = math.log(3.0)  # sigmoid(ln 3) = 3 / (3 + 1) = 0.75, sigmoid(-ln 3) = 0.25


def test_sigmoid_cross_entropy_of_zero_logits_is_log_two():
    # sigmoid(0) = 1/2, so -log(1/2) = ln 2 = 0.693147 for either label
    assert float(losses.sigmoid_cross_entropy(np.zeros((2, 3, 3, 1)), 1.0)) == pytest.approx(
        0.693147, abs=1e-6)
    # mean of ln 2 (logit 0) and -log 0.75 = 0.287682 (logit ln 3): (0.693147 + 0.287682) / 2
    logits = np.array([[0.0], [LN3]], np.float32)
    assert float(losses.sigmoid_cross_entropy(logits, 1.0)) == pytest.approx(0.490415, abs=1e-6)


def test_discriminator_loss_sums_real_and_fake_terms():
    # D(x, y) = sigmoid(ln 3) = 0.75 judged real: -log 0.75 = 0.287682
    # D(x, G) = sigmoid(-ln 3) = 0.25 judged fake: -log(1 - 0.25) = 0.287682; sum 0.575364
    real, fake = np.full((1, 2, 2, 1), LN3, np.float32), np.full((1, 2, 2, 1), -LN3, np.float32)
    assert float(losses.discriminator_loss(real, fake)) == pytest.approx(0.575364, abs=1e-6)
    # an undecided D (logits 0): ln 2 + ln 2 = 1.386294
    zeros = np.zeros((1, 2, 2, 1), np.float32)
    assert float(losses.discriminator_loss(zeros, zeros)) == pytest.approx(1.386294, abs=1e-6)


def test_one_sided_label_smoothing_softens_only_the_real_target():
    # real: BCE(0.75, 0.9) = -(0.9 log 0.75 + 0.1 log 0.25) = 0.258914 + 0.138629 = 0.397543;
    # fake judged 0.25 against 0 as before: 0.287682; sum 0.685225
    real, fake = np.full((1, 2, 2, 1), LN3, np.float32), np.full((1, 2, 2, 1), -LN3, np.float32)
    assert float(losses.discriminator_loss(real, fake, 0.9)) == pytest.approx(0.685225, abs=1e-6)
    # a perfect D cannot go below the entropy of 0.9: -(0.9 log 0.9 + 0.1 log 0.1) = 0.325083
    best = np.full((1, 1), math.log(9.0), np.float32)  # sigmoid(log 9) = 0.9
    assert float(losses.discriminator_loss(best, np.full((1, 1), -40.0), 0.9)) == pytest.approx(
        0.325083, abs=1e-6)


def test_generator_adversarial_loss_is_non_saturating():
    # -log D(x, G): D = 0.75 -> 0.287682; D = 0.25 -> -log 0.25 = 1.386294
    assert float(losses.generator_adversarial_loss(np.full((1, 1), LN3))) == pytest.approx(
        0.287682, abs=1e-6)
    assert float(losses.generator_adversarial_loss(np.full((1, 1), -LN3))) == pytest.approx(
        1.386294, abs=1e-6)


def test_reconstruction_losses_mse_and_l1():
    target = np.array([0.0, 1.0, 1.0, 0.0], np.float32).reshape(1, 2, 2, 1)
    generated = np.array([0.5, 0.5, 1.0, 0.0], np.float32).reshape(1, 2, 2, 1)
    # errors 0.5, 0.5, 0, 0: MSE (0.25 + 0.25) / 4 = 0.125, L1 (0.5 + 0.5) / 4 = 0.25
    assert float(losses.reconstruction_loss(target, generated)) == pytest.approx(0.125)
    assert float(losses.reconstruction_loss(target, generated, "mae")) == pytest.approx(0.25)


def test_generator_loss_weights_the_terms():
    # 100 * 0.125 + 1 * 0.287682 = 12.787682 (pix2pix Eq. 4 with lambda = 100)
    assert float(losses.generator_loss(0.125, 0.287682, 100.0, 1.0)) == pytest.approx(12.787682)
