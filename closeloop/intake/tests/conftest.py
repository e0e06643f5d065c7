"""Fixtures of the import tests: a routing that tells people and a robot of new complaints, and the
complaint CSV they import."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group

from closeloop.accounts import roles
from closeloop.complaints.models import AssignmentRule
from closeloop.notifications.models import NotificationPreference, NotificationRule, WebhookEndpoint

HEADERS = ["客户编码", "标题", "问题描述", "严重程度"]
# Five complaints (two serious) and two refused rows: the unknown customer and the missing title.
SEVEN_ROWS: list[list[object]] = [
    ["C001", "杆部生锈", "描述", "严重"],
    ["C001", "包装破损", "描述", "一般"],
    ["NOPE", "未知客户", "描述", ""],
    ["C001", "螺栓断裂", "描述", "严重"],
    ["C001", "", "没有标题", ""],
    ["C001", "标签错误", "描述", "轻微"],
    ["C001", "漏油", "描述", "一般"],
]


@pytest.fixture
def routing(agent, qm, qe, gm, customer):
    """Every complaint goes to qe; serious ones also tell the quality managers (qm) and a robot."""
    AssignmentRule.objects.create(order=1, name="全部→陈工", owner=qe, department=qe.department)
    robot = WebhookEndpoint.objects.create(
        name="质量群", kind="wecom", url="https://qyapi.weixin.qq.com/x?k=1"
    )
    idle = WebhookEndpoint.objects.create(
        name="停用", kind="generic", url="https://hooks.example.com/x", is_active=False
    )
    rule = NotificationRule.objects.create(name="严重客诉", event="complaint_received", severity="serious")
    rule.roles.set([Group.objects.get(name=roles.QUALITY_MANAGER)])
    rule.webhooks.set([robot, idle])
    qm.email, qe.email = "qm@example.com", "qe@example.com"
    qm.save()
    qe.save()
    # qe hears of new complaints in the inbox only: the digest is muted with the event it tells of.
    NotificationPreference.objects.create(user=qe, muted_events=["complaint_received"])
    return {"rule": rule, "robot": robot}


def complaints_csv(rows: list[list[object]]) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([HEADERS, *rows])
    return buf.getvalue().encode("utf-8-sig")
