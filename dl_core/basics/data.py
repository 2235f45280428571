"""Data for the basics page: 2-D toy sets in [-1, 1]², input features, uploaded CSV tables.

Every generator returns ``(points (n, 2) float32, targets (n,) float32)``. Classification
sets have labels 0/1 in equal numbers (the same sets as TensorFlow Playground plus moons
and Gaussian blobs); regression sets have a real target in about [-1, 1].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dl_core.errors import UploadError

CLASSIFICATION = ("circles", "xor", "spirals", "blobs", "moons")
REGRESSION = ("plane", "bumps")
DATASETS = CLASSIFICATION + REGRESSION
# Inputs a network can see: the raw coordinates and a few hand-made features of them.
FEATURES = ("x", "y", "x²", "y²", "xy", "sin x", "sin y")
MAX_ROWS = 5_000  # rows of an uploaded table the page trains on


def is_classification(dataset: str) -> bool:
    return dataset not in REGRESSION


def _halves(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


def _circles(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    n0, n1 = _halves(n)
    r = np.concatenate([rng.uniform(0.65, 0.95, n0), rng.uniform(0.0, 0.4, n1)])
    a = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([r * np.cos(a), r * np.sin(a)], 1) + rng.normal(0, noise * 0.5, (n, 2))
    return pts, np.r_[np.zeros(n0), np.ones(n1)]


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    n0, n1 = _halves(n)

    # Quadrants with a small margin; class 1 where x and y have the same sign.
    def quad(m: int, same: bool) -> np.ndarray:
        p = rng.uniform(0.05, 0.95, (m, 2))
        sx = rng.choice([-1.0, 1.0], m)
        return np.stack([p[:, 0] * sx, p[:, 1] * (sx if same else -sx)], 1)

    pts = np.concatenate([quad(n0, False), quad(n1, True)]) + rng.normal(0, noise * 0.5, (n, 2))
    return pts, np.r_[np.zeros(n0), np.ones(n1)]


def _spirals(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    n0, n1 = _halves(n)
    parts = []
    for m, delta in ((n0, 0.0), (n1, np.pi)):
        t = np.linspace(0.0, 1.0, m)
        r = 0.9 * t
        a = 1.75 * t * 2 * np.pi + delta
        parts.append(np.stack([r * np.sin(a), r * np.cos(a)], 1))
    pts = np.concatenate(parts) + rng.normal(0, noise * 0.3, (n, 2))
    return pts, np.r_[np.zeros(n0), np.ones(n1)]


def _blobs(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    n0, n1 = _halves(n)
    s = 0.12 + noise * 0.6
    pts = np.concatenate(
        [rng.normal((-0.45, -0.4), s, (n0, 2)), rng.normal((0.45, 0.4), s, (n1, 2))]
    )
    return pts, np.r_[np.zeros(n0), np.ones(n1)]


def _moons(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    n0, n1 = _halves(n)
    a0, a1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    upper = np.stack([np.cos(a0), np.sin(a0)], 1)
    lower = np.stack([1 - np.cos(a1), 0.5 - np.sin(a1)], 1)
    pts = (np.concatenate([upper, lower]) - (0.5, 0.25)) * 0.6
    return pts + rng.normal(0, noise * 0.3, (n, 2)), np.r_[np.zeros(n0), np.ones(n1)]


def _plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-1, 1, (n, 2))
    return pts, (pts[:, 0] + pts[:, 1]) / 2 + rng.normal(0, noise * 0.5, n)


def _bumps(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-1, 1, (n, 2))
    centres = np.array([[-0.5, -0.5, 1], [0.5, 0.5, 1], [-0.5, 0.5, -1], [0.5, -0.5, -1]])
    d2 = ((pts[:, None, :] - centres[None, :, :2]) ** 2).sum(-1)
    y = (centres[:, 2] * np.exp(-d2 / 0.12)).sum(1)
    return pts, y + rng.normal(0, noise * 0.5, n)


GENERATORS: dict[
    str, Callable[[np.random.Generator, int, float], tuple[np.ndarray, np.ndarray]]
] = {
    "circles": _circles,
    "xor": _xor,
    "spirals": _spirals,
    "blobs": _blobs,
    "moons": _moons,
    "plane": _plane,
    "bumps": _bumps,
}


def make_dataset(
    name: str, n: int = 500, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Generate a 2-D data set.

    Args:
        name: one of :data:`DATASETS`.
        n: number of points.
        noise: 0 (clean) to 0.5 (very noisy).
        seed: random seed; the same seed gives the same points.

    Returns:
        ``(points (n, 2), targets (n,))`` as float32, points shuffled.
    """
    rng = np.random.default_rng(seed)
    pts, y = GENERATORS[name](rng, int(n), float(noise))
    order = rng.permutation(len(y))
    return pts[order].astype("float32"), y[order].astype("float32")


