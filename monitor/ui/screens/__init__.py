"""Modal screens of the bedside app."""

from monitor.ui.screens.dialogs import DoseScreen, HelpScreen, NoteScreen, QuitScreen

__all__ = ["DoseScreen", "HelpScreen", "NoteScreen", "QuitScreen"]
