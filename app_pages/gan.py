"""Generative models: a DCGAN and an autoencoder/VAE trained on the same images."""

import dataclasses

import numpy as np
import streamlit as st

from dl_core import estimates, viz
from dl_core.assets import ASSETS
from dl_core.describe import describe_images
from dl_core.gan import analysis, dcgan, plots, vae
from dl_core.gan import data as gdata
from dl_core.gan import train as gan_train
from dl_core.store import Store
from ui import jobs as ui_jobs
from ui.cache import memo
from ui.code import show_code
from ui.compare import ab_configs, train_both
from ui.compare import panes as ab_panes
from ui.errors import shown_errors
from ui.figures import show_figure, show_image, show_image_now
from ui.rewind import epoch_slider, model_at, saved_epochs, weights_at
from ui.state import UrlState
from ui.text import md_escape
from ui.topic import backends_caption
from ui.uploads import recall, remember, show_dataset_notes

# -- the page's longer teaching text ----------------------------------------------------------
INTRO = (
    "A **GAN** pits two networks against each other: a generator turns random vectors *z* into "
    "images, a discriminator tries to tell them from real ones, and each improves by beating the "
    "other. A **variational autoencoder** compresses each image into a small code and learns to "
    "rebuild it, with codes pulled towards a standard normal so that random codes decode to new "
    "images. Train both on the same pictures and compare."
)
LIMITS = (
    "- **Can:** make new images that look like the training set; move smoothly between "
    "samples; group similar images without labels (VAE codes); clean noisy inputs.\n"
    "- **Cannot:** make anything outside the training distribution, or guarantee that a "
    "sample is new rather than a near copy of a training image. GANs can *collapse* onto a "
    "few outputs (watch the diversity curve) or diverge; VAEs blur.\n"
    "- **Bias:** a generator reproduces, and can amplify, whatever its data over- or "
    "under-represents: train on mostly one kind of face or object and that is mostly what "
    "comes back. Check what the samples miss, not only how real they look."
)

TRAIN = {dcgan: gan_train.train_dcgan, vae: gan_train.train_vae}  # each model's job

st.title("Generative models: GAN and VAE")
backends_caption("gan")
st.markdown(INTRO)
st.latex(r"\min_G \max_D \; \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]")
st.latex(
    r"\text{VAE: maximise } \mathbb{E}_{q(z|x)}[\log p(x|z)] "
    r"- \beta\,\mathrm{KL}(q(z|x)\,\|\,\mathcal{N}(0, I))"
)

LRS = [1e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 0.1, 1.0, 10.0]
WIDTHS = [8, 16, 32, 64, 128, 256]
BATCHES = [16, 32, 64, 128, 256]
GAN_CONTROLS = [  # (label, Config field, URL name, widget, widget arguments)
    ("Latent size", "latent_dim", "latent", "number_input", dict(min_value=1, max_value=512)),
    ("Generator depth", "g_depth", "g_depth", "slider", dict(min_value=1, max_value=4)),
    ("Generator width", "g_width", "g_width", "select_slider", dict(options=WIDTHS)),
    ("Discriminator depth", "d_depth", "d_depth", "slider", dict(min_value=1, max_value=4)),
    ("Discriminator width", "d_width", "d_width", "select_slider", dict(options=WIDTHS)),
    ("Generator learning rate", "g_lr", "g_lr", "select_slider", dict(options=LRS)),
    ("Discriminator learning rate", "d_lr", "d_lr", "select_slider", dict(options=LRS)),
    ("D steps per G step", "d_steps", "d_steps", "slider", dict(min_value=1, max_value=5)),
    (
        "Label smoothing",
        "label_smoothing",
        "smooth",
        "slider",
        dict(min_value=0.0, max_value=0.3, step=0.05),
    ),
    ("Batch size", "batch_size", "g_batch", "select_slider", dict(options=BATCHES)),
    ("Epochs", "epochs", "g_epochs", "slider", dict(min_value=1, max_value=100)),
]
VAE_CONTROLS = [
    (
        "Model",
        "kind",
        "kind",
        "segmented_control",
        dict(options=list(vae.KINDS), format_func={"vae": "VAE", "ae": "Autoencoder"}.get),
    ),
    ("Latent size", "latent_dim", "v_latent", "number_input", dict(min_value=1, max_value=128)),
    ("Width", "width", "v_width", "select_slider", dict(options=WIDTHS[:-1])),
    (
        "β (KL weight)",
        "beta",
        "beta",
        "select_slider",
        dict(options=[0.0, 0.1, 0.5, 1.0, 2.0, 4.0]),
    ),
    (
        "Denoising: input noise",
        "noise",
        "noise",
        "slider",
        dict(min_value=0.0, max_value=1.0, step=0.1),
    ),
    ("Learning rate", "lr", "v_lr", "select_slider", dict(options=LRS)),
    ("Batch size", "batch_size", "v_batch", "select_slider", dict(options=BATCHES)),
    ("Epochs", "epochs", "v_epochs", "slider", dict(min_value=1, max_value=100)),
]

