"""Pretrained agents shipped with DL Explorer, served from the cache so a visitor sees a
trained agent at once.

Each ``dl_core/assets/dqn/<env id>.npz`` holds the Q-network weights (float16), the
training history and how it was made. ``python -m dl_core.dqn export [ENV ...]`` retrains
them with this package's own ``train`` (the environment's default settings) and checks the
greedy return on 20 fresh episodes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from dl_core import config as cfglib
from dl_core.dqn.config import Config, for_env
from dl_core.dqn.data import spec
from dl_core.dqn.model import build_q_network
from dl_core.dqn.train import evaluate, train
from dl_core.results import Result, save_result
from dl_core.store import Store

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "dqn"
EXPORT_EVAL_SEED = 123_456  # evaluation episodes never seen in training


def available() -> list[str]:
    """Environment ids that have a shipped agent."""
    return sorted(p.stem for p in ASSETS.glob("*.npz"))


def _path(env_id: str) -> Path:
    spec(env_id)
    return ASSETS / f"{env_id}.npz"


def load_meta(env_id: str) -> dict[str, Any]:
    """How the shipped agent was trained and how well it does (no Keras needed)."""
    with np.load(_path(env_id), allow_pickle=False) as npz:
        return json.loads(npz["meta"].tobytes().decode())


def load_model(env_id: str):
    """The shipped Q-network for ``env_id`` as a Keras model."""
    with np.load(_path(env_id), allow_pickle=False) as npz:
        meta = json.loads(npz["meta"].tobytes().decode())
        weights = [npz[f"w{i}"].astype(np.float32) for i in range(meta["n_weights"])]
    cfg = cfglib.from_dict(Config, meta["config"])
    model = build_q_network(meta["obs_size"], meta["n_actions"], cfg.width, cfg.depth)
    model.set_weights(weights)
    return model


def cached(env_id: str, store: Store | None = None) -> Result:
    """The shipped agent as a job-like result in the store (written there on first use).

    The keys match what ``train`` returns (``model``, ``history``, ...), so a page draws a
    pretrained agent and a freshly trained one with the same code.
    """
    store = store or Store()
    path = _path(env_id)
    if not path.exists():
        raise KeyError(env_id)
    key = "dqn-pretrained-" + hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    if not store.exists(key):
        meta = load_meta(env_id)
        with np.load(path, allow_pickle=False) as npz:
            history = npz["history"]
        model = load_model(env_id)
        save_result(
            store,
            key,
            {
                "model": model,
                "best": model,
                "history": history,
                "env_id": env_id,
                "solved_at_step": meta["solved_at_step"],
                "env_steps": meta["env_steps"],
                "eval_return": meta["eval_return"],
                "eval_episodes": meta["eval_episodes"],
                "wall_s": meta["wall_s"],
                "config": meta["config"],
            },
        )
    return Result(store, key)


def export(env_id: str, seed: int = 0, out_dir: Path = ASSETS) -> dict[str, Any]:
    """Train the default agent for ``env_id``, check it, and write ``<env id>.npz``."""
    cfg = dataclasses.replace(for_env("default", env_id), seed=seed)
    t0 = time.time()
    out = train(cfg)
    model = out["best"]  # the best greedy evaluation along training
    weights = [w.astype(np.float16) for w in model.get_weights()]
    model.set_weights([w.astype(np.float32) for w in weights])  # evaluate what we ship
    returns = evaluate(model.predict_on_batch, env_id, 20, seed=EXPORT_EVAL_SEED)
    meta = {
        "env_id": env_id,
        "config": cfglib.to_dict(cfg),
        "n_weights": len(weights),
        "obs_size": int(model.input_shape[-1]),
        "n_actions": int(model.output_shape[-1]),
        "solved_at_step": out["solved_at_step"],
        "env_steps": out["env_steps"],
        "best_step": out["best_step"],
        "wall_s": round(time.time() - t0, 1),
        "eval_return": float(returns.mean()),
        "eval_std": float(returns.std()),
        "eval_episodes": 20,
        "solved": bool(returns.mean() >= spec(env_id).solved),
        "command": f"python -m dl_core.dqn export {env_id} --seed {seed}",
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    arrays = {f"w{i}": w for i, w in enumerate(weights)}
    np.savez_compressed(
        out_dir / f"{env_id}.npz",
        history=out["history"],
        meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
        **arrays,
    )
    return meta
