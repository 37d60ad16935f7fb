"""Benchmarks for issue 11 (scale): ``make bench`` runs ``python -m bench.run``; see ``bench/RESULTS.md``."""
