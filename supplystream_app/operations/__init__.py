"""Operators' tools over retained topics: replay a window into one sink or a topic, re-drive dead letters.

Pure planning (`window`, `redrive`) is separate from the Kafka I/O (`replay`, `dead_letter_topics`).
"""
