"""The one guard every literal transition table goes through."""

from __future__ import annotations

from typing import Any

from closeloop.core.errors import TransitionNotAllowed


def transition_check(
    transitions: dict[tuple[str, str], str], states: Any, current: str, target: str, message: Any
) -> None:
    """Raise TransitionNotAllowed (with ``from``/``to``) unless ``(current, target)`` is in the table.

    ``message`` takes ``%(current)s`` and ``%(target)s``, filled with the states' translated labels.
    """
    if (current, target) not in transitions:
        raise TransitionNotAllowed(
            message % {"current": states(current).label, "target": states(target).label},
            extra={"from": str(current), "to": str(target)},
        )
