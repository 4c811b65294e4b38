"""Layer blocks shared by the zoo's builders: conv-BN-ReLU, bottlenecks, ceil-mode pooling."""

from __future__ import annotations

from keras import layers

__all__ = ["batch_norm", "bottleneck", "ceil_max_pool", "conv_bn_relu", "conv_relu"]


def batch_norm(name: str) -> layers.BatchNormalization:
    """Batch norm whose moving statistics settle within the few hundred steps of a quick run."""
    return layers.BatchNormalization(momentum=0.9, name=name)


def conv_bn_relu(x, filters: int, kernel_size: int, name: str, strides: int = 1):
    """A bias-free 'same' convolution, batch norm and ReLU, named `{name}_conv/_bn/_relu`."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                      name=f"{name}_conv")(x)
    x = batch_norm(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def conv_relu(x, filters: int, kernel_size: int, name: str, strides: int = 1, padding: int = 0,
              normalize: bool = False):
    """torchvision's `Conv2d(padding=p) + ReLU`: explicit zero padding, a 'valid' convolution
    with a bias (or, with `normalize`, without one and followed by batch norm), then ReLU."""
    if padding:
        x = layers.ZeroPadding2D(padding, name=f"{name}_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=strides, use_bias=not normalize,
                      name=name)(x)
    if normalize:
        x = batch_norm(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def ceil_max_pool(x, name: str, pool_size: int = 3, strides: int = 2):
    """torchvision's `MaxPool2d(3, 2, ceil_mode=True)`: the last, partial window is kept.

    The input is padded at the bottom/right by what the last window lacks. Zero padding equals
    torch's -inf padding here because the inputs are ReLU outputs (>= 0).
    """
    height, width = x.shape[1], x.shape[2]
    pad = [(-(size - pool_size)) % strides for size in (height, width)]
    if any(pad):
        x = layers.ZeroPadding2D(((0, pad[0]), (0, pad[1])), name=f"{name}_ceil_pad")(x)
    return layers.MaxPooling2D(pool_size, strides=strides, name=name)(x)


def bottleneck(x, filters: int, strides: int, name: str):
    """ResNet v1 bottleneck: 1x1 reduce, 3x3, 1x1 expand (4x), shortcut, add, ReLU.

    The shortcut is the identity where shapes allow it (stride 1, 4x`filters` channels in), else a
    1x1 projection with batch norm, as in ResNet's blocks after / at the start of a stage.
    """
    shortcut = x
    if strides != 1 or x.shape[-1] != 4 * filters:
        shortcut = layers.Conv2D(4 * filters, 1, strides=strides, use_bias=False,
                                 name=f"{name}_0_conv")(x)
        shortcut = batch_norm(name=f"{name}_0_bn")(shortcut)
    x = conv_bn_relu(x, filters, 1, name=f"{name}_1", strides=strides)
    x = conv_bn_relu(x, filters, 3, name=f"{name}_2")
    x = layers.Conv2D(4 * filters, 1, use_bias=False, name=f"{name}_3_conv")(x)
    x = batch_norm(name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.ReLU(name=f"{name}_out")(x)
