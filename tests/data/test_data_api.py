"""Tests of the data API's argument checks, class split and cache writing."""

import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.data import cache


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="digits, letters, symbols.*tfds:NAME.*folder:PATH"):
        cet.data.load("mnist")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"split": "validation"}, "split"),
        ({"image_size": (0, 8)}, "image_size"),
        ({"image_size": 32}, "image_size"),
        ({"seed": -1}, "seed"),
        ({"batch_size": 0}, "batch_size"),
        ({"classes": [10]}, "classes"),
        ({"classes": []}, "classes"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cet.data.load("digits", **{"split": "test", **kwargs})


def test_non_string_name_is_a_type_error():
    with pytest.raises(TypeError, match="str"):
        cet.data.info(3)


def test_dataset_info_is_frozen():
    info = cet.data.info("digits")
    with pytest.raises(AttributeError):
        info.num_classes = 3


@pytest.mark.parametrize("num_classes", [2, 3, 10, 26])
def test_class_split_is_disjoint_sorted_and_covering(num_classes):
    train, held_out = cet.data.class_split(num_classes, held_out_fraction=0.3, seed=5)
    assert train and held_out and not set(train) & set(held_out)
    assert sorted(train + held_out) == list(range(num_classes))
    assert list(train) == sorted(train) and list(held_out) == sorted(held_out)


def test_class_split_is_deterministic_for_a_seed_and_varies_across_seeds():
    assert cet.data.class_split(10, seed=1) == cet.data.class_split(10, seed=1)
    assert len({cet.data.class_split(10, seed=s) for s in range(5)}) > 1
    assert len(cet.data.class_split(10, held_out_fraction=0.3)[1]) == 3


@pytest.mark.parametrize(("num_classes", "fraction"), [(1, 0.3), (10, 0.0), (10, 1.0)])
def test_class_split_rejects_bad_arguments(num_classes, fraction):
    with pytest.raises(ValueError):
        cet.data.class_split(num_classes, held_out_fraction=fraction)


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV_VAR, str(tmp_path))
    assert cet.data.cache_dir() == tmp_path
    monkeypatch.delenv(cache.CACHE_ENV_VAR)
    assert cet.data.cache_dir().parts[-2:] == (".cache", "cnn_explain_tf")


class _Unpicklable:
    def __reduce__(self):
        raise RuntimeError("cannot serialise")


def test_failed_write_leaves_nothing_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV_VAR, str(tmp_path))
    arrays = {"a": np.arange(1000), "b": np.array([_Unpicklable()], dtype=object)}
    with pytest.raises(RuntimeError, match="cannot serialise"):
        cache.cached_arrays("broken", {"v": 1}, lambda: arrays)
    assert list((tmp_path / "datasets").iterdir()) == []


def test_unreadable_cache_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV_VAR, str(tmp_path))
    params = {"v": 1}
    path = tmp_path / "datasets" / f"x-{cache.cache_key(params)}.npz"
    path.parent.mkdir()
    path.write_bytes(b"truncated")
    arrays = cache.cached_arrays("x", params, lambda: {"a": np.arange(3)})
    np.testing.assert_array_equal(arrays["a"], np.arange(3))
    with np.load(path) as stored:
        np.testing.assert_array_equal(stored["a"], np.arange(3))
