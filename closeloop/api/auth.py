"""Bearer-token authentication for the API, and the throttle of the token endpoint."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer
from ninja.throttling import AnonRateThrottle

from closeloop.accounts.services import api_token_authenticate


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>``; the request then runs as the token's user, in the user's
    language unless the caller sent Accept-Language."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        if "HTTP_ACCEPT_LANGUAGE" not in request.META and user.language:
            translation.activate(user.language)
        return user


class TokenRateThrottle(AnonRateThrottle):
    """Per-IP limit on POST /auth/token; the rate is read from settings at each request so it can be
    configured (CLOSELOOP_API_TOKEN_RATE) and overridden in tests."""

    def __init__(self) -> None:
        super().__init__(rate=settings.API_TOKEN_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.API_TOKEN_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)
