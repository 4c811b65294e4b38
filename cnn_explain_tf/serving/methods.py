"""Which explainers an export holds: registered names, "all", trained generators, objects."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import keras

from cnn_explain_tf import explain
from cnn_explain_tf.explain import Explainer, SFTGANExplainer, TrainedGenerator
from cnn_explain_tf.validation import InputError, describe

__all__ = ["exportable_methods", "generators_of", "resolve_methods"]


def resolve_methods(model: keras.Model, methods: Sequence,
                    generators: dict[str, SFTGANExplainer], output: int | None = None
                    ) -> dict[str, Explainer | type[Explainer]]:
    """Signature name -> explainer (built) or explainer class (built later, may fail).

    Raises:
        InputError: an unknown name, lsft/gsft without its generator, an Explainer of another
            model, a repeated name, or a generator that does not fit `model`.
    """
    methods = [methods] if isinstance(methods, (str, Explainer)) else list(methods)
    if not methods:
        raise InputError("methods: expected at least one method name, got none")
    resolved: dict = {}
    for method in methods:
        for name, explainer in _resolve_one(model, method, generators, output).items():
            if name in resolved:
                raise InputError(f"methods: expected each method once, got {name!r} twice")
            resolved[name] = explainer
    for name, explainer in generators.items():
        resolved.setdefault(name, explainer)
    return resolved


def exportable_methods(model: keras.Model) -> dict:
    """What `methods="all"` exports: signature name -> explainer class (or a factory with the
    class's `graph_options`), every registered explainer that applies to `model`; the attention
    methods only for a model with attention layers."""
    found = {}
    for name in explain.names(model):
        cls = explain.get(name)
        found[name] = functools.partial(cls, **cls.graph_options) if cls.graph_options else cls
    return found


def _resolve_one(model, method, generators, output) -> dict:
    if isinstance(method, Explainer):
        if method.model is not model:
            raise InputError(f"methods: expected explainers built on the exported model "
                             f"'{model.name}', got {method.name!r} built on '{method.model.name}'")
        return {method.name: method}
    if method == "all":
        return exportable_methods(model)
    if method in generators:
        return {method: generators[method]}
    if method in explain.sft_gan.VARIANTS or method == explain.sft_gan.UNKNOWN_VARIANT_NAME:
        raise InputError(f"generator: method {method!r} needs its trained generator "
                         f"(generator=... / --generator PATH), got {sorted(generators) or None}")
    if not isinstance(method, str) or method.lower().replace("-", "_") not in explain.names():
        raise InputError(f"methods: expected names among {', '.join(explain.names())}, 'all', "
                         f"lsft/gsft with a generator, or Explainer objects; got "
                         f"{describe(method)}")
    return {explain.get(method).name: explain.get(method)}


def generators_of(model: keras.Model, generator) -> dict[str, SFTGANExplainer]:
    """Name ("lsft"/"gsft"/"sft_gan") -> the SFT-GAN explainer of `model`, one per generator.

    Raises:
        InputError: two generators of one variant, an `SFTGANExplainer` of another model, or a
            generator that does not fit `model` (k larger than its conv layers).
    """
    if generator is None:
        return {}
    many = isinstance(generator, (list, tuple))
    found = {}
    for one in generator if many else [generator]:
        explainer = _sft_gan_explainer(model, one)
        if explainer.name in found:
            raise InputError(f"generator: expected one generator per variant, got two "
                             f"{explainer.name!r} generators")
        found[explainer.name] = explainer
    return found


def _sft_gan_explainer(model: keras.Model, generator) -> SFTGANExplainer:
    """The `SFTGANExplainer` of `model` with `generator` (a path, a Keras generator, an
    explainer built on `model` or a deprecated `TrainedGenerator`)."""
    if isinstance(generator, SFTGANExplainer):
        if generator.model is not model:
            raise InputError(f"generator: expected an SFTGANExplainer built on the exported "
                             f"model '{model.name}', got one built on '{generator.model.name}'")
        return generator
    if isinstance(generator, TrainedGenerator):  # deprecated; it warned when it was made
        return generator(model)
    if isinstance(generator, os.PathLike):
        generator = Path(generator)
    return SFTGANExplainer(model, generator)
