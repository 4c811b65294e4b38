"""The papers' datasets ("paper:NAME"): static metadata, tfds sources (mocked), folders under the
data root (generated), stroke masks, missing-data errors. Nothing downloads."""

import cv2
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import cnn_explain_tf as cet
from cnn_explain_tf.data import paper_sets
from cnn_explain_tf.data.paper_sets import DATA_ROOT_ENV, PAPER_SETS


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path))
    return tmp_path


def _write(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), pixels)


def test_info_needs_no_data_and_declares_semantics_and_masks(data_root):
    mnist, food = cet.data.info("paper:mnist"), cet.data.info("paper:food11")
    assert (mnist.num_classes, mnist.semantics, mnist.has_masks) == (10, "similar", True)
    assert (food.num_classes, food.semantics, food.has_masks) == (11, "dissimilar", False)
    assert cet.data.info("paper:emnist-letters").num_classes == 26
    assert cet.data.info("paper:chinese-mnist").image_shape == (64, 64, 1)
    with pytest.raises(ValueError, match="paper:animals10"):
        cet.data.info("paper:no-such-set")


def test_stroke_masks_cut_at_half_contrast_from_the_border_background():
    light_ink = np.zeros((1, 4, 4, 1), np.float32)
    light_ink[0, 1:3, 1:3, 0] = [[0.49, 0.5], [0.9, 0.1]]
    dark_ink = 1.0 - light_ink  # black strokes on a white scan: the same mask
    expected = np.array([[0, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]], np.float32)
    for images in (light_ink, dark_ink):
        np.testing.assert_array_equal(paper_sets.stroke_masks(images)[0, ..., 0], expected)


def test_tfds_paper_set_yields_masks_of_its_strokes():
    with tfds.testing.mock_data(num_examples=12):
        images, labels, masks = cet.data.load_arrays("paper:mnist", "test", with_masks=True)
    assert images.shape == (12, 28, 28, 1) and masks.shape == (12, 28, 28, 1)
    np.testing.assert_array_equal(masks, paper_sets.stroke_masks(images).numpy())
    assert 0 < masks.mean() < 1 and set(labels.tolist()) <= set(range(10))


def test_emnist_letters_shift_labels_to_26_classes_and_transpose_back():
    with tfds.testing.mock_data(num_examples=40):
        raw = tfds.load("emnist/letters", split="test", as_supervised=True)
        raw_images, raw_labels = zip(*[(i.numpy(), int(y)) for i, y in raw])
        images, labels = cet.data.load_arrays("paper:emnist-letters", "test")
    kept = [i for i, y in enumerate(raw_labels) if 1 <= y <= 26]
    assert labels.tolist() == [raw_labels[i] - 1 for i in kept]
    np.testing.assert_allclose(images[0, ..., 0], raw_images[kept[0]][..., 0].T / 255, atol=1e-6)


def test_cats_vs_dogs_splits_its_only_tfds_split(monkeypatch):
    asked = []

    def fake_tfds(name, split, data_dir):  # mock_data ignores split slices: record the request
        asked.append((name, split))
        image, label = tf.zeros((5, 7, 3), tf.uint8), tf.constant(1, tf.int64)
        return tf.data.Dataset.from_tensors((image, label))

    monkeypatch.setattr(paper_sets, "tfds_dataset", fake_tfds)
    for split in ("train", "test"):
        assert cet.data.load_arrays("paper:cats-vs-dogs", split, (8, 8))[1].tolist() == [1]
    assert asked == [("cats_vs_dogs", "train[:80%]"), ("cats_vs_dogs", "train[80%:]")]


def test_glyph_masks_refused_for_scene_sets(data_root):
    with pytest.raises(ValueError, match="with_masks"):
        cet.data.load("paper:cifar10", with_masks=True)


def test_chinese_mnist_reads_the_kaggle_flat_layout(data_root):
    folder = data_root / "chinese-mnist" / "data" / "data"
    for suite in range(1, 4):
        for code in (1, 15):
            pixels = np.full((64, 64), 255, np.uint8)
            pixels[20:40, 10 * suite:10 * suite + 8] = 0  # a dark stroke on the white scan
            _write(folder / f"input_{suite}_1_{code}.jpg", pixels)
    (data_root / "chinese-mnist" / "chinese_mnist.csv").write_text("suite_id,sample_id,code\n")
    images, labels, masks = cet.data.load_arrays("paper:chinese-mnist", "train",
                                                 with_masks=True, seed=0)
    test = cet.data.load_arrays("paper:chinese-mnist", "test")[1]
    assert len(labels) + len(test) == 6 and set(labels) | set(test) == {0, 14}
    assert images.shape[1:] == (64, 64, 1)
    assert 150 <= masks[0].sum() <= 170  # the 20x8 stroke, up to JPEG ringing


def test_food11_uses_its_training_and_evaluation_folders(data_root):
    names = PAPER_SETS["food11"].class_names
    for split, count in (("training", 2), ("evaluation", 1)):
        for name in names:
            for i in range(count):
                _write(data_root / "food11" / split / name / f"{i}.jpg",
                       np.full((10, 12, 3), 40 * i, np.uint8))
    train = cet.data.load_arrays("paper:food11", "train", image_size=(8, 8))[1]
    test = cet.data.load_arrays("paper:food11", "test", image_size=(8, 8))[1]
    assert sorted(train.tolist()) == sorted(list(range(11)) * 2)
    assert sorted(test.tolist()) == list(range(11))


def test_a_folder_with_other_classes_is_refused_naming_them(data_root):
    for name in ("cat", "dog"):
        _write(data_root / "animals10" / "raw-img" / name / "0.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=r"expected the class folders \['cane'.*got \['cat'"):
        cet.data.load("paper:animals10")


def test_a_missing_folder_names_the_download_page_and_the_path(data_root):
    with pytest.raises(cet.data.DatasetNotPreparedError,
                       match="alessiocorrado99/animals10.*") as error:
        paper_sets.check_prepared(["digits", "paper:animals10"])
    assert str(data_root / "animals10" / "raw-img") in str(error.value)
    assert DATA_ROOT_ENV in str(error.value)


def test_tfds_paper_sets_agree_with_the_tfds_metadata(tmp_path):
    from cnn_explain_tf.data.tfds_source import tfds_info

    for name in ("mnist", "kmnist", "cifar10", "cats-vs-dogs"):
        spec = PAPER_SETS[name]
        tfds_meta = tfds_info(spec.tfds[0], str(tmp_path))
        assert tfds_meta.num_classes == len(spec.class_names), name
        assert tfds_meta.image_shape == spec.image_shape, name
    assert tfds_info("emnist/letters", str(tmp_path)).num_classes == 26 + 11  # 1..26 used


def test_paper_images_batch_through_the_standard_pipeline():
    with tfds.testing.mock_data(num_examples=6):
        images, labels, masks = next(iter(cet.data.load("paper:kmnist", "train", (16, 16), True,
                                                        batch_size=6)))
    assert images.shape == (6, 16, 16, 1) and masks.shape == (6, 16, 16, 1)
    assert masks.dtype == tf.float32 and set(np.unique(masks.numpy())) <= {0.0, 1.0}
