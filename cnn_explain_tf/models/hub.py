"""keras-hub models for the explainers: presets with their scaling, encoders entered by graph."""

from __future__ import annotations

import importlib

import keras
from keras import ops

from cnn_explain_tf import graph
from cnn_explain_tf.validation import InputError, describe

INSTALL_HINT = 'keras-hub support needs the hub extra: pip install "cnn_explain_tf[hub]"'
VIT = "keras_hub.src.models.vit.vit_layers"
DINOV2 = "keras_hub.src.models.dinov2.dinov2_layers"
DEIT = "keras_hub.src.models.deit.deit_layers"
EFFICIENTNET = "keras_hub.src.models.efficientnet"
MOBILENET = "keras_hub.src.models.mobilenet.mobilenet_backbone"

__all__ = ["backbone_of", "from_preset", "keras_hub", "with_preprocessing"]


def keras_hub():
    """The keras_hub module, imported on first use; ImportError with the install line without it."""
    try:
        return importlib.import_module("keras_hub")
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error


def from_preset(preset: str, *, image_size: tuple[int, int] | None = None, **kwargs
                ) -> keras.Model:
    """A keras-hub `ImageClassifier` preset as a model of [0, 1] images, ready to explain.

    Loads `keras_hub.models.ImageClassifier.from_preset(preset, **kwargs)` (weights are
    downloaded by keras-hub) and puts its preprocessor's scaling in front (`with_preprocessing`).
    """
    classifier = keras_hub().models.ImageClassifier.from_preset(preset, **kwargs)
    return with_preprocessing(classifier, image_size=image_size)


def with_preprocessing(classifier: keras.Model, image_size: tuple[int, int] | None = None
                       ) -> keras.Model:
    """`classifier` behind its preprocessor's pixel scaling, as a model of [0, 1] images.

    A keras-hub `ImageClassifier` is called on preprocessed images: its preprocessor's image
    converter resizes raw [0, 255] pixels and applies `x * scale + offset` (e.g. ImageNet mean
    and standard deviation) before `classifier(x)`; `predict` does this, calling the model does
    not. The explainers take [0, 1] images, so the returned functional model starts with one
    `Rescaling(255 * scale, offset)` layer and then runs `classifier` (same weights). Maps are
    then over the [0, 1] image. Resizing is left to the caller: images must have
    `image_size` (default: the converter's, else the backbone's input size).

    Raises:
        InputError: `classifier` is not a keras-hub task with an image converter.
    """
    converter = getattr(getattr(classifier, "preprocessor", None), "image_converter", None)
    if converter is None:
        raise InputError(f"classifier: expected a keras-hub ImageClassifier with a preprocessor "
                         f"holding an image converter, got {describe(classifier)}; a model "
                         "without one is explained directly on the images it is given")
    size = tuple(image_size or converter.image_size or classifier.inputs[0].shape[1:3])
    images = keras.Input((*size, classifier.inputs[0].shape[-1]), name="images")
    scale = 255.0 * ops.convert_to_numpy(1.0 if converter.scale is None else converter.scale)
    offset = 0.0 if converter.offset is None else converter.offset
    scaled = keras.layers.Rescaling(scale, offset, name="preprocessing")(images)
    return keras.Model(images, classifier(scaled), name=f"{classifier.name}_on_unit_images")


def backbone_of(model: keras.Model) -> keras.Model:
    """The keras-hub `Backbone` inside `model` (itself, its `backbone`, or a nested one)."""
    backbone_class = keras_hub().models.Backbone
    if isinstance(model, backbone_class):
        return model
    for layer in getattr(model, "layers", ()):
        if isinstance(layer, keras.Model) and (found := _find_backbone(layer, backbone_class)):
            return found
    raise InputError(f"model: expected a keras-hub Backbone or a model containing one, got "
                     f"{describe(model)}")


def _find_backbone(model, backbone_class):
    if isinstance(model, backbone_class):
        return model
    return next((found for layer in getattr(model, "layers", ()) if isinstance(layer, keras.Model)
                 and (found := _find_backbone(layer, backbone_class))), None)


