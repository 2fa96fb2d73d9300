"""Benchmarks that print figures: ours and a reference measured in the same run."""
