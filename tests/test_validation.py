"""Tests of the shared checks: positive ints, choices and frozen dataclass configs."""

import dataclasses

import numpy as np
import pytest

from cnn_explain_tf.validation import (
    InputError,
    check_choice,
    check_config,
    check_positive_int,
)


@dataclasses.dataclass(frozen=True)
class Recipe:
    epochs: int
    cap: int | None = None
    optimizer: str = "adam"

    def __post_init__(self):
        check_config(self, positive=["epochs"], optional_positive=["cap"],
                     choices={"optimizer": ("adam", "sgd")})


def test_positive_int_accepts_numpy_ints_and_refuses_bools_and_small_values():
    assert check_positive_int("n", np.int64(3)) == 3
    assert check_positive_int("seed", 0, minimum=0) == 0
    with pytest.raises(TypeError, match="n: expected an int >= 1, got True"):
        check_positive_int("n", True)
    with pytest.raises(InputError, match="k: expected an int >= 2, got 1"):
        check_positive_int("k", 1, minimum=2)


def test_choice_names_the_options():
    assert check_choice("split", "test", ("train", "test")) == "test"
    with pytest.raises(InputError, match=r"split: expected one of \['train', 'test'\], got 'dev'"):
        check_choice("split", "dev", ("train", "test"))


def test_config_accepts_valid_fields():
    assert Recipe(epochs=2, cap=None).epochs == 2
    assert Recipe(epochs=2, cap=5, optimizer="sgd").cap == 5


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"epochs": 0}, InputError, "epochs: expected an int >= 1, got 0"),
    ({"epochs": 1.5}, TypeError, "epochs: expected an int >= 1, got 1.5"),
    ({"cap": 0}, InputError, "cap: expected an int >= 1, got 0"),
    ({"optimizer": "rmsprop"}, InputError, r"optimizer: expected one of \['adam', 'sgd'\]"),
])
def test_config_refuses_bad_fields_by_name(change, error, message):
    with pytest.raises(error, match=message):
        dataclasses.replace(Recipe(epochs=1), **change)


def test_config_must_be_a_dataclass():
    with pytest.raises(TypeError, match="config: expected a dataclass instance"):
        check_config({"epochs": 1}, positive=["epochs"])
