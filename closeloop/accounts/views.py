"""Sign-in, password, language and the profile page (with API tokens)."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts import services, throttle
from closeloop.accounts.models import ApiToken, User
from closeloop.accounts.roles import role_label
from closeloop.core.errors import ApplicationError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def _who(self) -> tuple[str, str]:
        return self.request.POST.get("username", ""), self.request.META.get("REMOTE_ADDR", "")

    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        username, address = self._who()
        if throttle.login_blocked(username=username, address=address):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed sign-ins. Wait 15 minutes and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        username, address = self._who()
        throttle.login_failed(username=username, address=address)
        return super().form_invalid(form)

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        username, address = self._who()
        throttle.login_succeeded(username=username, address=address)
        response = super().form_valid(form)
        lang = form.get_user().language
        if lang:
            response.set_cookie("django_language", lang, samesite="Lax")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the user (when signed in) and in a cookie."""
    lang = request.POST.get("language", "")
    nxt = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        nxt = "/"
    response = HttpResponseRedirect(nxt)
    try:
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=lang)  # type: ignore[arg-type]
        elif lang not in dict(settings.LANGUAGES):
            return response
    except ApplicationError:
        return response
    translation.activate(lang)
    response.set_cookie("django_language", lang, samesite="Lax", max_age=365 * 24 * 3600)
    return response


@login_required
@require_POST
def time_zone_set(request: HttpRequest) -> HttpResponse:
    try:
        services.user_set_time_zone(
            user=cast(User, request.user), time_zone=request.POST.get("time_zone", "")
        )
        messages.success(request, _("Time zone saved."))
    except ApplicationError as exc:
        for msgs in exc.fields.values():
            for m in msgs:
                messages.error(request, m)
    return redirect("accounts:profile")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    new_token = request.session.pop("new_token", None)
    return render(
        request,
        "accounts/profile.html",
        {
            "roles": [role_label(g.name) for g in user.groups.all()],
            "tokens": ApiToken.objects.filter(user=user),
            "new_token": new_token,
            "time_zones": services.COMMON_TIME_ZONES,
            "default_time_zone": settings.TIME_ZONE,
        },
    )


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    try:
        token, raw = services.api_token_create(
            user=request.user,  # type: ignore[arg-type]
            name=request.POST.get("name", ""),
        )
    except ApplicationError as exc:
        for msgs in exc.fields.values():
            for m in msgs:
                messages.error(request, m)
        return redirect("accounts:profile")
    request.session["new_token"] = raw
    messages.success(
        request,
        _("Token “%(name)s” created. Copy it now: it will not be shown again.") % {"name": token.name},
    )
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.api_token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:profile")
