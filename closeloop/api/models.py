"""API plumbing state: idempotency records for POST /complaints."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """One per (user, Idempotency-Key). Written in the same transaction as the complaint it created,
    so a key either has its complaint or never existed. Records older than 24 hours no longer
    replay (``IDEMPOTENCY_TTL`` in closeloop.api.complaints) and are replaced on reuse."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
