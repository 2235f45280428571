"""The generative page in AppTest: controls in the URL, an upload, tiny GAN and VAE runs."""

import io
import zipfile

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from dl_core.gan.config import DCGAN_PRESETS
from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import images_now
from ui.text import md_escape


def _page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page("app_pages/gan.py")
    at.query_params.update({"preset": "tiny", **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at) -> int:
    return len(at.get("plotly_chart"))


def _images(at) -> int:
    """st.image elements and pictures drawn in the first paint (the training images)."""
    return len(at.get("image")) + len(images_now(m.value for m in at.markdown))


def _zip(n: int, folders: bool) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            img = Image.fromarray(rng.integers(0, 255, (20 + i % 3, 24, 3), dtype=np.uint8))
            out = io.BytesIO()
            img.convert("L" if i % 2 else "RGB").save(out, format="PNG")
            zf.writestr(f"{'shapes/' if folders else ''}{i}.png", out.getvalue())
        zf.writestr("readme.txt", b"not an image")
    return buf.getvalue()


def test_first_load_shows_the_data_and_controls_go_into_the_url(fresh_home):
    # a first visit: an empty store, whatever other tests trained before this one
    at = _page()
    assert at.title[0].value.startswith("Generative models")
    assert _images(at) == 1  # the training images, before anything is trained
    [(alt, pixels)] = images_now(m.value for m in at.markdown)
    assert pixels.shape[1] >= 480 and pixels.std() > 0 and alt  # a picture, described
    assert at.selectbox(key="gan.data").value == "digits"  # the tiny preset
    at.slider(key="gan.g_epochs").set_value(3)
    at.selectbox(key="gan.colour").set_value("colour")
    at.run()
    assert not at.exception
    assert "3" in str(at.query_params["g_epochs"]) and "colour" in str(at.query_params["colour"])


def test_a_new_preset_resets_the_other_controls():
    at = _page(zip_fp="0" * 64)
    at.slider(key="gan.g_epochs").set_value(3)
    at.selectbox(key="gan.colour").set_value("colour")
    at.run()
    at.segmented_control(key="gan.preset").set_value("default").run()
    assert not at.exception
    epochs = DCGAN_PRESETS["default"].epochs
    assert at.slider(key="gan.g_epochs").value == epochs  # the default preset's epochs
    assert at.selectbox(key="gan.colour").value == "greyscale"
    assert str(at.query_params["g_epochs"]) == str(epochs)
    assert at.query_params["colour"] == "greyscale"
    assert "zip_fp" in at.query_params  # an upload's fingerprint survives the reset


def test_gan_and_vae_train_on_the_tiny_preset_and_show_results():
    at = _page()
    at.button(key="train-DCGAN").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.slider(key="gan.epoch").value == 2  # the scrubber, at the last epoch
    assert _charts(at) == 1  # the curves
    assert _images(at) == 5  # data, samples, interpolation, neighbours, walk
    at.slider(key="gan.epoch").set_value(1).run()
    at.slider(key="gan.dir0").set_value(2.0).run()
    assert not at.exception
    at.segmented_control(key="gan.section").set_value("Autoencoder / VAE").run()
    at.button(key="train-VAE").click().run()
    assert not at.exception and not at.error
    assert _charts(at) == 2  # scatter, VAE curves
    assert _images(at) == 1 + 3  # data, plane grid, reconstructions, the rewound grid
    at.segmented_control(key="gan.section").set_value("Side by side").run()
    assert _images(at) == 1 + 2 and not at.error  # data; both models' samples
    assert any("DCGAN: 2 epochs" in c.value for c in at.caption)


def test_upload_without_folders_trains_and_a_tiny_upload_is_refused():
    at = _page(data="upload")
    assert any("Upload a zip" in i.value for i in at.info)
    at.file_uploader(key="gan.zip_file").set_value(
        ("few.zip", _zip(3, folders=False), "application/zip")
    )
    at.run()
    assert any("3 usable images" in e.value for e in at.error)
    at.file_uploader(key="gan.zip_file").set_value(
        ("ok.zip", _zip(20, folders=False), "application/zip")
    )
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert any("1 file(s) were not used" in e.label for e in at.expander)  # readme.txt, listed
    assert _images(at) == 1
    at.button(key="train-DCGAN").click().run()
    assert not at.exception and not at.error
    assert at.slider(key="gan.epoch").value == 2


def test_learning_rate_10_fails_the_job_with_a_sentence():
    at = _page(g_lr="10.0", d_lr="10.0")
    assert any(md_escape("0.01") in w.value for w in at.info)  # warned before training
    at.button(key="train-DCGAN").click().run()
    assert not at.exception
    assert any("diverged" in e.value and "learning rate" in e.value for e in at.error)


def test_the_train_hint_leaves_once_training_is_under_way(fresh_home):
    from dl_core import jobs

    def hints(at) -> list[str]:
        return [i.value for i in at.info if i.value.startswith("Press **Train** to watch")]

    class Idle(jobs.Executor):  # queues jobs and never runs them: the job stays under way
        def wake(self, key: str) -> None:
            pass

    jobs.set_executor(Idle())
    try:
        at = _page()
        assert len(hints(at)) == 1
        at.button(key="train-DCGAN").click().run()
        assert not at.exception and any(b.label == "Stop" for b in at.button)  # queued
        assert hints(at) == []  # the progress panel says what is happening instead
    finally:
        jobs.set_executor(None)
