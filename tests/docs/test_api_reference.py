"""The API reference covers every public module and every name its `__all__` lists."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys

import pytest
from blocks import REPO


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_api", REPO / "docs" / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = load_generator()
OPTIONAL_ENGINES = {"apache_beam", "ray"}
"""Packages of the optional extras `beam` and `ray`: a page whose module needs a missing one is
skipped (`.ci/run` installs both before the strict site build)."""
PAGES = {page.name: page for page in GEN.public_modules()}


def test_every_public_module_has_a_page():
    package = importlib.import_module("cnn_explain_tf")
    on_disk = {name for name in GEN.MODULE_NAMES if not name.endswith("__main__")}
    assert on_disk <= set(PAGES) | {f"{package.__name__}.cli.__main__"}
    assert {"cnn_explain_tf.explain.cam", "cnn_explain_tf.data.cgma_shards.reader",
            "cnn_explain_tf.studies.reproduce"} <= set(PAGES)


@pytest.mark.parametrize("name", sorted(name for name in PAGES if not name.endswith("__main__")))
def test_page_lists_what_the_module_exports(name):
    """The page renders exactly the module's runtime `__all__`: each name is a member of the
    page, or a module with a page of its own that the page links to."""
    try:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        values = {attribute: getattr(module, attribute) for attribute in exported or ()}
    except ModuleNotFoundError as error:
        if error.name not in OPTIONAL_ENGINES:
            raise
        pytest.skip(f"{name} needs the optional {error.name}")
    page = PAGES[name]
    assert (exported is None) == (page.exported is None), name
    if exported is None:
        return
    assert sorted(exported) == sorted(page.exported), name
    text = GEN.page_text(page)
    for attribute, value in values.items():
        if inspect.ismodule(value):
            assert value.__name__ in PAGES, f"{name}.{attribute}: no page for {value.__name__}"
            assert f"`{value.__name__}`" in text, f"{name}: no link to {value.__name__}"
        else:
            assert attribute in page.members(), f"{name}.{attribute} is not on its page"


def test_generator_reads_augmented_all():
    explain = importlib.import_module("cnn_explain_tf.explain")
    assert set(PAGES["cnn_explain_tf.explain"].exported) == set(explain.__all__)
    assert "IntegratedGradients" in PAGES["cnn_explain_tf.explain"].members()


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("mkdocs") is None and importlib.util.find_spec("mkdocs") is None,
                    reason="the docs extra is not installed (pip install -e '.[docs]')")
def test_site_builds_strictly_with_an_entry_per_public_name(tmp_path):
    """`mkdocs build --strict` passes, and each page holds an anchor per `__all__` member
    (e2e: a build takes about 15 s; `.ci/run` also builds the site)."""
    site = tmp_path / "site"
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d",
                            str(site)], cwd=REPO, capture_output=True, text=True,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1",
                                "DISABLE_MKDOCS_2_WARNING": "true"})
    assert build.returncode == 0, build.stderr[-3000:]
    for name, page in PAGES.items():
        members = page.members()
        if not members:
            continue
        html = (site / page.page.removesuffix(".md") / "index.html").read_text()
        anchors = set(re.findall(r'id="([^"]+)"', html))
        missing = [member for member in members if f"{name}.{member}" not in anchors]
        assert not missing, f"{name}: no API entry for {missing}"
