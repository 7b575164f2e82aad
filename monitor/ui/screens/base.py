"""SafeModal: a modal screen that a burst of keys cannot close twice.

Textual's `Screen.dismiss()` calls `App.pop_screen()`, which pops whatever screen is on *top*
of the stack, and raises `ScreenStackError` when only one is left. Keys come in bursts (a held
arrow key, a double press): the app hands each key to the screen on top when it reads the key,
so several can already be queued on a modal when the first one closes it. Each of them then
dismisses again: the second pop takes the screen beneath (another dialog), or raises when only
the monitor's own screen is left, and the app ends.

`SafeModal.dismiss` acts once, and only while the screen is the top of the app's screen stack;
any other call is ignored (nothing is popped, the result callback does not run again) and
returns an already completed awaitable, as Textual's does.
"""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen, ScreenResultType


class SafeModal(ModalScreen[ScreenResultType]):
    """A modal screen whose `dismiss` acts once, and only while the screen is on top."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._dismissed = False

    @property
    def can_dismiss(self) -> bool:
        """True while a dismiss would close this screen: not yet dismissed, and the top screen."""
        if self._dismissed or not self.is_attached:  # (not attached: gone, or the app is exiting)
            return False
        stack = self.app.screen_stack
        # dismiss() pops the top screen, whichever it is; never let it pop the last one.
        return len(stack) > 1 and stack[-1] is self

    def dismiss(self, result: ScreenResultType | None = None) -> AwaitComplete:
        if not self.can_dismiss:
            return AwaitComplete.nothing()
        self._dismissed = True
        return super().dismiss(result)

    def on_screen_resume(self) -> None:
        # Shown again (pushed anew, or a screen above it closed): it may be dismissed once more.
        if self.is_attached and self.app.screen is self:
            self._dismissed = False
