"""Template context shared by every staff page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"LANGUAGES_AVAILABLE": settings.LANGUAGES}
