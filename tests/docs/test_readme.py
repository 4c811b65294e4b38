"""The README stays short, installs first, shows its picture, and links only to files that exist."""

import re

from blocks import REPO, blocks

README = REPO / "README.md"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_is_short_and_installs_near_the_top():
    lines = README.read_text().splitlines()
    assert len(lines) <= 220
    install = next(index for index, line in enumerate(lines) if "pip install" in line)
    assert install < 30


def test_readme_example_saves_an_overlay():
    python = [block for block in blocks(README) if block.language == "python"]
    assert python and len(python[0].code.splitlines()) <= 10
    assert "cet.viz.save_png" in python[0].code


def test_local_links_and_pictures_exist():
    """Relative links and the picture of the README point at files of the repository (the docs
    pages' links are checked by `mkdocs build --strict`)."""
    targets = [target for target in LINK.findall(README.read_text()) if "://" not in target]
    assert "docs/assets/explainers.png" in targets
    missing = [target for target in targets if not (REPO / target).exists()]
    assert not missing
