"""Tests of the tfds (mocked) and image-folder sources."""

import cv2
import numpy as np
import pytest
import tensorflow_datasets as tfds

import cnn_explain_tf as cet


def test_tfds_dataset_loads_as_float_images_and_int_labels():
    with tfds.testing.mock_data(num_examples=8):
        dataset = cet.data.load("tfds:mnist", "train", image_size=(16, 16), batch_size=4)
        batches = list(dataset)
    assert len(batches) == 2
    images, labels = batches[0]
    assert images.shape == (4, 16, 16, 1) and images.dtype.name == "float32"
    assert 0.0 <= float(images.numpy().min()) and float(images.numpy().max()) <= 1.0
    assert labels.dtype.name == "int32" and set(labels.numpy()) <= set(range(10))


def test_tfds_classes_filter_keeps_only_selected_labels():
    with tfds.testing.mock_data(num_examples=40):
        labels = [int(y) for _, y in cet.data.load("tfds:mnist", "test", classes=[0, 1, 2])]
    assert labels and set(labels) <= {0, 1, 2}


def test_tfds_info_reads_features_without_data(tmp_path):
    info = cet.data.info("tfds:emnist/letters", data_dir=str(tmp_path))
    assert info.image_shape == (28, 28, 1) and info.num_classes == 37
    assert info.semantics is None and not info.has_masks


def test_unprepared_tfds_dataset_says_how_to_download(tmp_path):
    with pytest.raises(cet.data.DatasetNotPreparedError, match="download_and_prepare"):
        cet.data.load("tfds:mnist", data_dir=str(tmp_path))
    assert issubclass(cet.data.DatasetNotPreparedError, FileNotFoundError)


def test_unknown_tfds_dataset_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="unknown tfds dataset 'no_such_set'"):
        cet.data.info("tfds:no_such_set", data_dir=str(tmp_path))


def test_tfds_and_folder_datasets_refuse_masks(tmp_path):
    with pytest.raises(ValueError, match="with_masks"):
        cet.data.load("tfds:mnist", with_masks=True, data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="with_masks"):
        cet.data.load(f"folder:{_write_folder(tmp_path, {'a': 2, 'b': 2})}", with_masks=True)


def test_folder_skips_corrupt_file_with_a_warning_naming_it(tmp_path):
    root = _write_folder(tmp_path, {"cats": 6, "dogs": 5})
    (root / "dogs" / "broken.png").write_bytes(b"this is not a png")
    (root / "dogs" / "notes.txt").write_text("ignored: not an image extension")
    with pytest.warns(UserWarning, match="broken.png"):
        images, labels = cet.data.load_arrays(f"folder:{root}", "all")
    assert images.shape == (11, 20, 24, 3) and images.dtype == np.float32
    assert sorted(labels.tolist()) == [0] * 6 + [1] * 5


def test_folder_images_are_decoded_exactly(tmp_path):
    root = _write_folder(tmp_path, {"a": 1, "b": 1})
    expected = cv2.imread(str(root / "a" / "0.png"))[..., ::-1] / 255.0
    images, labels = cet.data.load_arrays(f"folder:{root}", "all")
    np.testing.assert_allclose(images[labels == 0][0], expected, atol=1e-6)


def test_folder_info_lists_sorted_classes_and_native_shape(tmp_path):
    root = _write_folder(tmp_path, {"zebra": 2, "ant": 2, "mole": 2}, channels=1)
    info = cet.data.info(f"folder:{root}")
    assert info.class_names == ("ant", "mole", "zebra") and info.num_classes == 3
    assert info.image_shape == (20, 24, 1) and not info.has_masks


def test_folder_splits_partition_the_files(tmp_path):
    root = _write_folder(tmp_path, {"a": 30, "b": 30})
    counts = {s: len(cet.data.load_arrays(f"folder:{root}", s)[1]) for s in ("train", "test")}
    assert counts["train"] + counts["test"] == 60 and 0 < counts["test"] < counts["train"]


def test_folder_of_mixed_sizes_needs_image_size_to_batch(tmp_path):
    root = _write_folder(tmp_path, {"a": 2, "b": 2})
    cv2.imwrite(str(root / "b" / "big.png"), np.zeros((40, 30, 3), np.uint8))
    assert cet.data.info(f"folder:{root}").image_shape == (None, None, 3)
    with pytest.raises(ValueError, match="image_size"):
        cet.data.load(f"folder:{root}", "all", batch_size=2)
    images, _ = cet.data.load_arrays(f"folder:{root}", "all", image_size=(8, 8))
    assert images.shape == (5, 8, 8, 3)


def test_folder_with_one_class_or_no_images_is_rejected(tmp_path):
    one_class = _write_folder(tmp_path / "one", {"only": 3})
    with pytest.raises(ValueError, match="at least 2 class"):
        cet.data.load(f"folder:{one_class}")
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    (empty / "b").mkdir()
    with pytest.raises(ValueError, match="at least 2 class"):
        cet.data.info(f"folder:{empty}")
    with pytest.raises(ValueError, match="directory"):
        cet.data.info(f"folder:{tmp_path / 'missing'}")


def _write_folder(root, counts, channels=3):
    """Writes ``counts[class]`` random 20x24 PNGs per class sub-folder; returns ``root``."""
    rng = np.random.default_rng(0)
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            image = rng.integers(0, 256, (20, 24, channels), dtype=np.uint8)
            cv2.imwrite(str(root / name / f"{i}.png"), image)
    return root
