"""The seed case (rust on screwdriver shafts) brought to D8 through the real services, with a picture
of the complaint and a picture of evidence on a containment action."""

from __future__ import annotations

import datetime as dt

import pytest

from closeloop.actions import services as action_services
from closeloop.complaints.attachments import attachment_add
from closeloop.core import clock
from closeloop.investigations.tests.factories import case_open, case_through
from closeloop.reports.tests.eightd.helpers import picture


@pytest.fixture
def seed_case(complaint, qm, qe, team, finance, salesmgr):  # type: ignore[no-untyped-def]
    attachment_add(complaint=complaint, actor=qm, name="锈蚀照片.png", data=picture())
    inv = case_open(complaint, qm)
    action = action_services.action_create(
        complaint=complaint,
        actor=qm,
        title="现场挑选不良品",
        owner=qe,
        due_date=clock.today() + dt.timedelta(days=1),
        kind="containment",
        investigation=inv,
        step=3,
        tracker=qm,
    )
    action_services.action_evidence_add(
        action=action, actor=qe, files=[("挑选记录.jpg", picture("JPEG", (1600, 1200), "#777777"))]
    )
    action = action_services.action_complete(action=action, actor=qe, note="挑出50支锈蚀品")
    action_services.action_verify(action=action, actor=qm, note="现场确认")
    return case_through(inv, upto=8, qm=qm, team=team, owner=qe, finance=finance, sales_manager=salesmgr)