def split(points: np.ndarray, targets: np.ndarray, test_ratio: float, seed: int = 0):
    """Shuffle and split into ``(x_train, y_train, x_test, y_test)``; both parts non-empty."""
    n = len(targets)
    order = np.random.default_rng(seed + 1).permutation(n)
    n_test = min(n - 1, max(1, round(n * test_ratio))) if n > 1 else 0
    test, train = order[:n_test], order[n_test:]
    return points[train], targets[train], points[test], targets[test]


MAX_ADDED = 300  # points a visitor can add by clicking


def add_points(x_train: np.ndarray, y_train: np.ndarray, extra) -> tuple[np.ndarray, np.ndarray]:
    """Append points the visitor clicked, ``(x, y, target)`` each, to the training part."""
    if not extra:
        return x_train, y_train
    rows = np.asarray(extra, "float32").reshape(-1, 3)
    return (
        np.concatenate([x_train, rows[:, :2]]).astype(x_train.dtype),
        np.concatenate([y_train, rows[:, 2]]).astype(y_train.dtype),
    )


def parse_points(
    text: str | None, classification: bool = True
) -> tuple[tuple[float, float, float], ...]:
    """Added points from the link: ``"x,y,t;x,y,t"``, cleaned as :func:`clean_points`."""
    return clean_points((part.split(",") for part in (text or "").split(";")), classification)


def clean_points(rows, classification: bool = True) -> tuple[tuple[float, float, float], ...]:
    """Added points as ``(x, y, target)``: malformed rows are left out, positions are kept on the
    plane, targets are 0/1 (classes) or -1..1 (values), at most MAX_ADDED."""
    out = []
    for row in rows:
        try:
            x, y, t = (float(v) for v in row)
        except (TypeError, ValueError):
            continue
        if not all(np.isfinite((x, y, t))):
            continue
        t = float(t > 0.5) if classification else float(np.clip(t, -1, 1))
        out.append(
            (round(float(np.clip(x, -1.2, 1.2)), 3), round(float(np.clip(y, -1.2, 1.2)), 3), t)
        )
    return tuple(out[:MAX_ADDED])


def dump_points(points) -> str:
    """The inverse of :func:`parse_points`: short text for the link."""
    return ";".join(f"{x:g},{y:g},{t:g}" for x, y, t in points)


