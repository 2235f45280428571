"""Deep Q-networks on Gymnasium: train live, watch the return climb, replay episodes."""

import dataclasses

import streamlit as st

from dl_core import dqn, estimates
from dl_core.describe import describe_actions
from dl_core.dqn import compare as dqn_compare
from dl_core.dqn import plots, pretrained, replay
from ui import jobs as ui_jobs
from ui.cache import memo
from ui.code import show_code
from ui.compare import ab_configs, train_both
from ui.compare import panes as ab_panes
from ui.errors import shown_errors
from ui.figures import show_figure, show_image, show_image_now
from ui.state import UrlState
from ui.text import md_escape
from ui.topic import backends_caption

# -- the page's longer teaching text ----------------------------------------------------------
INTRO = (
    "An agent learns which action is worth most in each state by fitting a network "
    "**Q(s, a)** to the *Bellman target*: the reward it just got plus the discounted value "
    "of the best next action. Two tricks keep this stable: a **replay buffer** (train on "
    "random old transitions, not on the last few correlated ones) and a **target network** "
    "(a slowly updated copy that computes the target, so the network does not chase itself)."
)

st.title("Deep Q-networks (DQN)")
backends_caption("dqn")
st.markdown(INTRO)
st.latex(
    r"y = r + \gamma\,(1-\text{done})\,\max_{a'} Q_{\text{target}}(s', a'), \qquad "
    r"L(\theta) = \operatorname{Huber}\big(y - Q_\theta(s, a)\big)"
)

url = UrlState("dqn")
if url.key("env") not in st.session_state and (asked := url.get_param("env")) is not None:
    with shown_errors():  # a link naming an unknown environment: say so, then show CartPole
        dqn.spec(asked)
c1, c2, c3 = st.columns([1, 2, 1])
preset = url(c1.segmented_control, "Preset", "preset", "default", options=list(dqn.PRESETS))
env_id = url(c2.selectbox, "Environment", "env", "CartPole-v1", options=list(dqn.ENVS))
seed = url(c3.number_input, "Seed", "seed", 0, min_value=0, max_value=10_000, step=1)
if env_id == "CartPole-v1":  # the stored figures are for CartPole
    c1.caption(
        md_escape(
            estimates.preset_times({p: [(dqn.train, dqn.for_env(p, env_id))] for p in dqn.PRESETS})
        )
    )
env = dqn.ENVS[env_id]
about, look = st.columns([3, 1], vertical_alignment="center")
about.caption(
    f"**{env.title}.** Observation: {env.observation} Actions: {', '.join(env.actions)}. "
    f"Reward: {env.reward} Solved: average greedy return ≥ {env.solved:g}."
)
try:  # the world the agent acts in, drawn with the page's first elements
    frame = memo(replay.start_frame, env_id, int(seed))
except Exception:  # noqa: BLE001 - no drawing for this environment here: the words suffice
    frame = None
if frame is not None:
    what = f"{env.title}: the first frame of an episode with seed {seed}."
    show_image_now(look, frame, what, border=True)
base = dqn.for_env(preset or "default", env_id)

with st.expander("DQN settings", icon=":material/tune:"):
    a, b, c, d = st.columns(4)
    width = url(a.select_slider, "Width", "width", base.width, options=[16, 32, 64, 128, 256, 512])
    depth = url(a.slider, "Hidden layers", "depth", base.depth, min_value=1, max_value=4)
    lr = url(
        a.select_slider,
        "Learning rate",
        "lr",
        base.lr,
        options=sorted({1e-4, 3e-4, 6.3e-4, 1e-3, 2.3e-3, 4e-3, 1e-2, base.lr}),
    )
    gamma = url(
        a.number_input,
        "Discount γ",
        "gamma",
        base.gamma,
        min_value=0.0,
        max_value=2.0,
        step=0.01,
        format="%.3f",
    )
    eps_start = url(b.slider, "ε start", "eps0", base.eps_start, min_value=0.0, max_value=1.0)
    eps_end = url(b.slider, "ε end", "eps1", base.eps_end, min_value=0.0, max_value=1.0)
    eps_decay = url(b.number_input, "ε decay steps", "epsd", base.eps_decay_steps, min_value=1)
    total = url(
        b.number_input,
        "Step budget",
        "steps",
        base.total_steps,
        min_value=0,
        max_value=10_000_000,
        step=1000,
    )
    buffer = url(c.number_input, "Replay buffer size", "buffer", base.buffer_size, min_value=1)
    batch = url(c.number_input, "Batch size", "batch", base.batch_size, min_value=1)
    starts = url(c.number_input, "Learning starts", "starts", base.learning_starts, min_value=0)
    freq = url(c.number_input, "Train every (steps)", "freq", base.train_freq, min_value=1)
    grad = url(c.number_input, "Gradient steps", "grad", base.gradient_steps, min_value=1)
    target = url(
        d.segmented_control, "Target update", "target", base.target_update, options=["hard", "soft"]
    )
    period = url(d.number_input, "Hard copy period", "period", base.target_period, min_value=1)
    tau = url(
        d.number_input,
        "Soft rate τ",
        "tau",
        base.tau,
        min_value=0.0,
        max_value=1.0,
        step=0.001,
        format="%.3f",
    )
    loss = url(d.segmented_control, "Loss", "loss", base.loss, options=["huber", "mse"])
    double = url(d.toggle, "Double DQN", "double", base.double)
