"""The SFT-GAN generators shipped with the package: their names, files and model cards.

Each shipped generator is `cnn_explain_tf/pretrained/NAME.keras` with its model card
`NAME.json` beside it (also the generator's side-car: its "variant" field is what
`sft_gan.read_generator` reads). NAME is the variant and the paper's strategy that trained it:
"lsft-s1", "gsft-s1" (strategy 1, similar-semantics datasets) and "lsft-s2", "gsft-s2"
(strategy 2, dissimilar semantics). "lsft" and "gsft" name the default strategy of each variant,
recorded in its cards ("default": true): the strategy whose card generalises better to the
unseen pairs.

References: Guna et al., "Interpreting CNN Predictions using Conditional GANs",
arXiv 2301.08067, Sec. 4.1 (the two training strategies) and Sec. 4.3.4 (unseen pairs).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import keras

from cnn_explain_tf import artifacts
from cnn_explain_tf.models import sft  # noqa: F401 (registers the SFT layers load() reads)
from cnn_explain_tf.validation import InputError

__all__ = ["PRETRAINED_DIR", "card", "generator_path", "is_shipped", "load", "names", "resolve"]

PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"
"""The package data folder holding the shipped generators and their model cards."""


@functools.cache
def _cards() -> dict[str, dict]:
    """Shipped name -> model card, read once from `PRETRAINED_DIR`."""
    return {path.stem: json.loads(path.read_text())
            for path in sorted(PRETRAINED_DIR.glob("*.json"))}


def _aliases() -> dict[str, str]:
    """"lsft"/"gsft" -> the shipped name of that variant's default strategy."""
    return {found["variant"]: name for name, found in _cards().items() if found.get("default")}


def names() -> list[str]:
    """Every name `resolve` accepts: the variants ("lsft", "gsft") and the shipped names."""
    return sorted({*_aliases(), *_cards()})


def _shipped_name(name) -> str:
    """`name` case-insensitive, "_" and "-" alike, a variant replaced by its default."""
    key = str(name).lower().replace("_", "-")
    return _aliases().get(key, key)


def is_shipped(name) -> bool:
    """Whether `resolve` accepts `name`: a variant or a shipped generator."""
    return _shipped_name(name) in _cards()


def resolve(name: str) -> str:
    """The shipped name of `name` ("lsft" -> its default, e.g. "lsft-s2"); case-insensitive,
    "_" and "-" alike.

    Raises:
        InputError: a name that is neither a variant nor a shipped generator.
    """
    key = _shipped_name(name)
    if key not in _cards():
        raise InputError(f"name: expected one of the shipped SFT-GAN generators "
                         f"{', '.join(names())}, got {name!r}")
    return key


def card(name: str) -> dict:
    """The model card of a shipped generator (data, classifiers, recipe, seed, commit, sha256,
    measured numbers); see `resolve` for the names."""
    return dict(_cards()[resolve(name)])


def generator_path(name: str) -> Path:
    """The `.keras` file of a shipped generator; see `resolve` for the names."""
    return PRETRAINED_DIR / f"{resolve(name)}.keras"


def load(name: str) -> keras.Model:
    """The shipped generator `name` (see `resolve`), read once per process and shared by every
    explainer built on it (its compiled step is traced once for all classifiers)."""
    return _load(resolve(name))


@functools.cache
def _load(name: str) -> keras.Model:
    return artifacts.load_model(PRETRAINED_DIR / f"{name}.keras", "name")
