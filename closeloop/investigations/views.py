"""The 8D pages: the case list and the case page (D0–D8 navigator, the selected step's form, fishbone,
5-Why chains, action board, team, sign-offs, timeline). Every POST calls one service; a refusal is
shown beside the form with everything typed kept (htmx swaps the case body in place; a plain post gets
a redirect on success and the page with errors, 422, otherwise)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from closeloop.accounts.models import Department, User
from closeloop.accounts.selectors import active_users
from closeloop.actions import services as action_services
from closeloop.actions.workflow import ActionStatus
from closeloop.core import clock
from closeloop.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from closeloop.core.views import request_user
from closeloop.investigations import forms, selectors, services
from closeloop.investigations.content import CAUSE_CATEGORIES
from closeloop.investigations.diagrams import fishbone_svg
from closeloop.investigations.models import Investigation
from closeloop.investigations.presentation import verb_label
from closeloop.investigations.services import StepIncomplete
from closeloop.investigations.workflow import (
    APPROVE_PERMISSION,
    REVIEW_SUMMARY_PERMISSION,
    VERIFY_COST_PERMISSION,
    CaseStatus,
    Step,
    StepStatus,
    TeamRole,
)

BOARD = [
    (ActionStatus.OPEN, ActionStatus.OPEN.label),
    (ActionStatus.IN_PROGRESS, ActionStatus.IN_PROGRESS.label),
    (ActionStatus.DONE, ActionStatus.DONE.label),
    (ActionStatus.VERIFIED, ActionStatus.VERIFIED.label),
]


def _case(request: HttpRequest, number: str) -> Investigation:
    try:
        return selectors.investigation_get_for_user(user=request_user(request), number=number)
    except NotFound as exc:
        raise Http404 from exc


def _step_param(value: Any, default: int) -> int:
    try:
        step = int(value)
    except (TypeError, ValueError):
        return default
    return step if step in Step.values else default


def _context(request: HttpRequest, inv: Investigation, step: int, **extra: Any) -> dict[str, Any]:
    user = request_user(request)
    facts = selectors.gate_facts(investigation=inv)
    nav = selectors.investigation_navigator(investigation=inv, facts=facts)
    state = nav[step]
    d4 = nav[Step.D4].discipline.content
    d2 = nav[Step.D2].discipline.content
    can_edit = selectors.investigation_can_edit(user=user, investigation=inv)
    editable = (
        can_edit
        and inv.status == CaseStatus.OPEN
        and state.status
        in (
            StepStatus.TODO,
            StepStatus.DRAFT,
            StepStatus.RETURNED,
        )
    )
    actions = list(selectors.investigation_actions(investigation=inv))
    today = clock.today()
    timeline = [(e, verb_label(e.verb)) for e in selectors.investigation_timeline(investigation=inv)]
    conflict = extra.pop("conflict_content", None)
    fields = extra.pop("fields", None)
    errors = extra.pop("errors", {})
    return {
        "inv": inv,
        "nav": nav,
        "state": state,
        "step": step,
        "fields": fields if fields is not None else forms.bind(step, state.discipline.content),
        "errors": errors,
        "unplaced": forms.unplaced_errors(step, errors),
        "version": extra.pop("version", state.discipline.version),
        "conflict_fields": forms.bind(step, conflict, extra={}) if conflict is not None else None,
        "can_edit": can_edit,
        "editable": editable,
        "can_approve": user.has_perm(APPROVE_PERMISSION) and inv.status == CaseStatus.OPEN,
        "can_verify_cost": user.has_perm(VERIFY_COST_PERMISSION) and inv.status == CaseStatus.OPEN,
        "can_review_summary": user.has_perm(REVIEW_SUMMARY_PERMISSION) and inv.status == CaseStatus.OPEN,
        "facts": facts,
        "complaints": list(selectors.investigation_complaints(investigation=inv).order_by("pk")),
        "team": list(selectors.investigation_team(investigation=inv)),
        "team_roles": TeamRole.choices,
        "people": list(active_users()),
        "departments": Department.objects.order_by("code"),
        "board": [(code, label, [a for a in actions if a.status == code]) for code, label in BOARD],
        "step_actions": [a for a in actions if a.step == step],
        "overdue": {a.pk for a in actions if a.is_overdue(today)},
        "today": today,
        "fishbone": fishbone_svg(
            causes=d4.get("causes") or [],
            head=str(d2.get("what") or inv.title),
            labels=CAUSE_CATEGORIES,
            title=_("Fishbone of %(case)s") % {"case": inv.number},
        ),
        "why_chains": d4.get("why_chains") or [],
        "timeline": timeline,
        "steps": Step.choices,
        **extra,
    }


def _render(
    request: HttpRequest, inv: Investigation, step: int, *, status: int = 200, **extra: Any
) -> HttpResponse:
    ctx = _context(request, inv, step, **extra)
    if request.headers.get("HX-Request"):
        return render(request, "investigations/_case_body.html", ctx)
    return render(request, "investigations/detail.html", ctx, status=status)


def _done(request: HttpRequest, inv: Investigation, step: int, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.headers.get("HX-Request"):
        fresh = _case(request, inv.number)
        return _render(request, fresh, step)
    return redirect(f"{reverse('investigations:detail', args=[inv.number])}?step={step}")


def _field_errors(exc: ApplicationError) -> dict[str, list[str]]:
    fields = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    if not fields:
        fields = {"__all__": [str(exc.message)]}
    return fields


class InvestigationListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status") or ""
        status = status if status in CaseStatus.values else ""
        cases = list(selectors.investigation_list(user=request_user(request), status=status))
        return render(
            request,
            "investigations/list.html",
            {"cases": cases, "status": status, "statuses": CaseStatus.choices},
        )


class InvestigationDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        inv = _case(request, number)
        step = _step_param(request.GET.get("step"), inv.current_step)
        return _render(request, inv, step)


class StepFormView(LoginRequiredMixin, View):
    """POST the step form: ``intent`` = save | submit | add_row (``add_row`` names the table)."""

    def post(self, request: HttpRequest, number: str, step: int) -> HttpResponse:
        inv = _case(request, number)
        step = _step_param(step, -1)
        if step < 0:
            raise Http404
        user = request_user(request)
        if not selectors.investigation_can_edit(user=user, investigation=inv):
            raise DjangoPermissionDenied  # readers (the GM, sales, …) post nothing, not even "add row"
        intent = request.POST.get("intent", "save")
        add_row = request.POST.get("add_row", "")
        content, extra_rows = forms.content_from_post(step, request.POST, add_row=add_row)
        version = forms._int(request.POST.get("version"), 0)
        if add_row:
            return _render(
                request, inv, step, fields=forms.bind(step, content, extra=extra_rows), version=version
            )
        try:
            if intent in ("save", "submit") and request.POST.get("editable") == "1":
                d = services.discipline_save(
                    investigation=inv, step=step, actor=user, content=content, expected_version=version
                )
                version = d.version
            if intent == "submit":
                services.discipline_submit(investigation=inv, step=step, actor=user)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except Conflict as exc:
            current = exc.extra.get("current_content") or {}
            return _render(
                request,
                inv,
                step,
                status=409,
                fields=forms.bind(step, content, extra=extra_rows),
                version=exc.extra.get("current_version", version),
                conflict_content=current,  # the page explains the conflict beside both versions
            )
        except StepIncomplete as exc:
            fresh = _case(request, number)
            return _render(request, fresh, step, status=422, missing=exc.extra.get("missing", []))
        except ApplicationError as exc:
            return _render(
                request,
                inv,
                step,
                status=422,
                fields=forms.bind(step, content, _field_errors(exc), extra=extra_rows),
                errors=_field_errors(exc),
                version=version,
            )
        if intent == "submit":
            return _done(
                request, inv, step, _("%(step)s submitted for approval.") % {"step": Step(step).label}
            )
        return _done(request, inv, step, _("%(step)s saved.") % {"step": Step(step).label})


class StepDecisionView(LoginRequiredMixin, View):
    """A quality manager approves a submitted step or sends it back with a reason."""

    def post(self, request: HttpRequest, number: str, step: int, decision: str) -> HttpResponse:
        inv = _case(request, number)
        step = _step_param(step, -1)
        if step < 0 or decision not in ("approve", "send-back"):
            raise Http404
        user = request_user(request)
        try:
            if decision == "approve":
                services.discipline_approve(
                    investigation=inv, step=step, actor=user, note=request.POST.get("note", "")
                )
            else:
                services.discipline_send_back(
                    investigation=inv, step=step, actor=user, reason=request.POST.get("reason", "")
                )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except StepIncomplete as exc:
            return _render(
                request, _case(request, number), step, status=422, missing=exc.extra.get("missing", [])
            )
        except ApplicationError as exc:
            return _render(
                request, _case(request, number), step, status=422, decision_errors=_field_errors(exc)
            )
        label = Step(step).label
        if decision == "approve":
            return _done(request, inv, min(step + 1, 8), _("%(step)s approved.") % {"step": label})
        return _done(request, inv, step, _("%(step)s sent back to the team.") % {"step": label})


class TeamMemberView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        inv = _case(request, number)
        actor = request_user(request)
        person = User.objects.filter(pk=forms._int(request.POST.get("user"), 0), is_active=True).first()
        department = Department.objects.filter(pk=forms._int(request.POST.get("department"), 0)).first()
        try:
            if request.POST.get("intent") == "remove":
                if person is None:
                    raise Http404
                services.team_member_remove(investigation=inv, actor=actor, user=person)
            else:
                services.team_member_set(
                    investigation=inv,
                    actor=actor,
                    user=person,
                    role=request.POST.get("role", ""),
                    department=department,
                    responsibility=request.POST.get("responsibility", ""),
                )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            return _render(
                request, _case(request, number), Step.D1, status=422, team_errors=_field_errors(exc)
            )
        return _done(request, inv, Step.D1, _("The team was updated."))


class SignoffView(LoginRequiredMixin, View):
    """D8: finance verifies the cost, the sales manager reviews the summary, the team asks for both."""

    def post(self, request: HttpRequest, number: str, kind: str) -> HttpResponse:
        inv = _case(request, number)
        actor = request_user(request)
        note = request.POST.get("note", "")
        try:
            if kind == "cost":
                services.investigation_cost_verify(investigation=inv, actor=actor, note=note)
                message = _("Cost verified.")
            elif kind == "summary":
                services.investigation_summary_review(investigation=inv, actor=actor, note=note)
                message = _("Summary reviewed.")
            elif kind == "request":
                services.investigation_signoff_request(investigation=inv, actor=actor)
                message = _("Finance and the sales manager were asked to sign off.")
            else:
                raise Http404
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            return _render(
                request, _case(request, number), Step.D8, status=422, signoff_errors=_field_errors(exc)
            )
        return _done(request, inv, Step.D8, message)


class CaseCancelView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        inv = _case(request, number)
        try:
            services.investigation_cancel(
                investigation=inv, actor=request_user(request), reason=request.POST.get("reason", "")
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            return _render(
                request, _case(request, number), Step.D0, status=422, cancel_errors=_field_errors(exc)
            )
        return _done(
            request, inv, Step.D0, _("The 8D was cancelled; its complaints are back on quick resolution.")
        )


class CaseActionCreateView(LoginRequiredMixin, View):
    """Add a tracked action to the case (D3 containment, D6 plan, D7 horizontal deployment, …)."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        import datetime as dt

        inv = _case(request, number)
        actor = request_user(request)
        step = _step_param(request.POST.get("step"), inv.current_step)
        complaint = selectors.investigation_complaints(investigation=inv).order_by("pk").first()
        if complaint is None:
            raise Http404

        def person(key: str) -> User | None:
            return User.objects.filter(pk=forms._int(request.POST.get(key), 0), is_active=True).first()

        def day(key: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(request.POST.get(key, ""))
            except ValueError:
                return None

        errors: dict[str, list[str]] = {}
        if request.POST.get("due_date") and day("due_date") is None:
            errors["due_date"] = [_("Enter a date as YYYY-MM-DD.")]
        if request.POST.get("start_date") and day("start_date") is None:
            errors["start_date"] = [_("Enter a date as YYYY-MM-DD.")]
        try:
            if errors:
                raise ApplicationError(fields=errors)  # type: ignore[arg-type]
            action_services.action_create(
                complaint=complaint,
                actor=actor,
                title=request.POST.get("title", ""),
                owner=person("owner"),
                due_date=day("due_date"),
                kind=request.POST.get("kind", "task"),
                description=request.POST.get("description", ""),
                department=Department.objects.filter(
                    pk=forms._int(request.POST.get("department"), 0)
                ).first(),
                investigation=inv,
                step=step,
                start_date=day("start_date"),
                tracker=person("tracker"),
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            return _render(
                request,
                _case(request, number),
                step,
                status=422,
                action_errors=_field_errors(exc),
                action_post=request.POST,
            )
        return _done(request, inv, step, _("Action added."))
