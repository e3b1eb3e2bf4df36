"""aihub: a city's AI hub, from problems to challenges to delivered solutions."""

__version__ = "0.1.0"
