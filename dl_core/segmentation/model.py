"""Segmentation networks in Keras layers: U-Net and DeepLab (atrous convolutions + ASPP).

U-Net (Ronneberger, Fischer & Brox 2015): an encoder halves the resolution ``depth`` times,
a decoder doubles it back, and skip connections concatenate each encoder stage onto the
decoder stage of the same size, so fine detail lost by pooling comes back.

DeepLabV3+ (Chen et al. 2017, 2018): the encoder stops striding at 1/8 (or 1/16) of the
input and keeps its field of view growing with atrous (dilated) convolutions; atrous
spatial pyramid pooling (ASPP) looks at several dilation rates at once, plus the image
average; a light decoder adds stride-4 detail back before upsampling to the input size.

Why not keras-hub or keras-cv: keras-cv's DeepLabV3Plus and SegFormer fail to build at small
sizes with this Keras. keras-hub 0.32's ``DeepLabV3Backbone`` builds offline, but only on a
keras-hub ``Backbone`` with ``pyramid_outputs`` (its ``ResNetBackbone`` insists on 64 filters
in the first stage: 1.1 M parameters, slow on 2 CPU cores), cannot take our offline ImageNet
encoders, and hides its ASPP branches inside nested layers we want to show. Built here instead.

Every stage ends in a layer named for it (``enc1``.. ``bottleneck``, ``dec1``.., ``aspp_rate2``,
``aspp_out``, ``decoder``) so :func:`stage_layers` can read feature maps along the network.
"""

from __future__ import annotations

import re

import numpy as np

ARCHITECTURES = ("unet", "deeplab")
ENCODERS = ("scratch", "mobilenet_v2", "efficientnet_lite0")
UPSAMPLING = ("transpose", "bilinear")
_STAGE = re.compile(r"^(enc\d+|bottleneck|dec\d+|aspp_(1x1|rate\d+|pool|out)|decoder)$")