def _vit_encoder(layer, call, inputs):
    x = call(layer.dropout, inputs)
    for block in layer.encoder_layers:
        x = call(block, x)
    return call(layer.layer_norm, x)


def _vit_block(layer, call, inputs):
    """ViTEncoderBlock.call, with the attention layer returning (output, scores): a tap on
    `block.mha` gives the (B, heads, tokens, tokens) attention probabilities too."""
    x = call(layer.layer_norm_1, inputs)
    attended, _ = call(layer.mha, x, x, return_attention_scores=True)
    x = call(layer.dropout, attended) + inputs
    return x + call(layer.mlp, call(layer.layer_norm_2, x))


def _vit_mlp(layer, call, inputs):
    x = call(layer.dropout, call(layer.dense_1, inputs))
    return call(layer.dropout, call(layer.dense_2, x))


def _deit_encoder(layer, call, inputs, attention_masks=None, output_hidden_states=False,
                  return_attention_scores=False):
    """DeiTEncoder.call: (tokens, hidden states or an empty (0, T, D), scores or (0, h, T, T))."""
    x, states, scores = inputs, (), ()
    for index, block in enumerate(layer.encoder_layers):
        states += (x,)
        mask = None if attention_masks is None else attention_masks[index]
        x, block_scores = call(block, x, attention_mask=mask, return_attention_scores=True)
        scores += (block_scores,)
    tokens, dim = ops.shape(inputs)[1], ops.shape(inputs)[2]
    states = states + (x,) if output_hidden_states else ops.empty((0, tokens, dim), x.dtype)
    scores = scores if return_attention_scores else ops.empty(
        (0, layer.num_heads, tokens, tokens), x.dtype)
    return call(layer.layer_norm, x), states, scores


def _deit_block(layer, call, inputs, attention_mask=None, return_attention_scores=False):
    """DeiTEncoderBlock.call; its attention layer returns (output, scores) as in `_vit_block`."""
    x = call(layer.layer_norm_1, inputs)
    attended, scores = call(layer.mha, x, x, attention_mask=attention_mask,
                            return_attention_scores=True)
    x = attended + inputs
    y = call(layer.output_layer, call(layer.mlp, call(layer.layer_norm_2, x)), x)
    return y, scores if return_attention_scores else None


def _deit_output(layer, call, inputs, residual):
    return call(layer.dropout, call(layer.dense, inputs)) + residual


def _dinov2_encoder(layer, call, inputs, **kwargs):
    x, stages = inputs, {}
    for index, block in enumerate(layer.layers, start=1):
        x = stages[f"stage{index}"] = call(block, x, **kwargs)
    return x, stages


def _dinov2_layer(layer, call, inputs, **kwargs):
    x = call(layer.attention, call(layer.norm1, inputs, **kwargs), **kwargs)
    hidden = ops.add(call(layer.drop_path, call(layer.layer_scale1, x, **kwargs), **kwargs), inputs)
    x = call(layer.mlp, call(layer.norm2, hidden, **kwargs), **kwargs)
    return ops.add(call(layer.drop_path, call(layer.layer_scale2, x, **kwargs), **kwargs), hidden)


def _dinov2_attention(layer, call, inputs, training=None):
    """DINOV2Attention.call: its MultiHeadAttention entered, so attention methods find it."""
    return call(layer.dropout, call(layer.attention, inputs, inputs, inputs, training=training))


def _squeeze_excite(layer, call, x):
    """EfficientNet's squeeze-and-excite (channels last): x * se_conv2(se_conv1(mean_hw(x)))."""
    if not 0 < layer.se_ratio <= 1:
        return x
    squeezed = ops.mean(x, axis=(1, 2), keepdims=True)
    return ops.multiply(x, call(layer.se_conv2, call(layer.se_conv1, squeezed)))


def _efficientnet_residual(layer, call, x, inputs):
    if layer.strides == 1 and layer.input_filters == layer.output_filters and not layer.nores:
        x = ops.add(call(layer.dropout_layer, x) if layer.dropout else x, inputs)
    return x


