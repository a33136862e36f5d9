"""Benchmarks run by ``make bench`` (``python -m bench [NAME ...]``).

Each benchmark is a sibling module with a ``main(argv) -> int`` function,
listed in :data:`bench.__main__.BENCHMARKS`. Shared pieces: :mod:`bench.server`
starts the app as ``make run`` does, :mod:`bench.webclient` is a cheap HTTP
client with its own cookie jar, :mod:`bench.load` runs bounded closed-loop
phases, :mod:`bench.sysstat` accounts for CPU time and :mod:`bench.results`
writes ``bench/results/<name>.json``.
"""
