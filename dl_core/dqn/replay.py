"""Replays: run one episode with a Q-network, record ``rgb_array`` frames, actions and
Q-values, and turn them into an animated image with the Q-values drawn beside each frame."""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from dl_core.dqn.data import make_env, spec
from dl_core.dqn.model import numpy_q_function
from dl_core.viz import CATEGORICAL

MAX_FRAMES = 150  # longer episodes keep every k-th frame (the Q-values keep every step)


def record_episode(
    model,
    env_id: str,
    seed: int = 0,
    eps: float = 0.0,
    width: int = 360,
    max_frames: int = MAX_FRAMES,
) -> dict[str, np.ndarray]:
    """Play one ε-greedy episode and record it.

    Returns ``frames`` (F, H, W, 3) uint8 (every ``stride``-th step, resized to ``width``),
    ``frame_steps`` (F,) the step of each frame, and per step: ``q`` (T, A), ``actions`` (T,),
    ``rewards`` (T,), ``random`` (T,) whether the action was a random (ε) one, ``obs``
    (T, observation size) what the agent saw at each step, and ``eps``.
    """
    env = make_env(env_id, render=True)
    _draw_at_width(env, width)
    q_of = numpy_q_function(model)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    frames, frame_steps, qs, actions, rewards, randoms, seen = [], [], [], [], [], [], []
    limit = spec(env_id).max_steps
    stride = max(1, int(np.ceil(limit / max_frames)))
    done, t = False, 0
    while not done:
        q = q_of(np.asarray(obs, np.float32)[None])[0]
        is_random = rng.random() < eps
        action = int(rng.integers(len(q))) if is_random else int(np.argmax(q))
        if t % stride == 0:
            frames.append(_resize(env.render(), width))
            frame_steps.append(t)
        seen.append(np.asarray(obs, np.float32))
        obs, reward, term, trunc, _ = env.step(action)
        qs.append(q)
        actions.append(action)
        rewards.append(float(reward))
        randoms.append(is_random)
        done, t = term or trunc, t + 1
    frames.append(_resize(env.render(), width))  # the final state
    frame_steps.append(t)
    env.close()
    return {
        "frames": np.stack(frames),
        "frame_steps": np.asarray(frame_steps),
        "q": np.stack(qs).astype(np.float32),
        "actions": np.asarray(actions),
        "rewards": np.asarray(rewards, np.float32),
        "random": np.asarray(randoms),
        "obs": np.stack(seen),
        "eps": np.float32(eps),
    }


def start_frame(env_id: str, seed: int = 0, width: int = 240) -> np.ndarray:
    """The environment's first ``rgb_array`` frame after ``reset(seed=seed)``, ``width``
    pixels wide: what an episode with this seed starts from."""
    env = make_env(env_id, render=True)
    try:
        _draw_at_width(env, width)
        env.reset(seed=seed)
        return _resize(env.render(), width)
    finally:
        env.close()


def render_size(env_id: str) -> tuple[int, int, int]:
    """The (H, W, 3) shape of the environment's own ``rgb_array`` frames."""
    env = make_env(env_id, render=True)
    env.reset(seed=0)
    shape = env.render().shape
    env.close()
    return shape


def _draw_at_width(env, width: int) -> None:
    """Make the classic-control environments draw their frames ``width`` pixels wide
    themselves (they read their canvas size from these attributes at the first render):
    drawing 360 pixels costs a third of drawing 600, and resizing a 600-pixel frame costs
    more than drawing it. Other environments draw at their own size, and :func:`_resize`
    scales their frames."""
    raw = env.unwrapped
    if isinstance(getattr(raw, "screen_width", None), int) and hasattr(raw, "screen_height"):
        f = width / raw.screen_width
        # Their world scales with the width, but a few parts are drawn in fixed pixels
        # (MountainCar's flag stands 50 pixels above the goal): keep room for those.
        raw.screen_height = round(raw.screen_height * f + 50 * max(1.0 - f, 0.0))
        raw.screen_width = width
    elif isinstance(getattr(raw, "SCREEN_DIM", None), int):
        raw.SCREEN_DIM = width  # square (Acrobot)


