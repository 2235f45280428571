"""GAN page, DCGAN section: compare two runs (one setting changed) decoding the same latent
vectors side by side, one epoch slider for both, and a shared link that reopens them."""

import hashlib

from streamlit.testing.v1 import AppTest

from tests.app.ab import chart, compare_mode, errors, markdown, open_page, params, press, reopen
from ui.figures import images_now
from ui.text import md_escape

PAGE = "app_pages/gan.py"
OWN = {"preset": "tiny", "seed": "16"}
RUN_A = md_escape("A · Generator width = 16")
RUN_B = md_escape("B · Generator width = 32")


def _images(at: AppTest) -> list[str]:
    """The pictures on the page, in order: the training images (drawn in the first paint, at
    the top; named by a digest of their pixels), then every st.image by its media URL."""
    now = [
        hashlib.sha1(p.tobytes()).hexdigest() for _, p in images_now(m.value for m in at.markdown)
    ]
    return now + [el.proto.imgs[0].url for el in at.get("image")]


def _compare_widths() -> AppTest:
    at = compare_mode(open_page(PAGE, **OWN), "gan", "Generator width", "ab_g_width", 32)
    return press(at, "gan.ab_train")


def test_compare_two_generator_widths_decodes_the_same_latents_with_both():
    at = _compare_widths()
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    assert {t["name"] for t in chart(at, "ab-diff-0")["data"]} >= {"d_loss", "g_loss"}
    assert any("same 36 latent vectors" in c.value for c in at.caption)
    shown = _images(at)
    assert len(shown) == 3  # the training images, then one grid per run


def test_rewind_both_gans_to_epoch_one_shows_other_samples_than_the_last():
    at = _compare_widths()
    last = _images(at)
    at.slider(key="gan.epoch").set_value(1).run()  # one slider, both runs
    assert not at.exception and params(at)["epoch"] == "1"
    first = _images(at)
    assert first[0] == last[0] and first[1] != last[1] and first[2] != last[2]


def test_compare_url_with_two_configs_restores_the_gan_comparison():
    link = {"ab": "1", "ab_g_width": "32"}
    again = reopen(PAGE, _compare_widths(), (RUN_A, RUN_B), link)
    assert len(_images(again)) == 3


def test_rewind_the_gan_latent_tools_to_epoch_one_decodes_with_that_generator():
    at = press(open_page(PAGE, **OWN), "train-DCGAN")
    assert not errors(at), errors(at)
    assert any("generator after epoch 2" in c.value for c in at.caption)
    last = _images(at)
    at.slider(key="gan.epoch").set_value(1).run()
    assert not at.exception and any("generator after epoch 1" in c.value for c in at.caption)
    first = _images(at)
    assert len(first) == len(last) and first[0] == last[0]  # the training images stay
    assert all(a != b for a, b in zip(first[1:], last[1:], strict=True))  # grid + latent tools


VAE_OWN = {"preset": "tiny", "seed": "17", "section": "Autoencoder / VAE"}
VAE_A = md_escape("A · β (KL weight) = 1.0")
VAE_B = md_escape("B · β (KL weight) = 2.0")


def _compare_vae_betas() -> AppTest:
    at = compare_mode(open_page(PAGE, **VAE_OWN), "gan", "β (KL weight)", "vab_beta", 2.0, "vab")
    return press(at, "gan.vab_train")


def test_compare_two_vae_betas_decodes_the_same_latents_with_both_and_rewinds_both():
    at = _compare_vae_betas()
    assert not errors(at), errors(at)
    text = markdown(at)
    assert VAE_A in text and VAE_B in text
    assert {t["name"] for t in chart(at, "vab-diff")["data"]} >= {"reconstruction", "kl"}
    assert any("same 36 latent vectors decoded by both" in c.value for c in at.caption)
    last = _images(at)
    assert len(last) == 5  # training images; both runs' samples; both rewound grids
    at.select_slider(key="gan.vepoch").set_value(1).run()  # one slider, both runs' grids
    assert not at.exception and params(at)["vepoch"] == "1"
    first = _images(at)
    assert first[:3] == last[:3] and first[3] != last[3] and first[4] != last[4]


def test_compare_url_with_two_vae_configs_restores_the_vae_comparison():
    link = {"vab": "1", "vab_beta": "2.0"}
    again = reopen(PAGE, _compare_vae_betas(), (VAE_A, VAE_B), link)
    assert len(_images(again)) == 5


def test_rewind_the_vae_grid_to_epoch_one_decodes_with_that_decoder():
    at = press(open_page(PAGE, **VAE_OWN), "train-VAE")
    assert not errors(at), errors(at)
    slider = at.select_slider(key="gan.vepoch")
    assert list(slider.options) == ["1", "2", "3", "4", "5"] and slider.value == 5
    last = _images(at)
    slider.set_value(1).run()
    assert not at.exception and params(at)["vepoch"] == "1"
    first = _images(at)
    assert first[:-1] == last[:-1] and first[-1] != last[-1]  # only the rewound grid moves
