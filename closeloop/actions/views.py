"""Action pages: add an action to a complaint, move it along, and "my actions"."""

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

from closeloop.accounts.models import Department
from closeloop.actions import selectors, services
from closeloop.actions.forms import ActionForm, ActionStepForm
from closeloop.actions.workflow import ActionStatus
from closeloop.complaints import selectors as complaint_selectors
from closeloop.complaints.presentation import verb_label
from closeloop.core import clock
from closeloop.core.errors import ApplicationError, NotFound, PermissionDenied
from closeloop.core.views import request_user


def _errors_to_messages(request: HttpRequest, exc: ApplicationError) -> None:
    msgs = [str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)]
    for m in msgs:
        messages.error(request, m)


class ActionCreateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        user = request_user(request)
        try:
            complaint = complaint_selectors.complaint_get_for_user(user=user, number=number)
        except NotFound as exc:
            raise Http404 from exc
        form = ActionForm(request.POST)
        if not form.is_valid():
            for errs in form.errors.values():
                for e in errs:
                    messages.error(request, str(e))
            return redirect("complaints:detail", number=number)
        d = form.cleaned_data
        try:
            services.action_create(
                complaint=complaint,
                actor=user,
                title=d["title"],
                owner=d["owner"],
                due_date=d["due_date"],
                kind=d["kind"] or "task",
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("Action added."))
        return redirect("complaints:detail", number=number)


STEPS = {
    "start": services.action_start,
    "complete": services.action_complete,
    "verify": services.action_verify,
    "reject": services.action_reject,
}


class ActionStepView(LoginRequiredMixin, View):
    """POST /actions/<id>/<step>/ with version and (for complete/verify/reject) a note."""

    def post(self, request: HttpRequest, action_id: int, step: str) -> HttpResponse:
        user = request_user(request)
        action = selectors.action_get_for_user(user=user, action_id=action_id)
        if action is None or step not in STEPS:
            raise Http404
        form = ActionStepForm(request.POST)
        version = form.cleaned_data["version"] if form.is_valid() else None
        note = form.cleaned_data.get("note", "") if form.is_valid() else ""
        try:
            if step == "start":
                services.action_start(action=action, actor=user, expected_version=version)
            elif step == "reject":
                services.action_reject(action=action, actor=user, reason=note, expected_version=version)
            else:
                STEPS[step](action=action, actor=user, note=note, expected_version=version)  # type: ignore[operator]
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            _errors_to_messages(request, exc)
        nxt = request.POST.get("next")
        if nxt == "mine":
            return redirect("actions:mine")
        if nxt == "action":
            return redirect("actions:detail", action_id=action.pk)
        if nxt == "8d" and action.investigation is not None:
            url = reverse("investigations:detail", args=[action.investigation.number])
            return redirect(f"{url}?step={action.step if action.step is not None else ''}")
        return redirect("complaints:detail", number=action.complaint.number)


class MyActionsView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        return render(
            request,
            "actions/mine.html",
            {
                "actions": list(selectors.action_mine_list(user=user)),
                "to_verify": list(selectors.action_to_verify_list(user=user)),
                "today": clock.today(),
            },
        )


class ActionListView(LoginRequiredMixin, View):
    """All actions by department and status (managers follow their department's work here)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        department = (request.GET.get("department") or "")[:40]
        status = request.GET.get("status") or ""
        overdue = request.GET.get("overdue") == "1"
        today = clock.today()
        actions = list(
            selectors.action_list(
                user=user, department=department, status=status, overdue_on=today if overdue else None
            )
        )
        return render(
            request,
            "actions/list.html",
            {
                "actions": actions,
                "today": today,
                "department": department,
                "status": status,
                "overdue": overdue,
                "departments": Department.objects.order_by("code"),
                "statuses": ActionStatus.choices,
            },
        )


def _visible_action(request: HttpRequest, action_id: int) -> Any:
    action = selectors.action_get_for_user(user=request_user(request), action_id=action_id)
    if action is None:
        raise Http404
    return action


class ActionDetailView(LoginRequiredMixin, View):
    """One action: what, who, when, its state and steps, evidence and comments, and its history."""

    def get(self, request: HttpRequest, action_id: int) -> HttpResponse:
        return self.render(request, _visible_action(request, action_id))

    @staticmethod
    def render(
        request: HttpRequest,
        action: Any,
        *,
        status: int = 200,
        errors: dict[str, list[str]] | None = None,
        body: str = "",
    ) -> HttpResponse:
        user = request_user(request)
        return render(
            request,
            "actions/detail.html",
            {
                "a": action,
                "today": clock.today(),
                "evidence": selectors.action_evidence_list(action=action),
                "comments": selectors.action_comment_list(action=action),
                "history": [(ev, verb_label(ev.verb)) for ev in selectors.action_history(action=action)],
                "can_add_evidence": services.action_can_add_evidence(user=user, action=action)
                and action.status not in (ActionStatus.VERIFIED, ActionStatus.CANCELLED),
                "errors": errors or {},
                "body": body,
                "next": "action",
            },
            status=status,
        )


class ActionCommentView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, action_id: int) -> HttpResponse:
        action = _visible_action(request, action_id)
        body = request.POST.get("body", "")
        try:
            services.action_comment_add(action=action, actor=request_user(request), body=body)
        except ApplicationError as exc:
            fields = {k: [str(m) for m in v] for k, v in exc.fields.items()}
            return ActionDetailView.render(request, action, status=422, errors=fields, body=body)
        return redirect("actions:detail", action_id=action.pk)


class ActionEvidenceView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, action_id: int) -> HttpResponse:
        from closeloop.complaints.attachments import attachment_read

        action = _visible_action(request, action_id)
        files = [(f.name or "", attachment_read(f)) for f in request.FILES.getlist("files")]
        try:
            services.action_evidence_add(action=action, actor=request_user(request), files=files)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            fields = {k: [str(m) for m in v] for k, v in exc.fields.items()} or {"files": [str(exc.message)]}
            return ActionDetailView.render(request, action, status=422, errors=fields)
        messages.success(request, _("Evidence added."))
        return redirect("actions:detail", action_id=action.pk)
