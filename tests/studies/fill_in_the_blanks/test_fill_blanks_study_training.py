"""The study's classifier training: masked batches of the probe's kind, seeded, and a fit."""

import numpy as np

from cnn_explain_tf.models.fill_blanks import cnn3
from cnn_explain_tf.studies.fill_in_the_blanks.training import train_classifier, training_batches


def first_batches(count, **options):
    images = np.ones((10, 8, 8, 1), np.float32) * np.arange(1, 11, dtype=np.float32)[
        :, None, None, None] / 10
    labels = np.arange(10, dtype=np.int32)
    batches = training_batches(images, labels, batch_size=4, seed=3, **options)
    return [(x.numpy(), y.numpy()) for x, y in batches.take(count)]


def test_without_masking_the_batches_are_the_shuffled_images_unchanged():
    batches = first_batches(3)
    assert [len(y) for _, y in batches] == [4, 4, 2]  # one epoch, then the next one starts
    for x, y in batches:
        np.testing.assert_allclose(x, np.ones_like(x) * ((y + 1) / 10)[:, None, None, None])
    assert sorted(np.concatenate([y for _, y in batches])) == list(range(10))


def test_a_masked_image_has_exactly_the_ratio_of_patches_blanked():
    # 8x8 with patch 2: 16 patches, mask ratio 0.25 -> 4 patches = 16 pixels set to 0
    for x, y in first_batches(6, mask_probability=1.0, mask_ratio=0.25, patch_size=2):
        zeros = (x == 0).reshape(len(x), -1).sum(1)
        assert (zeros == 16).all()
        kept = x[x > 0].reshape(-1)
        np.testing.assert_allclose(np.unique(kept), np.unique((y + 1) / 10))
        patches = x.reshape(len(x), 4, 2, 4, 2)
        assert (patches.min((2, 4)) == patches.max((2, 4))).all()  # whole patches only


def test_masking_probability_and_seed():
    halves = first_batches(30, mask_probability=0.5)
    masked = np.concatenate([(x == 0).reshape(len(x), -1).any(1) for x, _ in halves])
    assert 0.3 < masked.mean() < 0.7
    again = first_batches(30, mask_probability=0.5)
    for (x, y), (x2, y2) in zip(halves, again):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)


def test_train_classifier_learns_two_classes_from_half_masked_images():
    rng = np.random.default_rng(0)
    labels = np.arange(64, dtype=np.int32) % 2
    images = (rng.uniform(0, 0.2, (64, 8, 8, 1)) + 0.7 * labels[:, None, None, None]).astype(
        np.float32)
    model = train_classifier(cnn3((8, 8, 1), 2), images, labels, epochs=6, batch_size=16, seed=0,
                             learning_rate=1e-2, mask_probability=0.5)
    assert np.mean(np.argmax(model.predict(images, verbose=0), -1) == labels) == 1.0
