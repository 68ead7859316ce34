"""Maintenance mode: the corner gesture, the PIN pad, the panel and its pages."""
