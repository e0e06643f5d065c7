"""Deterministic builders for people. Users get their role's group, as in production."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group

from closeloop.accounts.models import Department, User


def department_make(code: str = "quality", name: str = "质量部", name_en: str = "Quality") -> Department:
    dept, _ = Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
    return dept


def user_make(
    username: str,
    role: str | None = None,
    *,
    department: Department | None = None,
    password: str = "pass12345!",
    language: str = "zh-hans",
    **extra: Any,
) -> User:
    user: User = User.objects.create_user(
        username=username, password=password, language=language, department=department, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user