def _mbconv(layer, call, inputs):
    x = inputs
    if layer.expand_ratio != 1:
        x = call(layer.act, call(layer.bn1, call(layer.conv1, x)))
    x = call(layer.act, call(layer.bn2, call(layer.depthwise, x)))
    x = _squeeze_excite(layer, call, x)
    x = call(layer.bn3, call(layer.output_conv, call(layer.output_conv_pad, x)))
    return _efficientnet_residual(layer, call, x, inputs)


def _fused_mbconv(layer, call, inputs):
    x = call(layer.act, call(layer.bn1, call(layer.conv1, call(layer.conv1_pad, inputs))))
    x = _squeeze_excite(layer, call, x)
    x = call(layer.bn2, call(layer.output_conv, call(layer.output_conv_pad, x)))
    if layer.expand_ratio == 1 and layer.projection_activation:
        x = call(layer.projection_act, x)
    return _efficientnet_residual(layer, call, x, inputs)


def _cba(layer, call, inputs):
    x = call(layer.act, call(layer.bn1, call(layer.conv1, call(layer.conv1_pad, inputs))))
    return _efficientnet_residual(layer, call, x, inputs)


def _mobilenet_squeeze_excite(layer, call, inputs):
    x = ops.mean(inputs, axis=layer.spatial_dims, keepdims=True)
    x = call(layer.conv_expand, call(layer.activation1, call(layer.conv_reduce, x)))
    return inputs * call(layer.gate, x)


def _mobilenet_depthwise(layer, call, inputs):
    x = call(layer.pad, inputs)
    x = call(layer.activation1, call(layer.batch_normalization1, call(layer.conv1, x)))
    if layer.squeeze_excite_ratio:
        x = call(layer.se_layer, x)
    x = call(layer.batch_normalization2, call(layer.conv2, x))
    return x + inputs if layer.residual else x


def _mobilenet_inverted_residual(layer, call, inputs):
    x = call(layer.activation1, call(layer.batch_normalization1, call(layer.conv1, inputs)))
    x = call(layer.pad, x)
    x = call(layer.activation2, call(layer.batch_normalization2, call(layer.conv2, x)))
    if layer.squeeze_excite:
        x = call(layer.squeeze_excite, x)
    x = call(layer.batch_normalization3, call(layer.conv3, x))
    return inputs + x if layer.stride == 1 and layer.infilters == layer.filters else x


def _mobilenet_conv_bn_act(layer, call, inputs):
    x = call(layer.batch_normalization, call(layer.conv, inputs))
    return call(layer.activation_layer, x)


graph.EXPANSIONS.update({
    f"{VIT}.ViTEncoder": _vit_encoder, f"{VIT}.ViTEncoderBlock": _vit_block,
    f"{VIT}.MLP": _vit_mlp, f"{DINOV2}.DINOV2Encoder": _dinov2_encoder,
    f"{DINOV2}.DINOV2Layer": _dinov2_layer, f"{DINOV2}.DINOV2Attention": _dinov2_attention,
    f"{DEIT}.DeiTEncoder": _deit_encoder,
    f"{DEIT}.DeiTEncoderBlock": _deit_block, f"{DEIT}.DeiTOutput": _deit_output,
    f"{DEIT}.DeiTIntermediate": lambda layer, call, inputs: call(layer.dense, inputs),
    f"{EFFICIENTNET}.mbconv.MBConvBlock": _mbconv,
    f"{EFFICIENTNET}.fusedmbconv.FusedMBConvBlock": _fused_mbconv,
    f"{EFFICIENTNET}.cba.CBABlock": _cba,
    f"{MOBILENET}.SqueezeAndExcite2D": _mobilenet_squeeze_excite,
    f"{MOBILENET}.DepthwiseConvBlock": _mobilenet_depthwise,
    f"{MOBILENET}.InvertedResidualBlock": _mobilenet_inverted_residual,
    f"{MOBILENET}.ConvBnActBlock": _mobilenet_conv_bn_act,
})
