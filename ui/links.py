"""A link back from a job to the page (and view) that trains it, with its settings in the URL.

The Jobs page shows one per row. Each page mirrors its controls into the URL under short
names (see :mod:`ui.state`); ``PARAMS`` lists, per training function's module, which Config
field each name holds. Fields a page does not mirror come from the preset the link names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dl_core import config as cfglib
from dl_core import topics
from ui.figures import page_href
from ui.state import dump

# module of the training function -> (page file, {Config field: URL name}, fixed URL params)
PARAMS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "dl_core.basics": (
        "app_pages/basics.py",
        dict(
            dataset="data",
            n_points="n",
            noise="noise",
            test_ratio="test",
            activation="act",
            loss="loss",
            optimizer="opt",
            learning_rate="lr",
            batch_size="batch",
            reg_rate="rate",
            epochs="epochs",
            seed="seed",
        ),
        {},
    ),
    "dl_core.cnn": (
        "app_pages/cnn.py",
        dict(
            dataset="dataset",
            blocks="blocks",
            filters="filters",
            kernel_size="kernel_size",
            pooling="pooling",
            dropout="dropout",
            l2="l2",
            optimizer="optimizer",
            learning_rate="learning_rate",
            epochs="epochs",
            batch_size="batch_size",
            seed="seed",
        ),
        {},
    ),
    "dl_core.transfer": (
        "app_pages/transfer_learning.py",
        dict(
            classes="classes",
            per_class="per",
            backbone="bb",
            head_epochs="he",
            head_lr="hlr",
            unfreeze_blocks="ub",
            fine_tune_epochs="fe",
            fine_tune_lr="flr",
            scratch_epochs="se",
            batch_size="bs",
            max_seconds="budget",
            seed="seed",
            mode="inspect",
        ),
        {},
    ),
    "dl_core.detection": (
        "app_pages/detection.py",
        dict(
            n_train="n_train",
            max_objects="objects",
            max_occlusion="occl",
            texture="texture",
            epochs="epochs",
            learning_rate="lr",
            seed="seed",
        ),
        {},
    ),
    "dl_core.segmentation": (
        "app_pages/segmentation.py",
        dict(
            dataset="data",
            architecture="arch",
            encoder="enc",
            image_size="size",
            n_train="n",
            depth="depth",
            width="width",
            skips="skips",
            upsampling="up",
            epochs="epochs",
            seed="seed",
        ),
        {},
    ),
    "dl_core.text_generation": (
        "app_pages/text_generation.py",
        dict(
            level="level",
            cell="cell",
            layers="layers",
            units="units",
            embedding="emb",
            seq_len="seq",
            dropout="drop",
            optimizer="opt",
            learning_rate="lr",
            batch_size="batch",
            epochs="epochs",
            steps_per_epoch="spe",
            budget_s="budget",
            seed="seed",
        ),
        {},
    ),
    "dl_core.attention": (
        "app_pages/attention.py",
        dict(layers="t_layers", heads="t_heads", epochs="t_epochs", seed="seed"),
        {"view": "Train a tiny transformer"},
    ),
    "dl_core.gan.dcgan": (
        "app_pages/gan.py",
        dict(
            dataset="data",
            image_size="size",
            max_images="n",
            seed="seed",
            latent_dim="latent",
            g_depth="g_depth",
            g_width="g_width",
            d_depth="d_depth",
            d_width="d_width",
            g_lr="g_lr",
            d_lr="d_lr",
            d_steps="d_steps",
            label_smoothing="smooth",
            batch_size="g_batch",
            epochs="g_epochs",
        ),
        {},
    ),
    "dl_core.gan.vae": (
        "app_pages/gan.py",
        dict(
            dataset="data",
            image_size="size",
            max_images="n",
            seed="seed",
            kind="kind",
            latent_dim="v_latent",
            width="v_width",
            noise="noise",
            lr="v_lr",
            batch_size="v_batch",
            epochs="v_epochs",
        ),
        {},
    ),
    "dl_core.dqn": (
        "app_pages/dqn.py",
        dict(
            width="width",
            depth="depth",
            lr="lr",
            gamma="gamma",
            eps_start="eps0",
            eps_end="eps1",
            eps_decay_steps="epsd",
            buffer_size="buffer",
            batch_size="batch",
            learning_starts="starts",
            train_freq="freq",
            gradient_steps="grad",
            target_update="target",
            target_period="period",
            tau="tau",
            loss="loss",
            double="double",
            total_steps="steps",
            env_id="env",
        ),
        {},
    ),
}


def _entry(fn: str) -> tuple[str, tuple[str, dict[str, str], dict[str, str]]] | None:
    module = fn.split(":")[0]
    for prefix in sorted(PARAMS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, PARAMS[prefix]
    return None


def _preset_name(fn: str, config: dict[str, Any]) -> str | None:
    """The preset whose non-mirrored fields match the job's config (``default`` first)."""
    try:
        presets = topics.trainer(fn).PRESETS
    except (ImportError, AttributeError):
        return None
    mirrored = (_entry(fn) or ("", ("", {}, {})))[1][1]
    for name in sorted(presets, key=lambda n: n != "default"):
        base = cfglib.to_dict(presets[name])
        if all(base.get(k) == v for k, v in config.items() if k not in mirrored):
            return name
    return None


def job_url(fn: str, config: dict[str, Any]) -> str | None:
    """Relative URL of the page that trains ``fn`` with ``config``; ``None`` if no page does."""
    found = _entry(fn)
    if found is None:
        return None
    _, (page, names, fixed) = found
    params: dict[str, str] = {}
    if (preset := _preset_name(fn, config)) is not None:
        params["preset"] = preset
    params.update(fixed)
    for field, name in names.items():
        if field in config:
            value = config[field]
            if field == "max_seconds":
                value = int(value)
            params[name] = dump(tuple(value) if isinstance(value, list) else value)
    return f"{page_href(page)}?{urlencode(params)}" if params else page_href(page)
