"""Checkpoints along training (dl_core.checkpoints): which epochs, the bound, a real CNN job
rewound to its first epoch, and eviction taking them with the job."""

import dataclasses

import numpy as np
import pytest

from dl_core import checkpoints, cnn, jobs
from dl_core.store import Store


@pytest.mark.parametrize(
    "sizes, bound",
    [
        ({e: 1000 for e in range(1, 31)}, 10_000),  # 30 epochs, room for 10
        ({e: 1000 + 37 * e for e in range(1, 51)}, 7_777),  # uneven sizes
        ({1: 400, 2: 400, 3: 400}, 800),  # room for two: the first and the last
    ],
)
def test_rewind_thinning_keeps_the_first_and_last_epoch_under_the_bound(sizes, bound):
    gone = checkpoints.thin(sizes, bound)
    kept = [e for e in sorted(sizes) if e not in gone]
    assert kept[0] == min(sizes) and kept[-1] == max(sizes)
    assert sum(sizes[e] for e in kept) <= bound
    assert len(kept) >= 2
    assert checkpoints.thin({e: sizes[e] for e in kept}, bound) == []  # already fits


def test_rewind_thinning_keeps_the_last_epoch_even_when_only_one_fits():
    assert checkpoints.thin({1: 600, 5: 600, 9: 600}, 1000) == [1, 5]


def test_rewind_plan_every_epoch_for_small_models_else_ten_spread():
    assert checkpoints.plan(20, 10_000) == list(range(1, 21))
    big = checkpoints.plan(40, 20 * 1024**2)  # 20 MB each: two fit in 50 MB
    assert big == [1, 40]
    mid = checkpoints.plan(200, 1000)  # long run, tiny model: about ten points
    assert mid[0] == 1 and mid[-1] == 200 and len(mid) == checkpoints.POINTS
    gaps = np.diff(mid)
    assert gaps.max() - gaps.min() <= 1  # evenly spread


def test_rewind_a_tiny_cnn_job_saves_every_epoch_and_epoch_one_differs_from_the_last(
    fresh_home, inline_jobs
):
    cfg = dataclasses.replace(cnn.PRESETS["tiny"], epochs=3)
    key = jobs.submit(cnn.train, cfg)
    assert jobs.status(key).state == "done", jobs.status(key).error
    res = jobs.result(key)
    assert checkpoints.epochs(key) == [1, 2, 3]
    assert 0 < checkpoints.total_bytes(key) <= checkpoints.MAX_BYTES
    first = checkpoints.model_at(res, "model", 1)
    last = checkpoints.model_at(res, "model", 3)
    w_first = first.get_layer("conv1").get_weights()[0]
    w_last = last.get_layer("conv1").get_weights()[0]
    np.testing.assert_allclose(w_last, res["filters_after"], rtol=1e-6)
    assert not np.allclose(w_first, w_last)
    np.testing.assert_allclose(res["model"].get_layer("conv1").get_weights()[0], w_last)
    with pytest.raises(KeyError):
        checkpoints.load(key, 7)
    # eviction removes them together with the job
    Store().delete(key)
    assert checkpoints.epochs(key) == []
