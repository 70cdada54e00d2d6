"""The queue screen's widgets, one per module."""
