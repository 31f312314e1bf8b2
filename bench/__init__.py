"""Benchmarks: speed and memory, measured here and never asserted in tests.

Each module ``bench/<name>.py`` defines ``main(argv: list[str]) -> None`` that prints its
figures. ``make bench`` runs them all; ``.venv/bin/python -m bench NAME [ARGS]`` runs one.
Record the figures with the command that produced them in ``docs/benchmarks.md``.
"""