url = UrlState("gan")
preset = url(
    st.segmented_control,
    "Preset",
    "preset",
    "default",
    options=list(dcgan.PRESETS),
    on_change=url.reset,  # a new preset resets the controls
    args=(("preset", "zip_fp"),),
)
preset = preset or "default"
for model, label in ((dcgan, "DCGAN training"), (vae, "Autoencoder / VAE training")):
    st.caption(
        md_escape(estimates.preset_times(estimates.each(TRAIN[model], model.PRESETS), label=label))
    )
G, V = dcgan.PRESETS[preset], vae.PRESETS[preset]


def controls(specs, base, draw: bool = True):
    """The settings as controls, or (``draw=False``, another section) as the URL has them."""
    if not draw:
        return {
            f: url.peek(name, getattr(base, f), kw.get("options")) for _, f, name, _, kw in specs
        }
    cols = st.columns(4)
    return {
        field: url(getattr(cols[i % 4], widget), label, name, getattr(base, field), **kw)
        for i, (label, field, name, widget, kw) in enumerate(specs)
    }


c = st.columns([3, 2, 2, 2, 1])
dataset = url(
    c[0].selectbox,
    "Images",
    "data",
    G.dataset,
    options=gdata.available_datasets(),
    format_func=lambda n: ASSETS[n].title if n in ASSETS else "Your images (zip)",
)
size = url(c[1].selectbox, "Size (pixels)", "size", G.image_size, options=list(gdata.IMAGE_SIZES))
colour = url(c[2].selectbox, "Colour", "colour", "greyscale", options=["greyscale", "colour"])
n_img = url(
    c[3].number_input, "Images used", "n", G.max_images, min_value=16, max_value=20000, step=100
)
seed = url(c[4].number_input, "Seed", "seed", G.seed, min_value=0, step=1)
common = dict(
    dataset=dataset,
    image_size=size or G.image_size,
    channels=3 if colour == "colour" else 1,
    max_images=n_img,
    seed=seed,
)


@st.cache_data(max_entries=8, show_spinner=False)
def preview_data(dataset: str, size: int, channels: int, fp: str | None):
    return gdata.load(dataset, size, channels, 36, 0, Store().get_blob(fp) if fp else None)[0]


data_fp = None
with shown_errors():
    if dataset == "upload":
        label = "A .zip of images (folders inside it are optional; they become classes)"
        up = st.file_uploader(label, type=["zip"], key=url.key("zip_file"))
        raw = up.getvalue() if up is not None else (recall(url, "zip_fp") or (None,))[0]
        if raw is None:
            st.info("Upload a zip with at least 16 images (PNG, JPEG, WebP, GIF or BMP).")
        else:
            data_fp, ds = gdata.store_upload(raw)
            remember(url, "zip_fp", raw)  # only a usable upload goes into the link
            show_dataset_notes(ds)
    if dataset != "upload" or data_fp:
        grid = preview_data(dataset, common["image_size"], common["channels"], data_fp)
        show_image_now(st, memo(plots.grid_image, grid, cols=12))
        st.caption("Training images as the models see them: what both generators must imitate.")
