"""``python -m dl_core.dqn export [ENV ...] [--seed N]``: retrain the shipped agents."""

from __future__ import annotations

import argparse
import sys

from dl_core.dqn.data import ENVS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dl_core.dqn")
    sub = parser.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export", help="train and write dl_core/assets/dqn/<env>.npz")
    ex.add_argument("envs", nargs="*", help=f"any of {', '.join(ENVS)} (default CartPole-v1)")
    ex.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from dl_core.dqn.pretrained import export

    for env_id in args.envs or ["CartPole-v1"]:
        meta = export(env_id, seed=args.seed)
        print(
            f"{env_id}: greedy return {meta['eval_return']:.1f} ± {meta['eval_std']:.1f} "
            f"over 20 episodes, solved={meta['solved']}, {meta['env_steps']} steps, "
            f"{meta['wall_s']} s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
