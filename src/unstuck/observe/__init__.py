"""Observers: install hooks, record facts into a Trace, never judge."""