ready = dataset != "upload" or data_fp is not None
SECTIONS = ["DCGAN", "Autoencoder / VAE", "Side by side", "What they can and cannot do"]
section = url.section(SECTIONS)


def train_panel(module, cfg, label, metrics, what):
    """Train button, live progress and, once done, the result (or None)."""
    if not ready:
        return None, None
    status = None
    with shown_errors():
        for w in module.validate(cfg):
            st.info(md_escape(w))
        status = ui_jobs.train_panel(
            TRAIN[module],
            cfg,
            data_fp,
            job_label=label,
            key=f"train-{label}",
            metrics=metrics,
            preview=lambda a: show_image(
                st, memo(plots.grid_image, a), caption="samples after the latest epoch", width=320
            ),
        )
        if status is not None and status.state == "done":
            return status, ui_jobs.load_result(status.key)
    if status is None or not status.active:  # (while it trains, the progress panel says so)
        st.info(f"Press **Train** to {what}.")
    return status, None


def finished(module, cfg):
    """The job for ``cfg`` trained in its own section: (status, result), or (None, None)."""
    return ui_jobs.finished(TRAIN[module], cfg, data_fp) if ready else (None, None)


gcfg = dataclasses.replace(G, **common, **controls(GAN_CONTROLS, G, section == SECTIONS[0]))
vcfg = dataclasses.replace(V, **common, **controls(VAE_CONTROLS, V, section == SECTIONS[1]))
vcfg = dataclasses.replace(vcfg, kind=vcfg.kind or V.kind)


def choices(specs) -> list[tuple]:
    """The controls as compare choices: (label, field, options or (min, max, step))."""
    return [
        (label, field, list(kw["options"]))
        if "options" in kw
        else (label, field, (kw["min_value"], kw["max_value"], kw.get("step", 1)))
        for label, field, _, _, kw in specs
    ]


def compare_gan(ab, runs) -> None:
    """Two DCGANs: loss and diversity deltas; at one epoch (one slider), the same latent
    vectors decoded by both generators."""
    panes = ab_panes(ab, runs)
    a, b = (r for _, _, r in panes)
    fig = viz.curve_deltas(a["history"], b["history"], ab.names, ("d_loss", "g_loss", "diversity"))
    show_figure(st, fig, key="ab-diff-0")
    st.caption("Above zero: run B's loss or sample diversity is higher than run A's that epoch.")
    n = min(len(a["samples"]), len(b["samples"]))
    ep = url(st.slider, "Epoch for both runs", "epoch", n, min_value=1, max_value=max(2, n))
    for col, _, r in panes:
        show_image(col, memo(plots.grid_image, r["samples"][min(ep, n) - 1]), width=360)
        col.caption(f"After epoch {min(ep, n)}.")
    same = a["z_fixed"].shape == b["z_fixed"].shape and np.array_equal(a["z_fixed"], b["z_fixed"])
    st.caption(
        "The same 36 latent vectors decoded by both generators."
        if same
        else "The two runs draw different latent vectors (their latent sizes or seeds differ)."
    )


GAN_CHOICES = choices(GAN_CONTROLS)
if section == SECTIONS[0] and (ab := ab_configs(url, gcfg, GAN_CHOICES)) is not None and ready:
    with shown_errors():
        runs = train_both(
            ab,
            TRAIN[dcgan],
            data_fp,
            key="gan.ab_train",
            job_label="DCGAN",
            metrics=("d_loss", "g_loss"),
            validate=dcgan.validate,
        )
        if runs.all_done:
            compare_gan(ab, runs)
