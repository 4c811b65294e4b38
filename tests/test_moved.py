"""Old module paths that moved: they still import, give the new modules' objects, and warn."""

import importlib
import sys

import pytest

import cnn_explain_tf as cet
from cnn_explain_tf import _moved


@pytest.fixture
def forget_old_paths():
    """Drops the old paths from sys.modules (and the root's attributes) so each test warns."""
    def forget():
        for name in [n for n in sys.modules if _moved.new_path(n) is not None]:
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent in sys.modules:
                vars(sys.modules[parent]).pop(child, None)
    forget()
    yield
    forget()


@pytest.mark.parametrize("old, new, name", [
    ("cnn_explain_tf.reproduce", "cnn_explain_tf.studies.reproduce", "reproduce"),
    ("cnn_explain_tf.reproduce.stages", "cnn_explain_tf.studies.reproduce.stages", "build_chain"),
    ("cnn_explain_tf.architecture_study", "cnn_explain_tf.studies.architectures",
     "compare_architectures"),
    ("cnn_explain_tf.fill_blanks_study", "cnn_explain_tf.studies.fill_in_the_blanks",
     "run_study"),
    ("cnn_explain_tf.fill_blanks_study.models", "cnn_explain_tf.models.fill_blanks", "cnn3"),
    ("cnn_explain_tf.protocols.gan_balance", "cnn_explain_tf.studies.gan_balance",
     "BalanceConfig"),
    ("cnn_explain_tf.serving.command", "cnn_explain_tf.cli.export", "add_arguments"),
    ("cnn_explain_tf.metrics.perturbation", "cnn_explain_tf.metrics.faithfulness.curves",
     "patch_ranks"),
])
def test_an_old_path_is_the_new_module_with_a_warning(forget_old_paths, old, new, name):
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated.*use {new}$"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)


def test_a_tuple_target_merges_the_public_names(forget_old_paths):
    with pytest.warns(DeprecationWarning, match="use cnn_explain_tf.data.cgma_shards and "
                                                "cnn_explain_tf.training.cgma_writer"):
        from cnn_explain_tf.cgma_shards import build_cgma, read_manifests
    from cnn_explain_tf.data.cgma_shards import read_manifests as reader
    from cnn_explain_tf.training.cgma_writer import build_cgma as writer
    assert (build_cgma, read_manifests) == (writer, reader)


def test_an_old_attribute_of_the_package_warns(forget_old_paths):
    with pytest.warns(DeprecationWarning, match="cnn_explain_tf.studies.reproduce"):
        module = cet.reproduce
    assert module.reproduce is importlib.import_module("cnn_explain_tf.studies").reproduce.reproduce


def test_new_paths_and_unknown_names():
    assert _moved.new_path("cnn_explain_tf.reproduce.seeds") == (
        "cnn_explain_tf.studies.reproduce.seeds")
    assert _moved.new_path("cnn_explain_tf.explain") is None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        cet.nope  # noqa: B018


def test_the_package_resolves_its_subpackages_on_access():
    assert cet.cgma is importlib.import_module("cnn_explain_tf.explain.cgma")
    assert cet.explain is importlib.import_module("cnn_explain_tf.explain")
    assert {"cgma", "explain", "studies"} <= set(dir(cet))
