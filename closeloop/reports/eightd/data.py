"""Everything an 8D report shows, read once from the database into the frozen dataclasses of
``records.py``.

:func:`eightd_report_data` is the only reader: the PDF, the built-in DOCX and customer templates all
render from its :class:`EightDReport`, so the three never disagree. Codes (cause categories, locations,
roles, statuses) are kept as codes; each renderer turns them into labels in its own language.
"""

from __future__ import annotations

from closeloop.accounts.models import Department, User
from closeloop.actions.models import Action
from closeloop.complaints.models import Attachment, Complaint
from closeloop.core.errors import ValidationFailed
from closeloop.investigations import content as c
from closeloop.investigations.digests import cost_digest, summary_digest
from closeloop.investigations.models import Discipline, Investigation, TeamMember
from closeloop.investigations.workflow import Step
from closeloop.reports.eightd.images import images_collect
from closeloop.reports.eightd.records import (
    D0,
    D2,
    D3,
    D4,
    D6,
    D7,
    D8,
    ActionRow,
    Approval,
    CauseRow,
    ComplaintRef,
    ContainmentRow,
    CorrectiveRow,
    DocumentChange,
    EightDReport,
    Header,
    IsIsNot,
    Money,
    Person,
    Signoff,
    TeamRow,
    WhyChain,
)


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    d = user.department
    return Person(name=str(user), department=d.name if d else "", department_en=d.name_en if d else "")


def _parsed(disciplines: dict[int, Discipline], step: int) -> c._Content:
    """A step's content; an unreadable draft (written before a schema change) reads as empty, since a
    report must still be produced from the rest."""
    try:
        return c.content_parse(step, disciplines[step].content if step in disciplines else {})
    except ValidationFailed:
        return c.CONTENT_MODELS[step]()


def _action_row(a: Action) -> ActionRow:
    dept: Department | None = a.department
    return ActionRow(
        kind=a.kind,
        step=a.step,
        title=a.title,
        description=a.description,
        owner=str(a.owner),
        department=dept.name if dept else "",
        department_en=dept.name_en if dept else "",
        start_date=a.start_date,
        due_date=a.due_date,
        tracker=str(a.tracker) if a.tracker else "",
        status=a.status,
        done_at=a.done_at,
        done_note=a.done_note,
        verified_by=str(a.verified_by) if a.verified_by else "",
        verified_at=a.verified_at,
        verification_note=a.verification_note,
    )


def _cause(row: c.Cause | None) -> CauseRow | None:
    if row is None:
        return None
    return CauseRow(id=row.id, category=row.category, text=row.text, status=row.status, evidence=row.evidence)