elif section == SECTIONS[0]:
    gstatus, gres = train_panel(
        dcgan,
        gcfg,
        "DCGAN",
        ("d_loss", "g_loss", "d_real", "d_fake", "diversity"),
        "watch samples emerge from noise, epoch by epoch",
    )
    if gres is not None:
        samples, n = gres["samples"], len(gres["samples"])
        left, right = st.columns([2, 3])
        ep = url(
            left.slider,
            "Epoch (scrub through training)",
            "epoch",
            n,
            min_value=1,
            max_value=max(2, n),
        )
        show_image(left, memo(plots.grid_image, samples[min(ep, n) - 1]), width=360)
        left.caption(f"The same 36 latent vectors after epoch {min(ep, n)}: generation emerging.")
        show_figure(
            right,
            memo(plots.plot_gan_history, gres["history"], gres["collapse_epochs"]),
            key="gan-hist",
        )
        if gres["collapse_epochs"]:
            right.warning(
                f"Diversity dropped in epoch(s) {gres['collapse_epochs']}: possible mode collapse."
            )
        st.subheader("Latent space")
        c = st.columns(3)
        a = url(c[0].number_input, "Sample A (1-36)", "a", 1, min_value=1, max_value=36)
        b = url(c[1].number_input, "Sample B (1-36)", "b", 2, min_value=1, max_value=36)
        spread = url(
            c[2].slider,
            "'More like this' spread",
            "spread",
            0.5,
            min_value=0.1,
            max_value=2.0,
            step=0.1,
        )
        d = st.columns(3)
        moves = tuple(
            url(
                d[i].slider,
                f"Along main direction {i + 1}",
                f"dir{i}",
                0.0,
                min_value=-3.0,
                max_value=3.0,
                step=0.25,
            )
            for i in range(3)
        )
        shown = min(ep, n)  # the latent tools use the generator of the scrubbed epoch
        saved = saved_epochs([gstatus.key])
        generator = (
            model_at(gstatus.key, "generator", shown)
            if shown in saved and shown != n
            else gres["generator"]
        )
        st.caption(
            md_escape(
                f"The generator after epoch {shown} (move the epoch slider above to rewind it)."
                if saved
                else "The generator after the last epoch (this run kept no checkpoints)."
            )
        )
        views = memo(
            dcgan.latent_views,
            generator,
            gres["z_fixed"],
            gres["directions"],
            a - 1,
            b - 1,
            spread,
            moves,
            seed,
        )
        show_image(st, memo(plots.grid_image, views["path"], cols=10), width="stretch")
        st.caption("Spherical interpolation from sample A (left) to sample B (right).")
        l2, r2 = st.columns([4, 1])
        show_image(l2, memo(plots.grid_image, views["near"], cols=8), width="stretch")
        l2.caption("More like this: sample A (first) and random neighbours of its z.")
        show_image(r2, memo(plots.grid_image, views["walk"], cols=1), width="stretch")
        r2.caption("A, and A moved along the 3 directions that change images most.")

VAE_CHOICES = choices(VAE_CONTROLS)


@st.cache_data(max_entries=32, show_spinner="Decoding the grid at that epoch…")
def _vae_grid_at(key: str, epoch: int) -> np.ndarray:
    """Job ``key``'s 12 × 12 grid over its final code plane, decoded after ``epoch``."""
    r = ui_jobs.load_result(key)
    centre, axes = vae.plane_axes(r["codes"])
    with weights_at(key, "decoder", epoch) as decoder:
        return vae.latent_grid(decoder, centre, axes, 12)


@st.fragment
def rewind_vae(results: list) -> None:
    """The latent grid of each run decoded at one saved epoch (one slider for all runs)."""
    with shown_errors():
        st.subheader("Rewind: the decoded grid at any epoch")
        epoch = epoch_slider(url, [r.key for r in results], name="vepoch")
        if epoch is None:
            return
        for col, r in zip(st.columns(len(results)), results, strict=True):
            grid = _vae_grid_at(r.key, epoch)
            what = f"images decoded after epoch {epoch:d}"
            show_image(
                col, memo(plots.grid_image, grid, cols=12), describe_images(grid, what), width=360
            )
            col.caption(f"The decoder after epoch {epoch:d}, over the final codes' plane.")


