"""The topic registry: every topic keeps the contract (``check_topic``), the page registry
matches it, and workers resolve a job's Config from it."""

import dataclasses

import pytest

from dl_core import topics
from dl_core.testing import check_topic
from ui.registry import topic_pages

NAMES = [t.name for t in topics.TOPICS]
# Their tiny presets take the longest here; their own unit tests train them in the default run.
SLOW_TRAINING = {"detection", "segmentation", "attention", "gan"}


@pytest.mark.parametrize("name", NAMES)
def test_topic_keeps_the_contract(name):
    check_topic(name, train=False)


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_TRAINING else n for n in NAMES]
)
def test_tiny_preset_trains_as_a_job_and_its_result_loads(name, fresh_home, inline_jobs):
    check_topic(name)


def test_page_registry_matches_topic_registry():
    assert [p.path for p in topic_pages()] == [t.page for t in topics.TOPICS]


def test_reading_the_registry_imports_no_topic():
    import subprocess
    import sys

    code = (
        "import sys; from dl_core import topics; "
        "assert topics.resources('dl_core.detection.train:train').gpu_fraction == 1.0; "
        "print(sorted(m for m in sys.modules if m.startswith('dl_core.') or m == 'keras'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['dl_core.topics']"


def test_worker_resolves_config_from_the_spec():
    from dl_core.gan import config as gan_config
    from dl_core.gan import train as gan_train

    spec = topics.trainer("dl_core.gan.vae:train")
    assert spec.Config is gan_config.VAEConfig and spec.train_fn is gan_train.train_vae
    assert topics.trainer("dl_core.gan.dcgan:train").PRESETS is gan_config.DCGAN_PRESETS
    # a job outside the registry (the job-system harness) keeps its Config next to it
    from dl_core import testing

    assert topics.trainer("dl_core.testing:train").Config is testing.Config
    assert topics.resources("dl_core.testing:train") == topics.Resources()


def test_small_models_share_a_gpu_and_large_ones_take_one():
    by_name = {t.name: t.resources.gpu_fraction for t in topics.TOPICS}
    assert by_name["basics"] == by_name["gan"] == by_name["dqn"] == 0.25
    assert by_name["detection"] == by_name["segmentation"] == 1.0


def test_register_refuses_a_second_topic_of_the_same_name():
    basics = topics.get("basics")
    with pytest.raises(ValueError, match="already registered"):
        topics.register(dataclasses.replace(basics, trainers=()))
    assert [t.name for t in topics.TOPICS].count("basics") == 1


def test_check_topic_names_a_broken_rule(fresh_home):
    spec = topics.Topic(
        "broken",
        "app_pages/broken.py",
        (topics.Trainer("dl_core.testing:train", "dl_core.testing"),),
    )
    with pytest.raises(ModuleNotFoundError):  # no package dl_core.broken
        check_topic(spec, train=False)
    cnn = topics.get("cnn")
    wrong = dataclasses.replace(
        cnn,
        trainers=(
            topics.Trainer(
                "dl_core.cnn.train:train", "dl_core.basics.config", job="dl_core.cnn.model:train"
            ),
        ),
    )
    with pytest.raises(AssertionError, match="foreign Config"):
        check_topic(wrong, train=False)


def test_job_names_stay_those_of_before_the_uniform_layout():
    """Job keys hash the training function's job name: moving ``train`` into ``train.py``
    must not change them, or every cached result of a running server would be lost."""
    from dl_core import jobs

    names = {tr.name: jobs.fn_name(tr.train_fn) for t in topics.TOPICS for tr in t.trainers}
    assert list(names) == [
        "dl_core.basics.model:train",
        "dl_core.cnn.model:train",
        "dl_core.transfer.model:train",
        "dl_core.detection.training:train",
        "dl_core.segmentation.training:train",
        "dl_core.text_generation.model:train",
        "dl_core.attention.tiny:train",
        "dl_core.gan.dcgan:train",
        "dl_core.gan.vae:train",
        "dl_core.dqn.training:train",
    ]
    assert all(name == fn for name, fn in names.items())
    basics = topics.get("basics")
    assert jobs.job_key(basics.train, basics.PRESETS["tiny"]) == jobs.job_key(
        "dl_core.basics.model:train", basics.PRESETS["tiny"]
    )
    assert topics.trainer("dl_core.basics.model:train") is basics.trainers[0]


def test_check_topic_finds_a_plot_outside_plots_py(monkeypatch):
    import plotly.graph_objects as go

    from dl_core.cnn import analysis

    def plot_stray():
        return go.Figure()

    plot_stray.__module__ = analysis.__name__
    plot_stray.__annotations__ = {"return": go.Figure}
    monkeypatch.setattr(analysis, "plot_stray", plot_stray, raising=False)
    with pytest.raises(AssertionError, match=r"belong in the topic's plots\.py"):
        check_topic("cnn", train=False)
