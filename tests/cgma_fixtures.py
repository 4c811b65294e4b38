"""Shared CGMA fixtures: a tiny saved classifier run and the CGMA shards built from it."""

import json

import numpy as np
import pytest
from helpers import classifier

from cnn_explain_tf.data import cgma_shards
from cnn_explain_tf.training import cgma_writer

SPEC = cgma_shards.ShardSpec(image_size=(16, 16), channels=3, k=3, max_examples=6)


@pytest.fixture(scope="module")
def classifiers_dir(tmp_path_factory):
    """A tiny digits classifier saved like a `train-classifiers` run (16x16 grayscale, k <= 3)."""
    root = tmp_path_factory.mktemp("classifiers")
    model = classifier(size=16, channels=1, classes=10)
    model.save(root / "digits__tiny.keras")
    meta = {"dataset": "digits", "arch": "tiny", "test_accuracy": 0.5}
    (root / "digits__tiny.json").write_text(json.dumps(meta))
    return root


@pytest.fixture(scope="module")
def shards_dir(classifiers_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("shards")
    counts = cgma_writer.build_cgma(classifiers_dir, out, SPEC, verbose=0)
    assert counts == {"digits__tiny": 12}
    return out


def read_arrays(root, split="train", **kwargs):
    """All (image, cgma, target) of a split's shards, concatenated."""
    batches = list(cgma_shards.load_cgma_shards(root, split, batch_size=64, **kwargs)
                   .as_numpy_iterator())
    return tuple(np.concatenate(parts) for parts in zip(*batches))