cfg = dataclasses.replace(
    base,
    seed=int(seed),
    width=width,
    depth=depth,
    lr=lr,
    gamma=gamma,
    eps_start=eps_start,
    eps_end=eps_end,
    eps_decay_steps=int(eps_decay),
    total_steps=int(total),
    buffer_size=int(buffer),
    batch_size=int(batch),
    learning_starts=int(starts),
    train_freq=int(freq),
    gradient_steps=int(grad),
    target_update=target or "hard",
    target_period=int(period),
    tau=tau,
    loss=loss or "huber",
    double=double,
)


@st.cache_data(max_entries=16, show_spinner="Playing an episode with both agents…")
def _ab_episode(keys: tuple[str, str], index: int, env_id: str, ep_seed: int) -> tuple:
    """Agent A's episode at checkpoint ``index`` (its GIF), B's on its own episode, and both
    agents' Q-values on A's frames."""
    nets = [list(replay.agents_of(k).values()) for k in keys]
    models = [n[1:-2][index] if len(n) > 3 else n[-1] for n in nets]  # the checkpoints
    eps = [replay.record_episode(m, env_id, seed=ep_seed) for m in models]
    gifs = [replay.replay_gif(e, list(dqn.ENVS[env_id].actions)) for e in eps]
    q_b = dqn_compare.q_values(models[1], eps[0]["obs"])
    return eps, gifs, eps[0]["q"], q_b


def compare_dqn(ab, runs) -> None:
    """Two agents: training side by side; at one checkpoint (one slider) each one's replay
    of the same episode seed, and their Q-values on the same frames."""
    panes = ab_panes(ab, runs)
    for n, (col, _, r) in enumerate(panes):
        show_figure(
            col, memo(plots.plot_training, dqn.curves(r["history"]), env_id), key=f"ab-curves-{n}"
        )
    a, b = (r for _, _, r in panes)
    n = min(len(a["checkpoint_steps"]), len(b["checkpoint_steps"]))
    if n == 0:
        st.info("These runs kept no checkpoints to replay.")
        return
    k = url(st.slider, "Checkpoint of both runs", "ab_ckpt", n, min_value=1, max_value=max(n, 2))
    k = min(k, n)
    ep_seed = url(st.number_input, "Episode seed", "ep", 0, min_value=0, max_value=10_000)
    keys = tuple(r.key for _, _, r in panes)
    eps, gifs, q_a, q_b = _ab_episode(keys, k - 1, env_id, int(ep_seed))
    for (col, _, r), ep, gif in zip(panes, eps, gifs, strict=True):
        step = int(r["checkpoint_steps"][k - 1])
        col.markdown(
            md_escape(
                f"At {step:,} steps: return {ep['rewards'].sum():.0f} in {len(ep['actions'])} steps"
            )
        )
        show_image(col, gif, describe_actions(ep["actions"], list(env.actions)), width="stretch")
    fig = memo(plots.plot_q_difference, q_a, q_b, list(env.actions), ab.names)
    show_figure(st, fig, key="ab-q-diff")
    st.caption(
        "Both agents' Q-values on the frames of A's episode (the left replay): above zero, B "
        "values that action more; grey steps: they would choose different actions."
    )


