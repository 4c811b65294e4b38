"""Tests of the embedded offline datasets: shapes, ranges, masks, determinism, pipeline."""

import functools

import cv2
import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.data import embedded, glyphs, scenes

GLYPHS = ("digits", "letters", "symbols", "lowercase")
SCENES = ("shapes64", "objects32", "textures", "patterns32")
NAMES = ("digits", "letters", "symbols", "shapes64", "objects32", "textures", "lowercase",
         "patterns32")


def test_list_datasets_names_all_embedded_sets():
    assert cet.data.list_datasets() == list(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_info_describes_the_generated_data(name):
    info = cet.data.info(name)
    images, labels, masks = _test_split(name)

    assert info.name == name and info.has_masks
    assert info.semantics == ("similar" if name in GLYPHS else "dissimilar")
    assert len(info.class_names) == info.num_classes >= 10
    assert images.shape[1:] == info.image_shape and len(images) >= 1000
    assert images.dtype == np.float32 and 0.0 <= images.min() and images.max() <= 1.0
    assert labels.dtype == np.int32 and set(labels.tolist()) == set(range(info.num_classes))
    assert masks.shape == images.shape[:3] + (1,) and masks.dtype == np.float32
    assert set(np.unique(masks).tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("name", NAMES)
def test_train_split_has_several_thousand_images(name):
    assert embedded.EMBEDDED[name].num_train >= 3000


@pytest.mark.parametrize("name", NAMES)
def test_every_mask_covers_part_of_the_image(name):
    _, _, masks = _test_split(name)
    area = masks.mean(axis=(1, 2, 3))
    assert area.min() > 0.005 and area.max() < 0.7


@pytest.mark.parametrize("name", GLYPHS)
def test_glyph_ink_lies_inside_the_mask(name):
    images, _, masks = _test_split(name)
    inside = (images * masks).sum(axis=(1, 2, 3)) / masks.sum(axis=(1, 2, 3))
    outside = (images * (1 - masks)).sum(axis=(1, 2, 3)) / (1 - masks).sum(axis=(1, 2, 3))
    assert (inside - outside).min() > 0.15


@pytest.mark.parametrize("name", SCENES)
def test_scene_mask_edge_separates_object_from_surroundings(name):
    images, _, masks = _test_split(name)
    masks = masks[..., 0].astype(np.uint8)
    rings = np.stack([cv2.dilate(m, np.ones((3, 3), np.uint8)) for m in masks]) - masks
    inside = _masked_mean(images, masks)
    ring = _masked_mean(images, rings)
    assert np.abs(inside - ring).mean(axis=1).mean() > 0.2


@pytest.mark.parametrize("name", ("shapes64", "objects32"))
def test_solid_objects_have_one_colour_exactly_inside_the_mask(name):
    images, _, masks = _test_split(name)
    spread = [images[i][masks[i, ..., 0] > 0].std(axis=0).max() for i in range(len(images))]
    assert np.median(spread) < 0.04


def test_same_seed_regenerates_identical_data(tmp_path, monkeypatch):
    first = cet.data.load_arrays("objects32", "test", with_masks=True, seed=3)
    monkeypatch.setenv("CNN_EXPLAIN_TF_CACHE", str(tmp_path))
    second = cet.data.load_arrays("objects32", "test", with_masks=True, seed=3)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_different_seed_gives_different_data():
    first = _test_split("symbols")[0]
    second, _ = cet.data.load_arrays("symbols", "test", seed=1)
    assert np.abs(first - second).mean() > 0.05


def test_generation_is_cached_to_disk_without_temporary_files(session_cache):
    _test_split("digits")
    files = [p.name for p in (session_cache / "datasets").iterdir()]
    assert any(f.startswith("digits-test-seed0-") and f.endswith(".npz") for f in files)
    assert not [f for f in files if f.endswith(".tmp")]


def test_digit_train_and_test_come_from_different_originals():
    train = np.concatenate(glyphs._digit_originals("train")).reshape(-1, 64)
    test = np.concatenate(glyphs._digit_originals("test")).reshape(-1, 64)
    assert len(train) + len(test) == 1797 and len(test) >= 300
    assert not {row.tobytes() for row in train} & {row.tobytes() for row in test}


def test_resize_keeps_masks_binary_and_channels_native():
    dataset = cet.data.load("shapes64", "test", image_size=(24, 20), with_masks=True, batch_size=16)
    images, labels, masks = next(iter(dataset))
    assert images.shape == (16, 24, 20, 3) and labels.shape == (16,)
    assert masks.shape == (16, 24, 20, 1)
    assert set(np.unique(masks.numpy()).tolist()) == {0.0, 1.0}
    assert 0.0 <= float(images.numpy().min()) and float(images.numpy().max()) <= 1.0


def test_unbatched_elements_have_native_shape():
    image, label = next(iter(cet.data.load("textures", "test")))
    assert image.shape == (48, 48, 1) and image.dtype.name == "float32"
    assert label.shape == () and label.dtype.name == "int32"


def test_classes_keep_original_labels_and_last_batch_is_short():
    dataset = cet.data.load("digits", "test", classes=[7, 3], batch_size=64)
    labels = np.concatenate([y.numpy() for _, y in dataset])
    expected = np.sum(np.isin(_test_split("digits")[1], [3, 7]))
    assert set(labels.tolist()) == {3, 7} and len(labels) == expected
    assert len(labels) % 64 != 0


def test_train_is_shuffled_by_seed_and_test_is_not():
    _, ordered = cet.data.load_arrays("digits", "train")
    shuffled = [int(y) for _, y in cet.data.load("digits", "train", seed=0).take(50)]
    again = [int(y) for _, y in cet.data.load("digits", "train", seed=0).take(50)]
    test = [int(y) for _, y in cet.data.load("digits", "test").take(50)]
    assert shuffled == again and shuffled != ordered[:50].tolist()
    assert test == _test_split("digits")[1][:50].tolist()


@pytest.mark.parametrize("name", SCENES)
def test_scene_classes_are_drawable_shapes(name):
    assert set(embedded.EMBEDDED[name].class_names) <= set(scenes.SHAPES)


def test_shape_programs_fit_the_unit_disk():
    for program in scenes.SHAPES.values():
        reach = max(np.linalg.norm(polygon, axis=1).max() for _, polygon in program)
        assert reach == pytest.approx(1.0)


@functools.cache
def _test_split(name: str) -> tuple[np.ndarray, ...]:
    """The whole test split of ``name`` with masks, loaded once per session."""
    return cet.data.load_arrays(name, "test", with_masks=True)


def _masked_mean(images: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per-image, per-channel mean of ``images`` over ``masks`` (N,H,W) in {0,1}."""
    weights = masks[..., None].astype(np.float32)
    return (images * weights).sum(axis=(1, 2)) / np.maximum(weights.sum(axis=(1, 2)), 1)