def eightd_report_data(*, investigation: Investigation) -> EightDReport:
    """The 8D report of ``investigation`` as it stands now, in six queries (the case with its people,
    its steps, complaints, team, actions, and the complaints' attachments with their evidence links)
    plus reading the image files. The caller has checked that the user may see the case (selectors).
    """
    inv = Investigation.objects.select_related(
        "owner__department", "product", "cost_verified_by", "summary_reviewed_by"
    ).get(pk=investigation.pk)
    disciplines = {
        d.step: d
        for d in Discipline.objects.filter(investigation=inv).select_related("submitted_by", "approved_by")
    }
    complaints = list(
        Complaint.objects.filter(investigation=inv).select_related("customer", "product").order_by("pk")
    )
    team = list(
        TeamMember.objects.filter(investigation=inv)
        .select_related("user__department", "department")
        .order_by("role", "id")
    )
    actions = [
        _action_row(a)
        for a in Action.objects.filter(investigation=inv)
        .select_related("owner", "tracker", "department", "verified_by")
        .order_by("step", "due_date", "id")
    ]
    attachments = list(
        Attachment.objects.filter(complaint__in=[x.pk for x in complaints], content_type__startswith="image/")
        .select_related("action_evidence__action")
        .order_by("uploaded_at", "id")
    )

    d0 = _parsed(disciplines, Step.D0)
    d1 = _parsed(disciplines, Step.D1)
    d2 = _parsed(disciplines, Step.D2)
    d3 = _parsed(disciplines, Step.D3)
    d4 = _parsed(disciplines, Step.D4)
    d5 = _parsed(disciplines, Step.D5)
    d6 = _parsed(disciplines, Step.D6)
    d7 = _parsed(disciplines, Step.D7)
    d8 = _parsed(disciplines, Step.D8)
    assert isinstance(d0, c.D0Content) and isinstance(d1, c.D1Content) and isinstance(d2, c.D2Content)
    assert isinstance(d3, c.D3Content) and isinstance(d4, c.D4Content) and isinstance(d5, c.D5Content)
    assert isinstance(d6, c.D6Content) and isinstance(d7, c.D7Content) and isinstance(d8, c.D8Content)
    d8_raw = disciplines[Step.D8].content if Step.D8 in disciplines else {}

    products = [f"{x.product.code} {x.product.name}" for x in complaints if x.product]
    if inv.product:
        products.insert(0, f"{inv.product.code} {inv.product.name}")
    owner = _person(inv.owner)
    assert owner is not None
    header = Header(
        number=inv.number,
        title=inv.title,
        status=inv.status,
        customers=tuple(dict.fromkeys(x.customer.name for x in complaints)),
        products=tuple(dict.fromkeys(products)),
        lots=tuple(dict.fromkeys(x.lot for x in complaints if x.lot)),
        complaints=tuple(
            ComplaintRef(
                number=x.number,
                title=x.title,
                customer=x.customer.name,
                customer_code=x.customer.code,
                received_at=x.received_at,
                description=x.description,
                requirement=x.customer_requirement,
                product=f"{x.product.code} {x.product.name}" if x.product else "",
                lot=x.lot,
                quantity_affected=x.quantity_affected,
            )
            for x in complaints
        ),
        received_at=min((x.received_at for x in complaints), default=None),
        opened_at=inv.opened_at,
        closed_at=inv.closed_at,
        owner=owner,
        team=tuple(
            TeamRow(
                name=str(m.user),
                role=m.role,
                department=dept.name if dept else "",
                department_en=dept.name_en if dept else "",
                responsibility=m.responsibility,
            )
            for m, dept in ((m, m.department or m.user.department) for m in team)
        ),
    )
    return EightDReport(
        header=header,
        d0=D0(needs_8d=d0.needs_8d, reason=d0.reason, emergency_actions=d0.emergency_actions),
        goal=d1.goal,
        d2=D2(
            w5h2=tuple((key, getattr(d2, key)) for key in c.W5H2),
            is_is_not=tuple(IsIsNot(r.dimension, r.is_text, r.is_not_text) for r in d2.is_is_not),
        ),
        d3=D3(
            rows=tuple(
                ContainmentRow(r.location, r.action, r.qty_checked, r.qty_bad, r.effective) for r in d3.rows
            ),
            suspect_lots=tuple(d3.suspect_lots),
            effectiveness=d3.effectiveness,
        ),
        d4=D4(
            causes=tuple(x for x in (_cause(k) for k in d4.causes) if x is not None),
            why_chains=tuple(
                WhyChain(kind=w.kind, problem=w.problem, whys=tuple(y for y in w.whys if y))
                for w in d4.why_chains
            ),
            occurrence_root_cause=d4.occurrence_root_cause,
            occurrence_cause=_cause(d4.cause(d4.occurrence_cause_id)),
            escape_root_cause=d4.escape_root_cause,
            escape_cause=_cause(d4.cause(d4.escape_cause_id)),
            problem=d2.what or inv.title,
        ),
        d5=tuple(CorrectiveRow(r.root_cause, r.action, r.verification) for r in d5.corrective),
        d6=D6(
            actions=tuple(a for a in actions if a.kind == "corrective"),
            validation_results=d6.validation_results,
            containment_removed=d6.containment_removed,
            containment_removed_on=d6.containment_removed_on,
        ),
        d7=D7(
            changes=tuple(
                DocumentChange(x.doc_type, x.document, x.old_revision, x.new_revision) for x in d7.changes
            ),
            horizontal=tuple(a for a in actions if a.kind == "horizontal"),
            horizontal_not_applicable=d7.horizontal_not_applicable,
            lessons_learned=d7.lessons_learned,
        ),
        d8=D8(
            costs=tuple(Money(r.item, r.amount, r.note) for r in d8.costs),
            recoveries=tuple(Money(r.source, r.amount, r.note) for r in d8.recoveries),
            recognition=d8.recognition,
            customer_summary=d8.customer_summary,
            cost_verified=Signoff(
                by=str(inv.cost_verified_by) if inv.cost_verified_by else "",
                at=inv.cost_verified_at,
                current=bool(inv.cost_verified_at) and inv.cost_verified_digest == cost_digest(d8_raw),
            ),
            summary_reviewed=Signoff(
                by=str(inv.summary_reviewed_by) if inv.summary_reviewed_by else "",
                at=inv.summary_reviewed_at,
                current=bool(inv.summary_reviewed_at)
                and inv.summary_reviewed_digest == summary_digest(d8_raw),
            ),
        ),
        actions=tuple(actions),
        approvals=tuple(
            Approval(
                step=s,
                status=d.status,
                submitted_by=str(d.submitted_by) if d.submitted_by else "",
                submitted_at=d.submitted_at,
                approved_by=str(d.approved_by) if d.approved_by else "",
                approved_at=d.approved_at,
            )
            for s, d in sorted(disciplines.items())
        ),
        images=images_collect(attachments),
    )