def compare_vae(ab, runs) -> None:
    """Two autoencoders/VAEs: loss deltas; the same latent vectors decoded by both decoders
    at one epoch; their grids rewound together."""
    panes = ab_panes(ab, runs)
    a, b = (r for _, _, r in panes)
    metrics = ("reconstruction", "kl", "loss")
    show_figure(st, viz.curve_deltas(a["history"], b["history"], ab.names, metrics), key="vab-diff")
    st.caption("Above zero: run B's loss term is higher than run A's that epoch.")
    n = min(len(a["samples"]), len(b["samples"]))
    ep = url(st.slider, "Epoch for both runs", "vab_epoch", n, min_value=1, max_value=max(2, n))
    for col, _, r in panes:
        samples = r["samples"][min(ep, n) - 1]
        what = f"samples decoded after epoch {min(ep, n)}"
        show_image(col, memo(plots.grid_image, samples), describe_images(samples, what), width=360)
        col.caption(f"Decoded after epoch {min(ep, n)}.")
    same = a["z_fixed"].shape == b["z_fixed"].shape and np.array_equal(a["z_fixed"], b["z_fixed"])
    st.caption(
        "The same 36 latent vectors decoded by both decoders."
        if same
        else "The two runs draw different latent vectors (their latent sizes or seeds differ)."
    )
    rewind_vae([a, b])


vab = ab_configs(url, vcfg, VAE_CHOICES, name="vab") if section == SECTIONS[1] else None
if vab is not None and ready:
    with shown_errors():
        vruns = train_both(
            vab,
            TRAIN[vae],
            data_fp,
            key="gan.vab_train",
            job_label="VAE",
            metrics=("reconstruction", "kl"),
            validate=vae.validate,
        )
        if vruns.all_done:
            compare_vae(vab, vruns)
elif section == SECTIONS[1]:
    vstatus, vres = train_panel(
        vae,
        vcfg,
        vcfg.kind.upper(),
        ("reconstruction", "kl", "loss"),
        "fit the autoencoder and explore its code space",
    )
    if vres is not None:
        views = memo(vae.latent_views, vres)
        left, right = st.columns(2)
        show_figure(
            left,
            memo(
                plots.plot_latent_scatter,
                views["xy"],
                vres["labels"],
                vres["class_names"],
                views["axis"],
            ),
            key="scatter",
        )
        left.caption("Codes of training images coloured by class: the model never saw the labels.")
        show_image(right, memo(plots.grid_image, views["grid"], cols=12), width="stretch")
        right.caption("A 12 × 12 grid decoded over the same plane (±2.5 standard deviations).")
        show_image(st, memo(plots.grid_image, views["rows"], cols=12), width="stretch")
        st.caption("Originals; what the encoder saw (noisy when denoising); reconstructions.")
        show_figure(st, memo(plots.plot_vae_history, vres["history"]), key="vae-hist")
        st.caption("Reconstruction falls; the KL term is the price of a code space you can sample.")
        rewind_vae([vres])

if section == SECTIONS[2]:
    (gstatus, gres), (vstatus, vres) = finished(dcgan, gcfg), finished(vae, vcfg)
    if gres is None or vres is None:
        st.info("Train both models on the same images to compare their samples here.")
    else:
        for col, res, status, name in zip(
            st.columns(2),
            (gres, vres),
            (gstatus, vstatus),
            ("DCGAN", vcfg.kind.upper()),
            strict=True,
        ):
            show_image(col, memo(plots.grid_image, res["samples"][-1]), width=360)
            col.caption(
                f"{name}: {len(res['samples'])} epochs, {status.duration:.0f} s of training, "
                f"diversity {res['history']['diversity'][-1]:.2f} (1 = as varied as the data)."
            )
        st.markdown(
            "GAN samples tend to be **sharper**; VAE samples **blurrier but more varied**: "
            "the VAE must explain every training image, the GAN only has to fool D."
        )

if section == SECTIONS[3]:
    st.markdown(LIMITS)
show_code(
    dcgan.DCGAN.train_step,
    dcgan.build_generator,
    dcgan.build_discriminator,
    vae.VAE.losses_for,
    analysis.slerp,
    analysis.latent_directions,
)
