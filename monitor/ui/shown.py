"""Text from a file, an option or a recording, as the screen shows it.

A label, a file name, a column header or a note can hold terminal control sequences (an ESC
sequence that retitles the terminal, clears it or writes to the clipboard) and square brackets that
Textual would read as markup. Every such string reaches a widget through `printable`
(monitor.core.text): the panels' `_fit`, or one of these for the dialogs and messages.
"""

from __future__ import annotations

from textual.content import Content
from textual.markup import escape

from monitor.core.text import printable


def plain(*lines: object) -> Content:
    """Each line made printable (a line break in one shows as \\n), shown as it is: never read as
    markup."""
    return Content("\n".join(printable(line) for line in lines))


def in_markup(text: object) -> str:
    """`text` made printable, for a place inside a markup string (its brackets escaped)."""
    return escape(printable(text))
