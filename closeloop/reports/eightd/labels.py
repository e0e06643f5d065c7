"""Every label the 8D documents print, lazy so that a bilingual document can ask for both languages.

The PDF, the built-in DOCX and the customer-template context read their words from here, so a label
is translated once and reads the same in every format.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from closeloop.actions.workflow import ActionKind, ActionStatus
from closeloop.investigations import content
from closeloop.investigations.workflow import CaseStatus, Step, StepStatus, TeamRole
from closeloop.reports.eightd.lang import Lang

TITLE = _("8D report")
SUBTITLE = _("Customer complaint: eight disciplines of problem solving")
PAGE = _("Page %(n)s")

HEAD: dict[str, Any] = {
    "number": _("8D number"),
    "title": _("Subject"),
    "status": _("Status"),
    "customer": _("Customer"),
    "product": _("Product"),
    "lots": _("Lots"),
    "complaints": _("Complaints covered"),
    "received": _("Received"),
    "opened": _("8D opened"),
    "closed": _("8D closed"),
    "owner": _("Owner"),
}
COL: dict[str, Any] = {
    "name": _("Name"),
    "role": _("Role"),
    "department": _("Department"),
    "responsibility": _("Responsibility"),
    "step": _("Step"),
    "status": _("Status"),
    "submitted": _("Submitted by"),
    "approved": _("Approved by"),
    "at": _("Date"),
    "item": _("Item"),
    "text": _("Description"),
    "dimension": _("Dimension"),
    "is": _("IS (是)"),
    "is_not": _("IS NOT (不是)"),
    "location": _("Location"),
    "action": _("Action"),
    "qty_checked": _("Checked"),
    "qty_bad": _("Found bad"),
    "effective": _("Effective"),
    "category": _("Category"),
    "cause": _("Cause"),
    "verdict": _("Verdict"),
    "evidence": _("Evidence"),
    "root_cause": _("Root cause"),
    "verification": _("Verification"),
    "owner": _("Owner"),
    "due": _("Start – due"),
    "tracker": _("Tracker"),
    "done": _("Done"),
    "verified": _("Verified"),
    "document": _("Document"),
    "doc_type": _("Type"),
    "revision": _("Revision"),
    "amount": _("Amount (CNY)"),
    "note": _("Note"),
    "source": _("Recovered from"),
    "signoff": _("Sign-off"),
    "by": _("By"),
}
SECTION: dict[str, Any] = {
    "approvals": _("Approvals"),
    "reported": _("As reported by the customer"),
    "requirement": _("Customer requirement"),
    "needs_8d": _("8D needed"),
    "reason": _("Reason"),
    "emergency": _("Emergency response"),
    "goal": _("Team goal"),
    "team": _("Team"),
    "w5h2": _("5W2H"),
    "is_is_not": _("IS / IS NOT"),
    "suspect_lots": _("Suspect lots"),
    "effectiveness": _("How effectiveness was checked"),
    "total": _("Total"),
    "fishbone": _("Fishbone (人 机 料 法 环 测)"),
    "causes": _("Causes examined"),
    "why": _("5-Why analysis"),
    "why_n": _("Why %(n)s"),
    "problem": _("Problem"),
    "occurrence": _("Occurrence root cause (发生原因)"),
    "escape": _("Escape root cause (流出原因)"),
    "planned": _("Permanent corrective actions chosen"),
    "implemented": _("Corrective actions implemented"),
    "validation": _("Validation results"),
    "containment_removed": _("Containment removed"),
    "documents": _("Documents changed"),
    "horizontal": _("Horizontal deployment (横向展开)"),
    "horizontal_na": _("Why horizontal deployment does not apply"),
    "lessons": _("Lessons learned"),
    "costs": _("Cost of poor quality"),
    "recoveries": _("Recoveries"),
    "net": _("Net cost"),
    "recognition": _("Team recognition"),
    "summary": _("What the customer is told"),
    "signoffs": _("D8 sign-offs"),
    "cost_verified": _("Cost verified by finance (财务认证)"),
    "summary_reviewed": _("Customer summary reviewed by the sales manager"),
    "not_current": _("given before the figures last changed"),
    "pending": _("not yet given"),
    "images": _("Pictures"),
    "none": _("None recorded."),
}
ROOT_KINDS: dict[str, Any] = {"occurrence": _("Occurrence"), "escape": _("Escape (non-detection)")}
CAUSE_STATUS: dict[str, Any] = {
    "candidate": _("Candidate"),
    "verified": _("Verified"),
    "refuted": _("Refuted"),
}
STEP_TITLES: dict[int, Any] = {s.value: s.label for s in Step}


def choice(lang: Lang, table: dict[Any, Any], code: Any) -> str:
    """The label of ``code`` in ``table`` (the code itself when unknown, e.g. from an older schema)."""
    label = table.get(code)
    return lang.t(label) if label is not None else str(code or "")


def role(lang: Lang, code: str) -> str:
    return choice(lang, dict(TeamRole.choices), code)


def step_status(lang: Lang, code: str) -> str:
    return choice(lang, dict(StepStatus.choices), code)


def case_status(lang: Lang, code: str) -> str:
    return choice(lang, dict(CaseStatus.choices), code)


def action_status(lang: Lang, code: str) -> str:
    return choice(lang, dict(ActionStatus.choices), code)


def action_kind(lang: Lang, code: str) -> str:
    return choice(lang, dict(ActionKind.choices), code)


def location(lang: Lang, code: str) -> str:
    return choice(lang, content.LOCATIONS, code)


def cause_category(lang: Lang, code: str) -> str:
    return choice(lang, content.CAUSE_CATEGORIES, code)


def doc_type(lang: Lang, code: str) -> str:
    return choice(lang, content.DOC_TYPES, code)


def cost_item(lang: Lang, code: str) -> str:
    return choice(lang, content.COST_ITEMS, code)


def recovery_source(lang: Lang, code: str) -> str:
    return choice(lang, content.RECOVERY_SOURCES, code)


def w5h2(lang: Lang, key: str) -> str:
    return choice(lang, content.W5H2, key)


def step_title(lang: Lang, step: int) -> str:
    return choice(lang, STEP_TITLES, step)
