"""Runs each documentation example in an empty folder of its own, the registry left as found."""

import pytest


@pytest.fixture
def example_folder(tmp_path, monkeypatch):
    """An empty working folder for one example; the explainer registry is restored after it."""
    from cnn_explain_tf.explain.base import REGISTRY

    registered = dict(REGISTRY)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    REGISTRY.clear()
    REGISTRY.update(registered)
