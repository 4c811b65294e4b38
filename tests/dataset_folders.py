"""Image folders for the dataset-explanation tests: mixed sizes, grayscale, a corrupt file."""

import cv2
import numpy as np
import pytest
from helpers import classifier, images


def write_folder(root, count: int, corrupt: bool = True, seed: int = 0):
    """`count` PNGs in two class sub-folders (sizes 16, 20 and 24, one grayscale), plus one
    corrupt file; returns the readable files' relative paths in sorted order."""
    names = []
    for index, image in enumerate(images(count, size=24, seed=seed)):
        size = (16, 20, 24)[index % 3]
        pixels = cv2.resize((image * 255).astype(np.uint8), (size, size))
        if index == 1:
            pixels = pixels[..., 0]  # grayscale
        name = f"{'ab'[index % 2]}/img{index:03d}.png"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / name), pixels)
        names.append(name)
    if corrupt:
        (root / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (root / "a" / "notes.txt").write_text("not an image")
    return sorted(names)


def saved_classifier(tmp_path_factory, model=None):
    """The path of `model` (default: a tiny 16x16, 4-class classifier) saved as a .keras file."""
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    (classifier(size=16, classes=4) if model is None else model).save(path)
    return path


def image_folder(tmp_path_factory, count: int):
    """A fresh folder written by `write_folder(root, count)`."""
    root = tmp_path_factory.mktemp("images")
    write_folder(root, count)
    return root


@pytest.fixture(scope="module")
def model():
    """A tiny 16x16, 4-class classifier (the fixture the batch and scale tests share)."""
    return classifier(size=16, classes=4)


@pytest.fixture(scope="module")
def model_path(model, tmp_path_factory):
    return saved_classifier(tmp_path_factory, model)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return image_folder(tmp_path_factory, 7)