def conv_block(x, filters: int, name: str, *, stride: int = 1, dilation: int = 1):
    """Two 3×3 convolutions, each followed by batch norm and ReLU; the last ReLU is ``name``."""
    from keras import layers

    for i in (1, 2):
        x = layers.Conv2D(
            filters,
            3,
            strides=stride if i == 1 else 1,
            dilation_rate=dilation,
            padding="same",
            use_bias=False,
            name=f"{name}_conv{i}",
        )(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.ReLU(name=name if i == 2 else f"{name}_relu{i}")(x)
    return x


def padded_size(size: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is at least ``size``."""
    return int(np.ceil(size / multiple) * multiple)


def _pad(x, size: int, multiple: int):
    """Zero-pad an (S, S) input so every pooling step divides evenly; return (x, padding)."""
    from keras import layers

    extra = padded_size(size, multiple) - size
    pad = ((extra // 2, extra - extra // 2), (extra // 2, extra - extra // 2))
    return (layers.ZeroPadding2D(pad, name="pad")(x) if extra else x), pad


def _crop(x, pad):
    from keras import layers

    return layers.Cropping2D(pad, name="crop")(x) if any(sum(p) for p in pad) else x


def _head(x, n_classes: int):
    from keras import layers

    return layers.Conv2D(n_classes, 1, activation="softmax", dtype="float32", name="classes")(x)


# -- pretrained ImageNet encoder -------------------------------------------------------------
def pretrained_encoder(name: str, size: int):
    """Frozen ImageNet network ``name`` rebuilt for (size, size, 3) images in [0, 1].

    Returns a Keras model whose outputs are the last layer of the last block at strides 2,
    4, 8, 16 and 32 (``size`` must be a multiple of 32). The offline model has a fixed
    224×224 input; it is cloned at the new size (convolutions do not care) and its weights
    copied. Normalisation to what the weights expect is part of the model.
    """
    import keras

    from dl_core.assets import imagenet

    if size % 32:
        raise ValueError("the pretrained encoder needs a size that is a multiple of 32")
    base = imagenet.imagenet_model(name)
    inp = keras.Input((size, size, 3), name=f"{name}_input")
    clone = keras.models.clone_model(base, input_tensors=inp)
    clone.set_weights(base.get_weights())
    by_stride = {}
    for group, names in imagenet.blocks(clone):
        if group == "top":
            continue
        out = clone.get_layer(names[-1]).output
        by_stride[size // out.shape[1]] = out  # later blocks at the same stride win
    spec = imagenet.IMAGENET_MODELS[name]
    image = keras.Input((size, size, 3), name="image01")
    norm = keras.layers.Normalization(
        axis=-1,
        mean=[m / 255 for m in spec.mean],
        variance=[(s / 255) ** 2 for s in spec.std],
        name="imagenet_norm",
    )(image)
    features = keras.Model(clone.input, [by_stride[s] for s in (2, 4, 8, 16, 32)])
    encoder = keras.Model(image, features(norm), name=f"{name}_encoder")
    encoder.trainable = False
    return encoder


# -- U-Net -------------------------------------------------------------------------------
def build_unet(
    image_size: int,
    n_classes: int,
    *,
    depth: int = 3,
    width: int = 16,
    skips: bool = True,
    upsampling: str = "transpose",
    encoder: str = "scratch",
):
    """A U-Net for (S, S, 3) images in [0, 1] returning (S, S, n_classes) softmax masks.

    Args:
        depth: how many times the encoder halves the resolution (the decoder doubles back).
        width: filters of the first stage; each level down doubles them.
        skips: concatenate encoder stages onto the decoder (off: a plain encoder-decoder).
        upsampling: "transpose" (learned 2×2 transposed convolution) or "bilinear".
        encoder: "scratch", or a frozen offline ImageNet network ("mobilenet_v2",
            "efficientnet_lite0") whose blocks at strides 2..2^depth replace enc2..bottleneck.
    """
    import keras
    from keras import layers

    inputs = keras.Input((image_size, image_size, 3), name="image")
    multiple = 32 if encoder != "scratch" else 2**depth
    x, pad = _pad(inputs, image_size, multiple)
    stages = []
    if encoder == "scratch":
        for i in range(depth):
            x = conv_block(x, width * 2**i, f"enc{i + 1}")
            stages.append(x)
            x = layers.MaxPooling2D(2, name=f"pool{i + 1}")(x)
        x = conv_block(x, width * 2**depth, "bottleneck")
    else:
        feats = pretrained_encoder(encoder, padded_size(image_size, 32))(x)
        stages.append(conv_block(x, width, "enc1"))
        for i in range(1, depth):
            stages.append(layers.Identity(name=f"enc{i + 1}")(feats[i - 1]))
        x = conv_block(feats[depth - 1], width * 2**depth, "bottleneck")
    for i in reversed(range(depth)):
        f = width * 2**i
        if upsampling == "transpose":
            x = layers.Conv2DTranspose(f, 2, strides=2, name=f"up{i + 1}")(x)
        else:
            x = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{i + 1}")(x)
        if skips:
            x = layers.Concatenate(name=f"skip{i + 1}")([x, stages[i]])
        x = conv_block(x, f, f"dec{i + 1}")
    x = _crop(x, pad)
    name = f"unet_{'skips' if skips else 'noskips'}"
    return keras.Model(inputs, _head(x, n_classes), name=name)


# -- DeepLab -----------------------------------------------------------------------------
def build_deeplab(
    image_size: int,
    n_classes: int,
    *,
    width: int = 16,
    rates: tuple[int, ...] = (2, 4, 6),
    encoder: str = "scratch",
):
    """DeepLabV3+ for (S, S, 3) images in [0, 1] returning (S, S, n_classes) softmax masks.

    Scratch encoder: three stride-2 stages (1/8 resolution), then an atrous stage (dilation
    2) that widens the field of view without losing resolution. Pretrained encoder: the
    ImageNet network's stride-16 block. ASPP: a 1×1 branch, one 3×3 branch per rate in
    ``rates``, and image pooling; the decoder adds the stride-4 features back.
    """
    import keras
    from keras import layers

    inputs = keras.Input((image_size, image_size, 3), name="image")
    x, pad = _pad(inputs, image_size, 32 if encoder != "scratch" else 8)
    if encoder == "scratch":
        low = conv_block(conv_block(x, width, "enc1", stride=2), 2 * width, "enc2", stride=2)
        x = conv_block(low, 4 * width, "enc3", stride=2)
        x = conv_block(x, 4 * width, "enc4", dilation=2)
        up = 2
    else:
        feats = pretrained_encoder(encoder, padded_size(image_size, 32))(x)
        low = layers.Identity(name="enc2")(feats[1])
        x = layers.Identity(name="enc4")(feats[3])
        up = 4
    f = 4 * width
    branches = [_conv_bn_relu(x, f, 1, 1, "aspp_1x1")]
    for r in rates:
        branches.append(_conv_bn_relu(x, f, 3, int(r), f"aspp_rate{int(r)}"))
    h, w = x.shape[1], x.shape[2]
    pool = layers.GlobalAveragePooling2D(keepdims=True, name="aspp_gap")(x)
    pool = _conv_bn_relu(pool, f, 1, 1, "aspp_pool_conv")
    branches.append(layers.UpSampling2D((h, w), name="aspp_pool")(pool))
    x = layers.Concatenate(name="aspp_concat")(branches)
    x = _conv_bn_relu(x, f, 1, 1, "aspp_out")
    x = layers.UpSampling2D(up, interpolation="bilinear", name="up_to_stride4")(x)
    low = _conv_bn_relu(low, width, 1, 1, "low_level")
    x = layers.Concatenate(name="skip_low_level")([x, low])
    x = conv_block(x, f, "decoder")
    x = layers.UpSampling2D(4, interpolation="bilinear", name="up_to_input")(x)
    x = _crop(x, pad)
    return keras.Model(inputs, _head(x, n_classes), name="deeplab_v3plus")


def _conv_bn_relu(x, filters: int, kernel: int, dilation: int, name: str):
    from keras import layers

    x = layers.Conv2D(
        filters,
        kernel,
        dilation_rate=dilation,
        padding="same",
        use_bias=False,
        name=f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=name)(x)


def _stage_order(name: str) -> tuple[int, int]:
    num = int(re.sub(r"\D", "", name) or 0)
    if name.startswith("enc"):
        return 0, num
    if name == "bottleneck":
        return 1, 0
    if name.startswith("aspp"):
        return 2, {"aspp_1x1": 0, "aspp_pool": 100, "aspp_out": 101}.get(name, num)
    if name == "decoder":
        return 3, 0
    return 4, -num  # dec3, dec2, dec1: back up to full resolution


def stage_layers(model) -> list[str]:
    """Names of the layers that end a stage, input to output: encoder, bottleneck or ASPP,
    decoder (sorted by name, since a reloaded model may list its layers in another order)."""
    return sorted((la.name for la in model.layers if _STAGE.match(la.name)), key=_stage_order)
