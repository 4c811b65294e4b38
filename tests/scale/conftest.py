"""Shared fixtures of the dataset-explanation tests: a tiny classifier and an image folder."""

import pytest
from dataset_folders import write_folder
from helpers import classifier


@pytest.fixture(scope="module")
def model():
    return classifier(size=16, classes=4)


@pytest.fixture(scope="module")
def model_path(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    write_folder(root, 7)
    return root
