"""Relevance mass / rank, top-k, AUC and attribution localisation: by hand and by direction."""

import numpy as np
import pytest

import cnn_explain_tf as cet

MASK = np.zeros((1, 4, 4), bool)
MASK[0, :2, :2] = True  # 4 of 16 pixels
MAP = np.zeros((1, 4, 4), np.float32)
MAP[0, 0, 0], MAP[0, 3, 3], MAP[0, 1, 1], MAP[0, 2, 2] = 4.0, 2.0, 1.0, -1.0


def test_values_by_hand():
    assert cet.metrics.relevance_mass(MAP, MASK).scores[0] == pytest.approx(5 / 6)
    # the 4 highest pixels: 4 (in), 2 (out), 1 (in), then a 0 in row-major order: (0, 1), in
    assert cet.metrics.relevance_rank(MAP, MASK).scores[0] == pytest.approx(3 / 4)
    assert cet.metrics.top_k_intersection(MAP, MASK, k=2 / 16).scores[0] == pytest.approx(0.5)
    assert cet.metrics.attribution_localisation(MAP, MASK).scores[0] == pytest.approx(5 / 7)
    assert cet.metrics.attribution_localisation(MAP, MASK, weighted=True).scores[0] == (
        pytest.approx(5 / 7 * 4))


def test_auc_by_hand():
    # inside: 4, 1, 0, 0; outside: 2, -1 and ten 0s. P(in > out) + 0.5 P(tie) over 4 x 12 pairs:
    # 4 beats 12; 1 beats 11 (not the 2); each 0 beats the -1 (1) and ties ten 0s (5) -> 6 each
    assert cet.metrics.auc(MAP, MASK).scores[0] == pytest.approx((12 + 11 + 6 + 6) / 48)


def test_an_empty_mask_is_not_counted():
    assert np.isnan(cet.metrics.relevance_rank(MAP, np.zeros_like(MASK)).scores[0])
    assert np.isnan(cet.metrics.auc(MAP, np.zeros_like(MASK)).scores[0])


@pytest.mark.parametrize("name", ["relevance_mass", "relevance_rank", "top_k_intersection",
                                  "auc", "attribution_localisation"])
def test_the_exact_attribution_beats_a_random_map_beyond_the_intervals(name):
    rng = np.random.default_rng(0)
    masks = np.zeros((32, 8, 8), bool)
    masks[:, 2:6, 1:5] = True
    weights = np.where(masks[0], rng.random((8, 8)) * 0.02 + 0.01, 0.0)  # relevant inside only
    images = rng.random((32, 8, 8)).astype(np.float32)
    good, random = weights[None] * images, rng.random((32, 8, 8)).astype(np.float32)
    metric = getattr(cet.metrics, name)
    better, worse = metric(good, masks), metric(random, masks)
    assert better.higher_is_better and better.better_than(worse), (better.interval,
                                                                   worse.interval)
