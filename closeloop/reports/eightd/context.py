"""The plain dict a customer's DOCX template is filled from (``{{ complaint.number }}``,
``{%tr for r in d3_rows %}`` …). Every value is a str, int, bool, list or dict — no model, no method —
so a template can reach nothing but these facts. Dates read 2026-06-15, times 2026-06-15 10:00 (site
time zone), amounts 1,200.00; labels (``*_label``) are in the document's language ("中文 / English"
when bilingual); recorded text is as recorded.

Top-level names (see ``context_fields()`` for the list kept in step with the code):

- ``language``: zh-hans | en | bilingual; ``generated_at``: when the document was made.
- ``case``: number, title, status, status_label, opened_at, closed_at, owner, owner_department,
  customers, products, lots (each joined with "、"), complaint_numbers.
- ``complaint``: the case's first complaint — number, title, customer, customer_code, received_at,
  description, requirement, product, lot, quantity_affected. ``complaints``: all of them, same fields.
- ``customer``: name, code (of the first complaint). ``product``: the case's product as "code name".
- ``team``: list of name, role, role_label, department, responsibility.
- ``d0``: needs_8d (bool or None), needs_8d_label, reason, emergency_actions. ``d1``: goal.
- ``d2``: what, where, when, who, why, how, how_many, is_is_not (list of dimension, is_text,
  is_not_text); ``w5h2``: list of key, label, text (the 5W2H table in order).
- ``d3_rows``: list of location, location_label, action, qty_checked, qty_bad, effective,
  effective_label. ``d3``: suspect_lots (joined), suspect_lot_list, effectiveness, qty_checked_total,
  qty_bad_total.
- ``causes``: list of id, category, category_label, text, status (candidate | verified | refuted),
  status_label, evidence. ``why_chains``: list of kind, kind_label, problem, whys (list), chain
  ("problem → why 1 → …"). ``root_causes``: occurrence, occurrence_cause, escape, escape_cause.
- ``corrective``: list of root_cause, root_cause_label, action, verification (the D5 plan).
- ``actions``: every tracked action — kind, kind_label, step, title, description, owner, department,
  start_date, due_date, tracker, status, status_label, done_at, done_note, verified_by, verified_at,
  verification_note. ``d6``: actions (the corrective ones), validation_results, containment_removed
  (bool), containment_removed_label, containment_removed_on.
- ``d7``: changes (list of doc_type, doc_type_label, document, old_revision, new_revision),
  horizontal (actions), horizontal_not_applicable, lessons_learned.
- ``costs`` / ``recoveries``: lists of code, label, amount, note. ``cost``: total, recovered, net.
- ``d8``: recognition, customer_summary, cost_verified_by, cost_verified_at, summary_reviewed_by,
  summary_reviewed_at.
- ``approvals``: list of step ("D0"…), label, status, status_label, submitted_by, submitted_at,
  approved_by, approved_at.
- ``images``: list of step, name, caption, image — place ``{{ i.image }}`` in a paragraph of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from closeloop.core import clock
from closeloop.reports.eightd import labels as L
from closeloop.reports.eightd.images import EvidenceImage
from closeloop.reports.eightd.lang import Lang, fmt_date, fmt_datetime, fmt_money
from closeloop.reports.eightd.records import ActionRow, CauseRow, ComplaintRef, EightDReport

JOIN = "、"


def _complaint(x: ComplaintRef) -> dict[str, Any]:
    return {
        "number": x.number,
        "title": x.title,
        "customer": x.customer,
        "customer_code": x.customer_code,
        "received_at": fmt_datetime(x.received_at),
        "description": x.description,
        "requirement": x.requirement,
        "product": x.product,
        "lot": x.lot,
        "quantity_affected": x.quantity_affected,
    }


def _action(lang: Lang, a: ActionRow) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "kind_label": L.action_kind(lang, a.kind),
        "step": f"D{a.step}" if a.step is not None else "",
        "title": a.title,
        "description": a.description,
        "owner": a.owner,
        "department": lang.pair(a.department, a.department_en),
        "start_date": fmt_date(a.start_date),
        "due_date": fmt_date(a.due_date),
        "tracker": a.tracker,
        "status": a.status,
        "status_label": L.action_status(lang, a.status),
        "done_at": fmt_datetime(a.done_at),
        "done_note": a.done_note,
        "verified_by": a.verified_by,
        "verified_at": fmt_datetime(a.verified_at),
        "verification_note": a.verification_note,
    }


def _cause(lang: Lang, k: CauseRow | None) -> dict[str, Any] | None:
    if k is None:
        return None
    return {
        "id": k.id,
        "category": k.category,
        "category_label": L.cause_category(lang, k.category),
        "text": k.text,
        "status": k.status,
        "status_label": L.choice(lang, L.CAUSE_STATUS, k.status),
        "evidence": k.evidence,
    }


def template_context(
    data: EightDReport, lang: Lang, *, image: Callable[[EvidenceImage], Any] | None = None
) -> dict[str, Any]:
    """The documented context (module docstring). ``image`` turns a picture into what the template
    engine inserts (docxtpl's InlineImage); without it ``images[].image`` is the picture's name."""
    h = data.header
    first = h.complaints[0] if h.complaints else None
    d2 = dict(data.d2.w5h2)
    d8 = data.d8
    return {
        "language": lang.code,
        "generated_at": fmt_datetime(clock.now()),
        "case": {
            "number": h.number,
            "title": h.title,
            "status": h.status,
            "status_label": L.case_status(lang, h.status),
            "opened_at": fmt_datetime(h.opened_at),
            "closed_at": fmt_datetime(h.closed_at),
            "received_at": fmt_datetime(h.received_at),
            "owner": h.owner.name,
            "owner_department": lang.pair(h.owner.department, h.owner.department_en),
            "customers": JOIN.join(h.customers),
            "products": JOIN.join(h.products),
            "lots": JOIN.join(h.lots),
            "complaint_numbers": JOIN.join(x.number for x in h.complaints),
        },
        "complaint": _complaint(first) if first else {},
        "complaints": [_complaint(x) for x in h.complaints],
        "customer": {"name": first.customer, "code": first.customer_code} if first else {},
        "product": h.products[0] if h.products else "",
        "team": [
            {
                "name": m.name,
                "role": m.role,
                "role_label": L.role(lang, m.role),
                "department": lang.pair(m.department, m.department_en),
                "responsibility": m.responsibility,
            }
            for m in h.team
        ],
        "d0": {
            "needs_8d": data.d0.needs_8d,
            "needs_8d_label": lang.yes_no(data.d0.needs_8d),
            "reason": data.d0.reason,
            "emergency_actions": data.d0.emergency_actions,
        },
        "d1": {"goal": data.goal},
        "d2": {
            **d2,
            "is_is_not": [
                {"dimension": r.dimension, "is_text": r.is_text, "is_not_text": r.is_not_text}
                for r in data.d2.is_is_not
            ],
        },
        "w5h2": [{"key": k, "label": L.w5h2(lang, k), "text": v} for k, v in data.d2.w5h2],
        "d3_rows": [
            {
                "location": r.location,
                "location_label": L.location(lang, r.location),
                "action": r.action,
                "qty_checked": r.qty_checked,
                "qty_bad": r.qty_bad,
                "effective": r.effective,
                "effective_label": lang.yes_no(r.effective),
            }
            for r in data.d3.rows
        ],
        "d3": {
            "suspect_lots": JOIN.join(data.d3.suspect_lots),
            "suspect_lot_list": list(data.d3.suspect_lots),
            "effectiveness": data.d3.effectiveness,
            "qty_checked_total": data.d3.qty_checked,
            "qty_bad_total": data.d3.qty_bad,
        },
        "causes": [_cause(lang, k) for k in data.d4.causes],
        "why_chains": [
            {
                "kind": w.kind,
                "kind_label": L.choice(lang, L.ROOT_KINDS, w.kind),
                "problem": w.problem,
                "whys": list(w.whys),
                "chain": " → ".join([w.problem, *w.whys]),
            }
            for w in data.d4.why_chains
        ],
        "root_causes": {
            "occurrence": data.d4.occurrence_root_cause,
            "occurrence_cause": _cause(lang, data.d4.occurrence_cause),
            "escape": data.d4.escape_root_cause,
            "escape_cause": _cause(lang, data.d4.escape_cause),
        },
        "corrective": [
            {
                "root_cause": r.root_cause,
                "root_cause_label": L.choice(lang, L.ROOT_KINDS, r.root_cause),
                "action": r.action,
                "verification": r.verification,
            }
            for r in data.d5
        ],
        "actions": [_action(lang, a) for a in data.actions],
        "d6": {
            "actions": [_action(lang, a) for a in data.d6.actions],
            "validation_results": data.d6.validation_results,
            "containment_removed": data.d6.containment_removed,
            "containment_removed_label": lang.yes_no(data.d6.containment_removed),
            "containment_removed_on": fmt_date(data.d6.containment_removed_on),
        },
        "d7": {
            "changes": [
                {
                    "doc_type": x.doc_type,
                    "doc_type_label": L.doc_type(lang, x.doc_type),
                    "document": x.document,
                    "old_revision": x.old_revision,
                    "new_revision": x.new_revision,
                }
                for x in data.d7.changes
            ],
            "horizontal": [_action(lang, a) for a in data.d7.horizontal],
            "horizontal_not_applicable": data.d7.horizontal_not_applicable,
            "lessons_learned": data.d7.lessons_learned,
        },
        "costs": [
            {
                "code": m.code,
                "label": L.cost_item(lang, m.code),
                "amount": fmt_money(m.amount),
                "note": m.note,
            }
            for m in d8.costs
        ],
        "recoveries": [
            {
                "code": m.code,
                "label": L.recovery_source(lang, m.code),
                "amount": fmt_money(m.amount),
                "note": m.note,
            }
            for m in d8.recoveries
        ],
        "cost": {
            "total": fmt_money(d8.cost_total),
            "recovered": fmt_money(d8.recovered_total),
            "net": fmt_money(d8.net_cost),
        },
        "d8": {
            "recognition": d8.recognition,
            "customer_summary": d8.customer_summary,
            "cost_verified_by": d8.cost_verified.by,
            "cost_verified_at": fmt_datetime(d8.cost_verified.at),
            "summary_reviewed_by": d8.summary_reviewed.by,
            "summary_reviewed_at": fmt_datetime(d8.summary_reviewed.at),
        },
        "approvals": [
            {
                "step": f"D{a.step}",
                "label": L.step_title(lang, a.step),
                "status": a.status,
                "status_label": L.step_status(lang, a.status),
                "submitted_by": a.submitted_by,
                "submitted_at": fmt_datetime(a.submitted_at),
                "approved_by": a.approved_by,
                "approved_at": fmt_datetime(a.approved_at),
            }
            for a in data.approvals
        ],
        "images": [
            {
                "step": f"D{i.step}",
                "name": i.name,
                "caption": i.caption,
                "image": image(i) if image else i.name,
            }
            for i in data.images
        ],
    }


def context_fields() -> list[str]:
    """The top-level names of the template context (for the admin's help text and the docs)."""
    return [
        "language",
        "generated_at",
        "case",
        "complaint",
        "complaints",
        "customer",
        "product",
        "team",
        "d0",
        "d1",
        "d2",
        "w5h2",
        "d3_rows",
        "d3",
        "causes",
        "why_chains",
        "root_causes",
        "corrective",
        "actions",
        "d6",
        "d7",
        "costs",
        "recoveries",
        "cost",
        "d8",
        "approvals",
        "images",
    ]
