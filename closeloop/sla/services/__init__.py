"""The only writers of the sla app: working calendars, complaints' deadlines, clock pauses and the
deadline scan (reminders, misses, escalation). One module per concern; import from here."""

from closeloop.sla.services.calendars import LIBRARY, calendar_year_complete, calendar_year_load
from closeloop.sla.services.deadlines import (
    STEP_TARGETS,
    deadline_meet,
    deadlines_drop_8d,
    deadlines_move_after_pause,
    deadlines_pause,
    deadlines_plan,
    deadlines_recompute_provisional,
    next_check_set,
)
from closeloop.sla.services.pauses import (
    clock_pause_close,
    clock_pause_open,
    complaint_clock_pause,
    complaint_clock_resume,
)
from closeloop.sla.services.scan import deadlines_scan

__all__ = [
    "LIBRARY",
    "STEP_TARGETS",
    "calendar_year_complete",
    "calendar_year_load",
    "clock_pause_close",
    "clock_pause_open",
    "complaint_clock_pause",
    "complaint_clock_resume",
    "deadline_meet",
    "deadlines_drop_8d",
    "deadlines_move_after_pause",
    "deadlines_pause",
    "deadlines_plan",
    "deadlines_recompute_provisional",
    "deadlines_scan",
    "next_check_set",
]
