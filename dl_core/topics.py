"""The one registry of topics, in page order (in the spirit of Gymnasium's ``register``).

A topic is declared once, here, as a :class:`Topic`: its name (the package ``dl_core.<name>``),
its page, the model(s) a visitor trains there (each a :class:`Trainer`: the ``train`` job,
its ``Config``, ``PRESETS`` and ``validate``), what one job needs from an executor
(:class:`Resources`) and the Keras backends it needs. References are ``"module:name"``
strings, imported on first use (as Gymnasium's ``entry_point``), so reading the registry
imports no topic and no Keras.

Who reads it:

- job workers: :func:`trainer` finds the ``Config`` class of a job's training function;
- executors: :func:`resources` says what one job of that function needs (e.g. a Ray task's
  ``num_gpus``);
- ``python -m dl_core warmup``: each topic's ``warmup_jobs()``;
- tests: ``dl_core.testing.check_topic`` walks :data:`TOPICS`, and the page registry
  (``ui/registry.py``) is checked against it.

Adding a topic: one :func:`register` call below (``docs/topic-guide.md``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any


def load(ref: str) -> Any:
    """``"package.module:name"`` -> the object (``"package.module"`` -> the module)."""
    module_name, _, attr = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


@dataclass(frozen=True)
class Resources:
    """What one training job needs from an executor.

    ``gpu_fraction`` is the share of one GPU a job uses (small models pack several jobs on a
    GPU; Ray's fractional ``num_gpus``); ``cpus`` the CPU cores it keeps busy.
    """

    gpu_fraction: float = 0.25
    cpus: int = 1


BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
SMALL = Resources(gpu_fraction=0.25, cpus=1)  # a few MB of weights, batches of small images
LARGE = Resources(gpu_fraction=1.0, cpus=2)  # a detector or segmenter: a whole GPU


@dataclass(frozen=True)
class Trainer:
    """One model a page trains: the job function and the settings it takes.

    Args:
        train: ``"module:function"``; ``train(cfg, data, report) -> result`` runs in a worker.
        config: the module holding ``Config``, ``PRESETS`` and ``validate``.
        names: their names in that module, when a topic has two models (e.g. the GAN page).
        job: the name its jobs are keyed by (``dl_core.jobs.job_key``), when it differs from
            ``train``: a training function that moved keeps the name it had, so that the
            results already computed keep their keys.
    """

    train: str
    config: str
    names: tuple[str, str, str] = ("Config", "PRESETS", "validate")
    job: str = ""

    @property
    def name(self) -> str:
        """The stable name jobs of this model are stored under (the ``fn`` of a job)."""
        return self.job or self.train

    @property
    def train_fn(self) -> Callable:
        return load(self.train)

    @property
    def Config(self) -> type:
        return getattr(load(self.config), self.names[0])

    @property
    def PRESETS(self) -> dict[str, Any]:
        return getattr(load(self.config), self.names[1])

    @property
    def validate(self) -> Callable[..., list[str]]:
        return getattr(load(self.config), self.names[2])


@dataclass(frozen=True)
class Topic:
    """A topic's declaration: what the job system, the CLI and the tests need to know.

    Args:
        name: the package ``dl_core.<name>``. It exports ``warmup_jobs`` and, for a topic
            with one model, that model's ``Config``, ``PRESETS``, ``validate`` and ``train``.
        page: the page file (its ``PageSpec`` in ``ui/registry.py`` has the same path).
        trainers: the models a visitor trains on the page; the first is the topic's own.
        resources: what one job needs from an executor.
        backends: the Keras backends its training is tested on (CI runs TensorFlow only;
            most topics use only Keras layers and ``keras.ops``, but that is untested).
        needs: why a topic needs TensorFlow itself, when it does (shown on its page).
    """

    name: str
    page: str
    trainers: tuple[Trainer, ...]
    resources: Resources = SMALL
    backends: tuple[str, ...] = ("tensorflow",)
    needs: str = ""

    @property
    def module(self) -> ModuleType:
        return load(f"dl_core.{self.name}")

    @property
    def backends_line(self) -> str:
        """One sentence for the page: the Keras backends it runs on, and why TensorFlow."""
        names = " and ".join(BACKEND_NAMES.get(b, b) for b in self.backends)
        line = f"Keras backend: {names}, the only one this page is tested on."
        return f"{line} Needs {self.needs}" if self.needs else line

    @property
    def Config(self) -> type:
        return self.trainers[0].Config

    @property
    def PRESETS(self) -> dict[str, Any]:
        return self.trainers[0].PRESETS

    @property
    def validate(self) -> Callable[..., list[str]]:
        return self.trainers[0].validate

    @property
    def train(self) -> Callable:
        return self.trainers[0].train_fn

    def warmup_jobs(self) -> list[tuple]:
        """``[(train, cfg, data_fp_or_None, label), ...]``: what ``python -m dl_core warmup``
        trains so that a hosted demo opens with results ready."""
        return list(self.module.warmup_jobs())


TOPICS: list[Topic] = []
_BY_TRAIN: dict[str, tuple[Topic, Trainer]] = {}  # by job name and by "module:function"


def register(topic: Topic) -> Topic:
    """Add a topic to the registry (names and training functions must be new)."""
    if any(t.name == topic.name for t in TOPICS):
        raise ValueError(f"Topic {topic.name!r} is already registered.")
    for tr in topic.trainers:
        if tr.train in _BY_TRAIN or tr.name in _BY_TRAIN:
            raise ValueError(f"{tr.name} is already registered.")
        _BY_TRAIN[tr.train] = _BY_TRAIN[tr.name] = (topic, tr)
    TOPICS.append(topic)
    return topic


def unregister(name: str) -> None:
    """Remove a topic (tests that register a throwaway one clean up with this)."""
    topic = get(name)
    TOPICS.remove(topic)
    for tr in topic.trainers:
        _BY_TRAIN.pop(tr.train, None)
        _BY_TRAIN.pop(tr.name, None)


def get(name: str) -> Topic:
    for t in TOPICS:
        if t.name == name:
            return t
    raise KeyError(f"No topic named {name!r}.")


def job_name(ref: str) -> str:
    """The name jobs of the training function ``ref`` (``"module:qualname"``) are keyed by:
    its :attr:`Trainer.name` when registered, else ``ref`` itself."""
    return _BY_TRAIN[ref][1].name if ref in _BY_TRAIN else ref


def trainer(fn: str) -> Trainer:
    """The registered :class:`Trainer` of a training function: ``fn`` is its job name or
    its ``"module:qualname"``.

    A job function outside the registry (the job-system harness in ``dl_core.testing``)
    gets a Trainer whose ``Config`` is the one defined next to it in its module.
    """
    if fn in _BY_TRAIN:
        return _BY_TRAIN[fn][1]
    return Trainer(train=fn, config=fn.partition(":")[0])


def resources(fn: str) -> Resources:
    """What one job of the training function ``fn`` needs (``Resources()`` if unregistered)."""
    return _BY_TRAIN[fn][0].resources if fn in _BY_TRAIN else Resources()


def modules() -> list[ModuleType]:
    """The topic packages, imported, in page order."""
    return [t.module for t in TOPICS]


# -- the topics, in page order ---------------------------------------------------------------
# ``job=`` keeps the name each training function had before every topic got a train.py: job
# keys hash it, so the results a server has already computed stay valid.
def _one(name: str, page: str, job: str = "", **kwargs: Any) -> Topic:
    """A topic with one model: ``train`` in ``dl_core.<name>.train``, its settings in
    ``dl_core.<name>.config``. ``job``: the name its jobs keep from where ``train`` was
    before the layout was made uniform (their cached results keep their keys)."""
    tr = Trainer(f"dl_core.{name}.train:train", f"dl_core.{name}.config", job=job)
    return Topic(name, page, (tr,), **kwargs)


register(_one("basics", "app_pages/basics.py", job="dl_core.basics.model:train"))
register(_one("cnn", "app_pages/cnn.py", job="dl_core.cnn.model:train"))
register(
    _one(
        "transfer",
        "app_pages/transfer_learning.py",
        job="dl_core.transfer.model:train",
        resources=Resources(gpu_fraction=0.5, cpus=1),  # an ImageNet backbone, fine-tuned
        needs="TensorFlow for the TFLite export only.",
    )
)
register(
    _one(
        "detection",
        "app_pages/detection.py",
        job="dl_core.detection.training:train",
        resources=LARGE,
        needs="TensorFlow: keras-cv's YOLOv8 (keras-cv is installed for TensorFlow here).",
    )
)
register(
    _one(
        "segmentation",
        "app_pages/segmentation.py",
        job="dl_core.segmentation.training:train",
        resources=LARGE,
    )
)
register(
    _one(
        "text_generation", "app_pages/text_generation.py", job="dl_core.text_generation.model:train"
    )
)
register(_one("attention", "app_pages/attention.py", job="dl_core.attention.tiny:train"))
register(
    Topic(
        "gan",
        "app_pages/gan.py",
        (
            Trainer(
                "dl_core.gan.train:train_dcgan",
                "dl_core.gan.config",
                ("DCGANConfig", "DCGAN_PRESETS", "validate_dcgan"),
                job="dl_core.gan.dcgan:train",
            ),
            Trainer(
                "dl_core.gan.train:train_vae",
                "dl_core.gan.config",
                ("VAEConfig", "VAE_PRESETS", "validate_vae"),
                job="dl_core.gan.vae:train",
            ),
        ),
        needs="TensorFlow: the custom train_step takes gradients with tf.GradientTape.",
    )
)
register(_one("dqn", "app_pages/dqn.py", job="dl_core.dqn.training:train"))