def features(points: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """The chosen input features of 2-D points, (n, len(names)) float32.

    ``sin`` uses ``sin(πx)`` so one period spans the plane.
    """
    x, y = points[:, 0], points[:, 1]
    table = {
        "x": lambda: x,
        "y": lambda: y,
        "x²": lambda: x * x,
        "y²": lambda: y * y,
        "xy": lambda: x * y,
        "sin x": lambda: np.sin(np.pi * x),
        "sin y": lambda: np.sin(np.pi * y),
    }
    return np.stack([table[f]() for f in names], 1).astype("float32")


# -- uploaded tables ----------------------------------------------------------------------
def table_to_dataset(
    frame, x_col: str, y_col: str, label_col: str
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Check an uploaded table and turn it into points in [-1, 1]² and targets.

    Two distinct labels make a classification set (labels become 0 and 1); a numeric label
    with more values makes a regression set (scaled to [-1, 1]).

    Returns:
        ``(points, targets, info)`` where ``info`` holds ``task``, ``class_names``,
        ``x_range``, ``y_range``, ``dropped`` (rows with missing values) and ``notes``.

    Raises:
        UploadError: missing or repeated columns, text in a number column, fewer than two
            usable rows, a single class, or text labels with more than two classes.
    """
    import pandas as pd

    cols = [str(c) for c in frame.columns]
    for c in (x_col, y_col, label_col):
        if c not in cols:
            raise UploadError(
                f"The table has no column '{c}'. Its columns are: {', '.join(cols[:20])}."
            )
    if len({x_col, y_col, label_col}) < 3:
        raise UploadError("Please pick three different columns: two features and a label.")
    frame = frame.copy()
    frame.columns = cols
    notes: list[str] = []
    numbers = {}
    for c in (x_col, y_col):
        values = pd.to_numeric(frame[c], errors="coerce")
        bad = values.isna() & frame[c].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise UploadError(
                f"Column '{c}' must hold numbers, but row {i + 2} has "
                f"'{str(frame[c].iloc[i])[:30]}'. "
                "Please fix that cell or pick another column."
            )
        values = values.astype("float64")
        numbers[c] = values.where(np.isfinite(values))
    label = frame[label_col]
    keep = numbers[x_col].notna() & numbers[y_col].notna() & label.notna()
    dropped = int((~keep).sum())
    if dropped:
        notes.append(f"{dropped} row(s) with an empty, NaN or infinite value were left out.")
    if keep.sum() < 2:
        raise UploadError(
            "The table needs at least two rows with numbers in both feature columns and a label."
        )
    if keep.sum() > MAX_ROWS:
        notes.append(f"Only the first {MAX_ROWS:,} usable rows were used (of {int(keep.sum()):,}).")
        keep &= keep.cumsum() <= MAX_ROWS
    xs, ys, label = numbers[x_col][keep].to_numpy(), numbers[y_col][keep].to_numpy(), label[keep]
    distinct = pd.unique(label)
    info: dict = {
        "x_range": [float(xs.min()), float(xs.max())],
        "y_range": [float(ys.min()), float(ys.max())],
    }
    numeric_label = pd.to_numeric(label, errors="coerce")
    if len(distinct) == 1:
        raise UploadError(
            f"Every row has the label '{distinct[0]}': a classifier needs two classes."
        )
    if len(distinct) == 2:
        names = sorted(str(v) for v in distinct)
        targets = (label.astype(str) == names[1]).to_numpy().astype("float32")
        info |= {"task": "classification", "class_names": names}
    elif numeric_label.notna().all() and np.isfinite(numeric_label).all():
        t = numeric_label.to_numpy(dtype="float64")
        lo, hi = t.min(), t.max()
        targets = ((t - lo) / (hi - lo) * 2 - 1).astype("float32")
        info |= {"task": "regression", "class_names": [], "target_range": [float(lo), float(hi)]}
        notes.append(
            f"'{label_col}' has {len(distinct)} values, so this is a regression task (scaled "
            "to [-1, 1])."
        )
    else:
        raise UploadError(
            f"The label column '{label_col}' has {len(distinct)} different text values; this page "
            "classifies two classes (or predicts a number). Please keep two classes."
        )

    def scale(v: np.ndarray) -> np.ndarray:
        lo, hi = v.min(), v.max()
        return np.zeros_like(v) if hi == lo else (v - lo) / (hi - lo) * 1.8 - 0.9

    points = np.stack([scale(xs), scale(ys)], 1).astype("float32")
    info |= {"dropped": dropped, "notes": notes, "columns": [x_col, y_col, label_col]}
    return points, targets, info
