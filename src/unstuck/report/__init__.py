"""Renderers: they read a Report (and nothing else) and never judge."""
