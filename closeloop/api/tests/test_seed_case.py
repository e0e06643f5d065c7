"""The seed case, end to end through the API, checking who was told what.

On 2008-06-25 customer A reports rust on screwdriver shafts from sales order 20080505003. The
complaint is created from the order; being a quality complaint, once accepted it goes to the sales
manager, quality manager, purchasing manager and general manager. The quality manager proposes to
handle it within three days and creates two tasks: (1) tomorrow, a quality engineer and three production
staff go on site to handle the bad parts; (2) within seven days, find the cause, propose prevention and
tell the customer. The on-site task is closed with its notes and the salesperson and sales manager are
told. The cause is found (packaging got wet in transport: no waterproofing), the prevention decided
(wrap the outer cartons of each pallet in nylon film), the sales manager reviews, and the case closes
with the customer satisfied.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import department_make, user_make
from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core import clock
from closeloop.customers.tests.factories import contact_make, customer_make, order_make, product_make
from closeloop.investigations.tests.factories import SEED_CONTENT
from closeloop.notifications.models import Notification

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hh: int = 9, mm: int = 30) -> None:
    y, m, d = (int(p) for p in day.split("-"))
    clock.freeze(dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI))


@pytest.fixture
def story(db) -> Iterator[dict]:
    at("2008-06-25")
    sales_dept = department_make("sales", "销售部", "Sales")
    quality = department_make("quality", "质量部", "Quality")
    production = department_make("production", "生产部", "Production")
    people = {
        "salesmgr": user_make(
            "salesmgr", roles.SALES_MANAGER, department=sales_dept, display_name="销售经理"
        ),
        "sales": user_make("sales", roles.SALESPERSON, department=sales_dept, display_name="销售员"),
        "qm": user_make("qm", roles.QUALITY_MANAGER, department=quality, display_name="质量部经理"),
        "qe": user_make("qe", roles.QUALITY_ENGINEER, department=quality, display_name="质量工程师"),
        "purchasing": user_make("purchasing", roles.PURCHASING_MANAGER, display_name="采购经理"),
        "gm": user_make("gm", roles.GENERAL_MANAGER, display_name="总经理"),
        "finance": user_make("finance", roles.FINANCE, display_name="财务"),
        **{
            f"p{i}": user_make(f"p{i}", None, department=production, display_name=f"生产{i}")
            for i in (1, 2, 3)
        },
    }
    customer = customer_make("A", "客户A", tier="key", annual_value=3_000_000, sales_owner=people["sales"])
    product = product_make("SD-100", "十字螺丝刀", family="hand-tools", warranty_months=12)
    order_make(
        "20080505003",
        customer,
        [(product, 2000, "L080505")],
        order_date=dt.date(2008, 5, 5),
        ship_date=dt.date(2008, 6, 20),
        shipment_number="SH-20080620",
        contact=contact_make(customer),
    )
    yield people
    clock.freeze(None)


def told(verb: str) -> set[tuple[str, str]]:
    return set(Notification.objects.filter(verb=verb).values_list("recipient__username", "reason"))


def test_the_screwdriver_rust_case(api, client, bearer, story):
    put = lambda user, path, body: client.put(  # noqa: E731
        f"/api/v1{path}", json.dumps(body), content_type="application/json", **bearer(story[user])
    )
    a = {name: api(user) for name, user in story.items()}

    # 2008-06-25: the salesperson records the complaint from the sales order.
    resp = a["sales"].post(
        "/complaints",
        {
            "order_number": "20080505003",
            "channel": "phone",
            "title": "螺丝刀杆生锈",
            "description": "客户A收货开箱发现部分螺丝刀杆表面生锈。",
            "customer_requirement": "现场处理不良品，查明原因并提出预防措施",
            "quantity_affected": 50,
            "received_at": "2008-06-25T09:00:00+08:00",
        },
    )
    assert resp.status_code == 201, resp.json()
    c = resp.json()
    number = c["number"]
    assert (c["customer"]["code"], c["product"], c["lot"], c["ship_date"]) == (
        "A",
        "SD-100",
        "L080505",
        "2008-06-20",
    )
    assert c["warranty_status"] == "in"

    # Accepted as a quality complaint: the four managers are told. The quality engineer triages it on the
    # quality manager's behalf: whoever makes a change is never told of it (notification_send's contract),
    # so a quality manager triaging it would not be told either.
    resp = a["qe"].patch(
        f"/complaints/{number}",
        {"category": "quality-corrosion", "severity": "serious", "urgency": "urgent", "handling_path": "8d"},
    )
    assert resp.status_code == 200, resp.json()
    assert told("complaint_accepted") == {
        ("salesmgr", "role_sales_manager"),
        ("qm", "role_quality_manager"),
        ("purchasing", "role_purchasing_manager"),
        ("gm", "role_general_manager"),
    }

    # The quality manager takes it on the full 8D: handle within three days, two tasks.
    at("2008-06-25", 11)
    resp = a["qm"].post(f"/complaints/{number}/start", {"path": "8d"})
    assert resp.status_code == 200 and resp.json()["handling_path"] == "8d"
    case = resp.json()["investigation"]

    def save(user: str, step: int, content: dict) -> None:
        version = a[user].get(f"/8d/{case}").json()["steps"][step]["version"]
        r = put(user, f"/8d/{case}/steps/{step}", {"version": version, "content": content})
        assert r.status_code == 200, r.json()

    def advance(user: str, step: int) -> None:
        r = a[user].post(f"/8d/{case}/steps/{step}/submit", {})
        assert r.status_code == 200, r.json()
        r = a["qm"].post(f"/8d/{case}/steps/{step}/approve", {})
        assert r.status_code == 200, r.json()

    save(
        "qm",
        0,
        {
            **SEED_CONTENT[0],
            "emergency_actions": "三天内处理：次日派质量工程师和三名生产人员到现场处理不良品",
        },
    )
    advance("qm", 0)

    def task(title: str, kind: str, due: str, owner: str, step: int | None = None, tracker: str = "") -> int:
        body = {"title": title, "kind": kind, "owner": owner, "due_date": due, "tracker": tracker}
        if step is not None:
            body["step"] = step
        r = a["qm"].post(f"/8d/{case}/actions", body)
        assert r.status_code == 201, r.json()
        return r.json()["id"]

    onsite = task("明天质量工程师和三名生产人员到客户现场处理不良品", "containment", "2008-06-26", "qe", 3)
    cause = task("七天内查明原因并提出预防措施，告知客户", "task", "2008-07-02", "qe", 4)
    assert ("qe", "owner") in told("action_assigned")

    for username, role in (
        ("qe", "leader"),
        ("qm", "champion"),
        ("p1", "member"),
        ("p2", "member"),
        ("p3", "member"),
    ):
        assert (
            put("qm", f"/8d/{case}/team/{username}", {"role": role, "responsibility": "现场处理"}).status_code
            == 200
        )
    save("qm", 1, SEED_CONTENT[1])
    advance("qm", 1)

    # 2008-06-26: on site; the task is closed with its notes, and the sales side is told.
    at("2008-06-26", 17)
    assert a["qe"].post(f"/actions/{onsite}/start", {}).status_code == 200
    r = a["qe"].post(f"/actions/{onsite}/complete", {"note": "现场挑出50支生锈品，全部更换并擦拭防锈"})
    assert r.status_code == 200, r.json()
    done = told("action_done")
    assert ("sales", "recorder") in done and ("salesmgr", "sales_manager_of_owner") in done
    assert ("qm", "requester") in done
    assert a["qm"].post(f"/actions/{onsite}/verify", {"note": "客户确认"}).status_code == 200
    save("qe", 2, SEED_CONTENT[2])
    advance("qe", 2)
    save("qe", 3, SEED_CONTENT[3])
    advance("qe", 3)

    # 2008-06-30: the cause — packaging got wet in transport, no waterproofing.
    at("2008-06-30", 15)
    save("qe", 4, SEED_CONTENT[4])
    advance("qe", 4)
    r = a["qe"].post(
        f"/actions/{cause}/complete",
        {"note": "原因：运输包装无防水措施，受潮生锈；预防：每托盘外箱缠绕尼龙薄膜"},
    )
    assert r.status_code == 200
    assert a["qm"].post(f"/actions/{cause}/verify", {"note": "已告知客户"}).status_code == 200
    save("qe", 5, SEED_CONTENT[5])
    advance("qe", 5)
    film = task("每托盘外箱缠绕尼龙薄膜", "corrective", "2008-07-10", "qe", 6, tracker="qm")
    assert (
        a["qe"].post(f"/actions/{film}/complete", {"note": "包装作业指导书已更新并培训"}).status_code == 200
    )
    at("2008-07-10", 10)
    assert a["qm"].post(f"/actions/{film}/verify", {"note": "后续三批到货无锈"}).status_code == 200
    save("qe", 6, SEED_CONTENT[6])
    advance("qe", 6)
    spread = task("同类手动工具产品出货包装同样缠膜", "horizontal", "2008-07-20", "qe", 7, tracker="qm")
    assert a["qe"].post(f"/actions/{spread}/complete", {"note": "扳手、钳子产品线已执行"}).status_code == 200
    assert a["qm"].post(f"/actions/{spread}/verify", {"note": "抽查确认"}).status_code == 200
    save("qe", 7, SEED_CONTENT[7])
    advance("qe", 7)

    # D8: finance verifies the cost, the sales manager reviews what the customer is told.
    save("qe", 8, SEED_CONTENT[8])
    assert a["qe"].post(f"/8d/{case}/steps/8/submit", {}).json()["code"] == "step_incomplete"
    assert a["qe"].post(f"/8d/{case}/signoff-request", {}).status_code == 200
    assert told("cost_verification") == {("finance", "role_finance")}
    assert told("customer_summary_review") == {("salesmgr", "role_sales_manager")}
    assert a["finance"].post(f"/8d/{case}/cost-verification", {"note": "已核对"}).status_code == 200
    assert a["salesmgr"].post(f"/8d/{case}/summary-review", {"note": "同意发给客户"}).status_code == 200
    advance("qe", 8)
    body = a["qm"].get(f"/8d/{case}").json()
    assert body["status"] == "closed" and body["cost_verified"]["valid"] and body["summary_reviewed"]["valid"]
    assert ("sales", "sales_owner") in told("investigation_closed")

    c = a["sales"].get(f"/complaints/{number}").json()
    assert c["status"] == "awaiting_customer"
    assert "无防水措施" in c["resolution"] and "尼龙薄膜" in c["resolution"]

    # The customer is satisfied.
    at("2008-07-15", 10)
    r = a["qm"].post(
        f"/complaints/{number}/verdict", {"satisfied": True, "score": 5, "comment": "处理及时，满意"}
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"

    complaint = Complaint.objects.get(number=number)
    verbs = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("verb", flat=True))
    assert verbs[:3] == ["created", "triaged", "handling_started"]
    assert verbs[-1] == "closed" and "8d_closed" in verbs and verbs.count("8d_step_approved") == 9
    assert complaint.closed_at.astimezone(SHANGHAI).date() == dt.date(2008, 7, 15)
    assert [e["verb"] for e in a["sales"].get(f"/8d/{case}/timeline").json()] == [
        "opened",
        *["step_saved", "step_submitted", "step_approved"],  # D0
        *["team_member_set"] * 5,
        *["step_saved", "step_submitted", "step_approved"] * 7,  # D1–D7
        *["step_saved", "signoff_requested", "cost_verified", "summary_reviewed"],
        *["step_submitted", "step_approved", "closed"],  # D8
    ]
    actions = a["sales"].get(f"/8d/{case}/actions").json()
    assert [(x["title"][:4], x["kind"], x["step"], x["status"]) for x in actions] == [
        ("明天质量", "containment", 3, "verified"),
        ("七天内查", "task", 4, "verified"),
        ("每托盘外", "corrective", 6, "verified"),
        ("同类手动", "horizontal", 7, "verified"),
    ]
    assert complaint.investigation is not None and complaint.investigation.status == "closed"
    assert list(complaint.verdicts.values_list("satisfied", "score")) == [(True, 5)]

    # The ledger of who was told what: each person, each verb, the reason and how many times. The GM
    # hears of the acceptance, not of every task; the production staff, on the team from D1, of each
    # approval from D1 on and of the closure.
    ledger = Counter(Notification.objects.values_list("recipient__username", "verb", "reason"))
    assert ledger == Counter(
        {
            ("gm", "complaint_accepted", "role_general_manager"): 1,
            ("purchasing", "complaint_accepted", "role_purchasing_manager"): 1,
            ("salesmgr", "complaint_accepted", "role_sales_manager"): 1,
            ("qm", "complaint_accepted", "role_quality_manager"): 1,
            ("qe", "action_assigned", "owner"): 4,
            ("qe", "action_verified", "owner"): 4,
            ("qm", "action_done", "requester"): 2,  # the on-site task and the cause
            ("qm", "action_done", "tracker"): 2,  # the nylon film and its horizontal deployment
            ("sales", "action_done", "recorder"): 4,
            ("salesmgr", "action_done", "sales_manager_of_owner"): 4,
            ("qm", "step_submitted", "approver"): 7,  # D2–D8; D0 and D1 the quality manager submitted
            ("qe", "step_approved", "owner"): 8,  # the leader owns the case from D1
            **{(p, "step_approved", "team_member"): 8 for p in ("p1", "p2", "p3")},
            ("finance", "cost_verification", "role_finance"): 1,
            ("salesmgr", "customer_summary_review", "role_sales_manager"): 1,
            ("qe", "investigation_closed", "owner"): 1,
            **{(p, "investigation_closed", "team_member"): 1 for p in ("p1", "p2", "p3")},
            ("sales", "investigation_closed", "sales_owner"): 1,
            # the customer's answer: whoever recorded the complaint and the 8D team (the QM recorded it)
            ("sales", "verdict_recorded", "recorder"): 1,
            **{(p, "verdict_recorded", "team_member"): 1 for p in ("qe", "p1", "p2", "p3")},
        }
    )
