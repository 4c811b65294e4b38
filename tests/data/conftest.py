"""Fixtures of the data tests: a private dataset cache for the whole session."""

import pytest

from cnn_explain_tf.data.cache import CACHE_ENV_VAR


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory):
    """Points the dataset cache at a fresh folder, so tests generate (and time) from scratch."""
    with pytest.MonkeyPatch.context() as patch:
        root = tmp_path_factory.mktemp("cache")
        patch.setenv(CACHE_ENV_VAR, str(root))
        yield root
