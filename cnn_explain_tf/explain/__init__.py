"""Explainers: a classifier and a batch of images in, (B, H, W) heat maps in [0, 1] out."""

import functools

from cnn_explain_tf.explain import pretrained, targets, tokens
from cnn_explain_tf.explain.attention import (
    AttentionExplainer,
    AttentionRollout,
    GradientAttention,
    attention_rollout,
    gradient_attention_rollout,
)
from cnn_explain_tf.explain.attributions import (
    GradientSHAP,
    GradientXInput,
    IntegratedGradients,
    SignedAttributions,
    attribution_magnitude,
    attribution_map,
)
from cnn_explain_tf.explain.base import REGISTRY, Explainer
from cnn_explain_tf.explain.cam import (
    BaseCAM,
    GradCAM,
    GradCAMPlusPlus,
    GuidedGradCAM,
    ScoreCAM,
    gradcam_plus_plus_weights,
    gradcam_weights,
    weighted_cam,
)
from cnn_explain_tf.explain.cam_extra import FEM, FullGrad, fem_map, fullgrad_map
from cnn_explain_tf.explain.cam_variants import (
    AblationCAM,
    EigenCAM,
    HiResCAM,
    LayerCAM,
    XGradCAM,
    ablation_weights,
    first_principal_component,
    hirescam_map,
    layercam_map,
    xgradcam_weights,
)
from cnn_explain_tf.explain.deeplift import DeepLIFT
from cnn_explain_tf.explain.gradient_statistics import (
    NoisyGradients,
    SmoothGrad,
    SquareGrad,
    VarGrad,
)
from cnn_explain_tf.explain.gradients import (
    Deconvnet,
    GuidedBackprop,
    InputGradients,
    LRPEpsilon,
    VanillaGradients,
)
from cnn_explain_tf.explain.hsic import HSIC
from cnn_explain_tf.explain.lrp_composites import (
    LRP,
    Composite,
    LRPAlphaBeta,
    LRPEpsilonAlpha2Beta1,
    LRPEpsilonGammaBox,
    LRPEpsilonPlusFlat,
    LRPGamma,
    LRPZPlus,
)
from cnn_explain_tf.explain.perturbations import RISE, Occlusion, occlusion_corners, patch_masks
from cnn_explain_tf.explain.sft_gan import (
    SFTGANExplainer,
    TrainedGenerator,
    load_generator,
)
from cnn_explain_tf.explain.sobol import Sobol
from cnn_explain_tf.explain.superpixels import Superpixels, grid_segments, slic_segments
from cnn_explain_tf.explain.surrogates import LIME, KernelSHAP
from cnn_explain_tf.validation import InputError


def names(model=None) -> list[str]:
    """Registered explainer names, e.g. for the CLI's `--method`; with `model`, the ones that
    apply to it (the attention methods need `keras.layers.MultiHeadAttention` layers)."""
    if model is None or tokens.attention_layers(model):
        return sorted(REGISTRY)
    return sorted(name for name, cls in REGISTRY.items()
                  if not issubclass(cls, AttentionExplainer))


def get(name: str):
    """The explainer class registered under `name` (case-insensitive, '-' and '_' alike), or for
    "lsft" / "gsft" (and "lsft-s1", "lsft-s2", "gsft-s1", "gsft-s2") the factory
    `(model, batch_size=32) -> SFTGANExplainer` of the SFT-GAN generator shipped with the package
    (`SFTGANExplainer.pretrained`; `SFTGANExplainer(model, path)` takes another generator).

    Raises:
        InputError: unknown name; the message lists the registered and the shipped ones.
    """
    key = str(name).lower().replace("-", "_")
    if key in REGISTRY:
        return REGISTRY[key]
    if pretrained.is_shipped(key):
        return functools.partial(SFTGANExplainer.pretrained, name=key)
    raise InputError(f"name: expected one of {', '.join(names())} or a shipped SFT-GAN "
                     f"generator ({', '.join(pretrained.names())}), got {name!r}")


__all__ = ["BaseCAM", "Composite", "Deconvnet", "Explainer", "GradCAM", "GradCAMPlusPlus",
           "GuidedBackprop", "GuidedGradCAM", "HSIC", "InputGradients", "KernelSHAP", "LIME", "LRP",
           "LRPAlphaBeta", "LRPEpsilon", "LRPEpsilonAlpha2Beta1", "LRPEpsilonGammaBox",
           "LRPEpsilonPlusFlat", "LRPGamma", "LRPZPlus", "ScoreCAM", "SmoothGrad", "Sobol",
           "Superpixels", "VanillaGradients", "get", "gradcam_plus_plus_weights", "gradcam_weights",
           "grid_segments", "names", "slic_segments", "weighted_cam"]
__all__ += ["SFTGANExplainer", "TrainedGenerator", "load_generator", "pretrained"]  # CGMA: cet.cgma
__all__ += ["AblationCAM", "EigenCAM", "HiResCAM", "LayerCAM", "XGradCAM", "ablation_weights",
            "first_principal_component", "hirescam_map", "layercam_map", "targets",
            "xgradcam_weights"]
__all__ += ["RISE", "GradientXInput", "IntegratedGradients", "Occlusion", "SignedAttributions",
            "attribution_magnitude", "occlusion_corners", "patch_masks"]
__all__ += ["AttentionExplainer", "AttentionRollout", "GradientAttention", "attention_rollout",
            "gradient_attention_rollout", "tokens"]
__all__ += ["DeepLIFT", "FEM", "FullGrad", "fem_map", "fullgrad_map"]
__all__ += ["GradientSHAP", "NoisyGradients", "SquareGrad", "VarGrad", "attribution_map"]
