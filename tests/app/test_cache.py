"""ui.cache.memo: one computation per distinct arguments, by content (arrays) or identity."""

import dataclasses

import numpy as np

from ui.cache import digest, memo

calls: list[tuple] = []


def _double(x, scale=2):
    calls.append((x, scale))
    return np.asarray(x) * scale


@dataclasses.dataclass(frozen=True)
class _Cfg:
    size: int
    names: tuple = ("a", "b")


class _Model:  # stands for a Keras model: no value hash, hashed by identity
    pass


def test_same_content_is_computed_once_and_shared():
    calls.clear()
    a = np.arange(6.0).reshape(2, 3)
    first = memo(_double, a)
    again = memo(_double, a.copy())  # equal content, another array
    assert again is first
    assert len(calls) == 1
    memo(_double, a, scale=3)
    b = a.copy()
    b[1, 2] = -1
    memo(_double, b)
    assert len(calls) == 3


def test_digest_tells_apart_dtype_shape_and_structure():
    a = np.zeros(4, np.float32)
    assert digest(a) != digest(a.astype(np.float64))
    assert digest(a) != digest(a.reshape(2, 2))
    assert digest([1, 2]) != digest((1, 2))
    assert digest({"a": 1}) != digest({"a": 2})
    assert digest(_Cfg(3)) == digest(_Cfg(3))
    assert digest(_Cfg(3)) != digest(_Cfg(4))
    assert digest(1) != digest(1.0) != digest("1")
    assert digest("1") != digest(b"1")
    assert digest(("ab", "c")) != digest(("a", "bc"))
    assert digest({1, 2}) == digest({2, 1}) != digest([1, 2])


def test_objects_without_value_hash_are_keyed_by_identity():
    m1, m2 = _Model(), _Model()
    assert digest(m1) == digest(m1)
    assert digest(m1) != digest(m2)
    assert memo(lambda m: [id(m)], m1) != memo(lambda m: [id(m)], m2)


def test_functions_with_the_same_name_in_different_scripts_do_not_collide():
    def make(n):
        ns: dict = {}
        exec(compile(f"def f():\n    return {n}\n", f"page{n}.py", "exec"), ns)  # noqa: S102
        return ns["f"]

    f1, f2 = make(1), make(2)
    assert f1.__qualname__ == f2.__qualname__
    assert memo(f1) == 1
    assert memo(f2) == 2


def test_reruns_skip_the_keras_reset_and_the_full_gc():
    import tomllib
    from pathlib import Path

    from streamlit.runtime.scriptrunner import script_runner

    from ui import runtime

    runtime.tune()
    assert script_runner._clean_problem_modules is runtime._close_matplotlib_figures
    config = tomllib.loads((Path(__file__).parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
