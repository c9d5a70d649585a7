"""Benchmarks run by hand (`make bench`); every figure is a ratio to a reference measured in the same run."""
