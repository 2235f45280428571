"""Benchmarks: each ``bench/bench_<name>.py`` has ``main() -> dict`` that measures figures and
ratios side by side in one run and prints them. ``python -m bench [name ...]`` runs them.
They are measurements, not tests: nothing here asserts a time.
"""
