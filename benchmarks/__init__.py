"""Benchmarks, run by hand (`make bench`): each figure is a ratio to a same-run reference."""
