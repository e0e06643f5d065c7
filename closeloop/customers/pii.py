"""Masking of contacts' personal data for roles that do not need it (PIPL: minimum necessary)."""

from __future__ import annotations

from closeloop.accounts.models import User

PII_PERMISSION = "customers.view_contact_pii"


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; short numbers keep only their last two digits."""
    digits = phone.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits


def mask_email(email: str) -> str:
    """wang@example.com -> w***@example.com."""
    local, sep, domain = email.partition("@")
    if not sep:
        return mask_phone(email)
    return f"{local[:1]}***@{domain}"


def can_see_pii(user: User) -> bool:
    return bool(user.has_perm(PII_PERMISSION))


def phone_for(user: User, phone: str) -> str:
    return phone if can_see_pii(user) or not phone else mask_phone(phone)


def email_for(user: User, email: str) -> str:
    return email if can_see_pii(user) or not email else mask_email(email)
