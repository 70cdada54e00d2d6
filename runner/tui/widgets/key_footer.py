"""The footer of keys, rebuilt only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, bool], ...]
"""Each shown binding's key, description and whether it is enabled."""


class KeyFooter(Footer):
    """Textual's footer, which rebuilds all its keys whenever focus moves or a
    screen comes back; this one skips the rebuild when the keys shown are the
    same, which they nearly always are.
    """

    def __init__(self) -> None:
        super().__init__(compact=True)  # room for the verbs of the job at hand
        self._shown: Shown | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = _shown(screen)
        if shown == self._shown:
            return
        if screen.app.app_focus and screen is self.screen:
            self._shown = shown  # the rebuild happens only then
        super().bindings_changed(screen)


def _shown(screen: Screen) -> Shown:
    return tuple(
        (binding.key, binding.description, enabled)
        for _node, binding, enabled, _tooltip in screen.active_bindings.values()
        if binding.show
    )
