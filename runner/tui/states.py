"""How each job state looks, the same on every screen."""

from __future__ import annotations

from rich.text import Text

STATE_STYLES = {
    "PENDING": "yellow",
    "RUNNING": "bold cyan",
    "COMPLETED": "green",
    "FAILED": "bold red",
    "CANCELLED": "magenta",
    "TIMEOUT": "dark_orange",
}
"""Rich styles by state name; a state not listed here is shown unstyled."""

SHORT_NAMES = {
    "PENDING": "PD",
    "RUNNING": "R",
    "COMPLETED": "CD",
    "FAILED": "F",
    "CANCELLED": "CA",
    "TIMEOUT": "TO",
}
"""Slurm's two-letter codes, for the crowded header line."""

STATES = tuple(STATE_STYLES)
ACTIVE = ("PENDING", "RUNNING")


def state_style(state: str) -> str:
    return STATE_STYLES.get(state, "")


def state_text(state: str) -> Text:
    """The state's name in its colour."""
    return Text(state, style=state_style(state))


def short_state(state: str) -> str:
    return SHORT_NAMES.get(state, state[:2])
