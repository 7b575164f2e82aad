"""Modal screens of the bedside app. Every one is a SafeModal: dismissed once, whatever the keys."""

from monitor.ui.screens.base import SafeModal
from monitor.ui.screens.dialogs import DoseScreen, HelpScreen, NoteScreen, QuitScreen

__all__ = ["DoseScreen", "HelpScreen", "NoteScreen", "QuitScreen", "SafeModal"]
