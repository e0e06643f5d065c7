"""Fingerprints of what finance verified and what the sales manager reviewed. A change to the D8 cost
or to the customer summary after the sign-off makes the digest differ, so the sign-off no longer counts."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def cost_digest(d8_content: dict[str, Any]) -> str:
    return _digest([d8_content.get("costs", []), d8_content.get("recoveries", [])])


def summary_digest(d8_content: dict[str, Any]) -> str:
    return _digest(d8_content.get("customer_summary", ""))
