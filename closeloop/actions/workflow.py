"""The action lifecycle as a literal transition table. Pure: no ORM writes.

open --start--> in progress --complete--> done --verify--> verified
  \\________________complete______________/   \\--reject--> in progress
open / in progress --cancel--> cancelled
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.workflow import transition_check


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    VERIFIED = "verified", _("Verified")
    CANCELLED = "cancelled", _("Cancelled")


class ActionKind(models.TextChoices):
    CONTAINMENT = "containment", _("Containment action")
    CORRECTIVE = "corrective", _("Corrective action")
    PREVENTIVE = "preventive", _("Preventive action")
    HORIZONTAL = "horizontal", _("Horizontal deployment")
    TASK = "task", _("Task")


OPEN_ACTION_STATUSES = frozenset({ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE})

ACTION_TRANSITIONS: dict[tuple[str, str], str] = {
    (ActionStatus.OPEN, ActionStatus.IN_PROGRESS): "start",
    (ActionStatus.OPEN, ActionStatus.DONE): "complete",
    (ActionStatus.IN_PROGRESS, ActionStatus.DONE): "complete",
    (ActionStatus.DONE, ActionStatus.VERIFIED): "verify",
    (ActionStatus.DONE, ActionStatus.IN_PROGRESS): "reject",
    (ActionStatus.OPEN, ActionStatus.CANCELLED): "cancel",
    (ActionStatus.IN_PROGRESS, ActionStatus.CANCELLED): "cancel",
}


def check_action_transition(current: str, target: str) -> None:
    transition_check(
        ACTION_TRANSITIONS,
        ActionStatus,
        current,
        target,
        _("An action that is “%(current)s” cannot become “%(target)s”."),
    )