def _resize(frame: np.ndarray, width: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if w == width:
        return np.ascontiguousarray(frame)
    return np.asarray(Image.fromarray(frame).resize((width, round(h * width / w)), Image.BILINEAR))


@functools.lru_cache(maxsize=4)
def _font(size: int):
    for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)  # ASCII-only text below keeps this readable


def annotated_frame(episode: dict[str, np.ndarray], i: int, action_names: list[str]) -> np.ndarray:
    """Frame ``i`` above a panel: step, return so far, ε, and a bar per action's Q-value
    (the chosen one filled; bars span the episode's range of Q-values)."""
    frame = episode["frames"][i]
    t = int(episode["frame_steps"][i])
    h, w = frame.shape[:2]
    n = len(action_names)
    img = Image.new("RGB", (w, h + 52 + 24 * n), "white")
    img.paste(Image.fromarray(frame), (0, 0))
    draw = ImageDraw.Draw(img)
    font, small = _font(15), _font(13)
    ret = float(episode["rewards"][:t].sum())
    step = min(t, len(episode["actions"]) - 1)
    q = episode["q"][step]
    action = int(episode["actions"][step])
    how = "random action" if episode["random"][step] else "greedy"
    draw.text((8, h + 4), f"step {t}   return {ret:.0f}", fill="black", font=font)
    draw.text((8, h + 26), f"eps = {float(episode['eps']):.2f}   {how}", fill="black", font=small)
    lo, hi = float(episode["q"].min()), float(episode["q"].max())
    span = max(hi - lo, 1e-6)
    label_w = max(int(draw.textlength(f"> {name}  -000.00", font=small)) for name in action_names)
    for a in range(n):
        y = h + 48 + 24 * a
        colour = CATEGORICAL[a % len(CATEGORICAL)]
        mark = "> " if a == action and t < len(episode["actions"]) else "   "
        draw.text((8, y), f"{mark}{action_names[a]}  {q[a]:.2f}", fill="black", font=small)
        x0 = 12 + label_w
        x1 = x0 + 6 + int((float(q[a]) - lo) / span * max(w - x0 - 16, 10))
        fill = colour if a == action else "white"
        draw.rectangle((x0, y + 2, x1, y + 16), outline=colour, fill=fill, width=2)
    return np.asarray(img)


def replay_gif(episode: dict[str, np.ndarray], action_names: list[str], fps: int = 20) -> bytes:
    """The episode as an animated GIF, each frame annotated (see :func:`annotated_frame`)."""
    first = Image.fromarray(annotated_frame(episode, 0, action_names))
    first = first.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    images = [first] + [
        Image.fromarray(annotated_frame(episode, i, action_names)).quantize(
            palette=first, dither=Image.Dither.NONE
        )
        for i in range(1, len(episode["frames"]))
    ]  # one shared palette: no colour flicker between frames; the drawings are flat colours,
    # so each pixel takes its nearest palette colour (dithering only adds speckle and time)
    buf = io.BytesIO()
    images[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        loop=0,
        duration=int(1000 / fps),
        optimize=False,
    )
    return buf.getvalue()


def agents_of(key: str) -> dict[str, object]:
    """The Q-networks a finished job (or a cached pretrained agent) holds, by label, in
    training order: untrained, checkpoints, best evaluation, final."""
    from dl_core.results import Result
    from dl_core.store import Store

    res = Result(Store(), key)
    out: dict[str, object] = {}
    if "untrained" in res:
        out["untrained"] = res["untrained"]
    if "checkpoints" in res:
        for step, model in zip(res["checkpoint_steps"], res["checkpoints"], strict=True):
            out[f"checkpoint @ {int(step):,} steps"] = model
    if "best_step" in res:
        out[f"best evaluation @ {int(res['best_step']):,} steps"] = res["best"]
    out["final" if "untrained" in res else "pretrained"] = res["model"]
    return out


def untrained_network(env_id: str, width: int, depth: int, seed: int = 0):
    """A freshly initialised Q-network (what the agent knows before any training)."""
    import keras

    from dl_core.dqn.data import sizes
    from dl_core.dqn.model import build_q_network

    keras.utils.set_random_seed(seed)
    return build_q_network(*sizes(env_id), width, depth)