status = ab = None
with shown_errors():
    for w in dqn.validate(cfg):
        st.warning(md_escape(w), icon=":material/warning:")
    cfg, capped = dqn.clamp(cfg)
    for msg in capped:
        st.warning(md_escape(msg), icon=":material/speed:")
    if (ab := ab_configs(url, cfg, dqn.CHOICES)) is not None:
        runs = train_both(
            ab,
            dqn.train,
            key="dqn.ab_train",
            job_label="DQN",
            metrics=("return_avg20", "eval_return"),
            validate=dqn.validate,
        )
        if runs.all_done:
            compare_dqn(ab, runs)
    else:
        status = ui_jobs.train_panel(
            dqn.train,
            cfg,
            job_label=f"DQN · {env_id}",
            metrics=("return_avg20", "epsilon", "eval_return"),
            preview=lambda arr: show_figure(st, plots.plot_training(dqn.curves(arr), env_id)),
        )

if ab is None:  # one run: its training, then replays of its agents
    key, source = None, ""
    if status is not None and status.state == "done":
        key, source = status.key, "your agent"
    elif env_id in pretrained.available():
        key, source = pretrained.cached(env_id).key, "the pretrained agent (served from the cache)"

    if key is None:
        st.info("No pretrained agent ships for this environment: press **Train** to make one.")
    else:
        res = ui_jobs.load_result(key) if source == "your agent" else pretrained.cached(env_id)
        solved = res["solved_at_step"]
        st.subheader(f"Training of {source}")
        show_figure(st, memo(plots.plot_training, dqn.curves(res["history"]), env_id), key="curves")
        st.caption(
            f"{res['env_steps']:,} environment steps in {res['wall_s']:.0f} s; "
            + (f"solved at step {solved:,}." if solved else "not solved within the budget.")
            + (
                f" Shipped network: greedy return {res['eval_return']:.1f} on 20 fresh episodes."
                if "eval_return" in res
                else ""
            )
        )
        st.subheader("Replay")
        agents = st.cache_resource(max_entries=8, show_spinner=False)(replay.agents_of)(key)
        r1, r2, r3 = st.columns([2, 1, 1])
        if st.session_state.get(url.key("agent"), list(agents)[-1]) not in agents:
            st.session_state[url.key("agent")] = list(agents)[
                -1
            ]  # a new result: show its final agent
        label = url(
            r1.selectbox, "Agent to replay", "agent", list(agents)[-1], options=list(agents)
        )
        ep_seed = url(r2.number_input, "Episode seed", "ep", 0, min_value=0, max_value=10_000)
        eps = url(r3.slider, "ε while replaying", "reps", 0.0, min_value=0.0, max_value=1.0)

        @st.cache_data(max_entries=32, show_spinner="Playing an episode…")
        def _episode(key: str, label: str, env_id: str, ep_seed: int, eps: float, untrained: bool):
            arch = (
                res["config"] if "config" in res else dataclasses.asdict(cfg)
            )  # pretrained: its own
            model = (
                replay.untrained_network(env_id, arch["width"], arch["depth"], cfg.seed)
                if untrained and "untrained" not in agents
                else agents["untrained" if untrained else label]
            )
            ep = replay.record_episode(model, env_id, seed=ep_seed, eps=eps)
            return ep, replay.replay_gif(ep, list(env.actions))

        left, right = st.columns(2)
        for col, untrained, title in ((left, True, "untrained"), (right, False, label)):
            who = "untrained" if untrained else label
            ep, gif = _episode(key, who, env_id, int(ep_seed), float(eps), untrained)
            col.markdown(
                f"**{md_escape(title)}** — return {ep['rewards'].sum():.0f} "
                f"in {len(ep['actions'])} steps"
            )
            show_image(
                col, gif, describe_actions(ep["actions"], list(env.actions)), width="stretch"
            )
        st.caption(
            "Under each frame: the step, the return so far, ε, and one bar per action's "
            "Q-value (filled: the action taken; bars span the episode's Q range)."
        )
        show_figure(st, memo(plots.plot_episode_q, ep, list(env.actions)), key="q")
        st.caption(
            f"Q-values of '{md_escape(label)}' at every step of the episode on the right; "
            "dots mark the action it took (hollow: random because of ε)."
        )

show_code(dqn.bellman_targets, dqn.TDLoss, dqn.Agent, dqn.train, replay.record_episode)
