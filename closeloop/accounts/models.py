"""People: the custom user (from the first migration), departments and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from closeloop.core.db import plan_kept_cursor


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    time_zone = models.CharField(_("time zone"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @cached_property
    def _perm_cache(self) -> set[str]:
        """Every ``app_label.codename`` this user holds, directly or through a role (group).

        ModelBackend reads and fills this attribute (``get_all_permissions``); computing it here reads
        the set with one statement of fixed SQL instead of two ORM queries, whose compilation cost more
        CPU than the rest of a small page's queries. Same result as ModelBackend (which still answers
        for inactive users and objects: no permissions), per user object, so per request.
        """
        if self.is_superuser:
            rows = Permission.objects.values_list("content_type__app_label", "codename").order_by()
            return {f"{app}.{codename}" for app, codename in rows}
        alias = router.db_for_read(Permission)
        with plan_kept_cursor(alias) as cursor:
            cursor.execute(_permissions_sql(connections[alias].vendor), [self.pk, self.pk])
            return {f"{app}.{codename}" for app, codename in cursor.fetchall()}

    @property
    def initials(self) -> str:
        name = str(self)
        return name[-2:] if any("\u4e00" <= ch <= "\u9fff" for ch in name) else name[:2].upper()


_PERMISSIONS_SQL: dict[tuple[str, str], str] = {}


def _permissions_from(vendor: str, user: str) -> str:
    """``FROM … WHERE …`` of the permissions (``p``, with its content type ``ct``) held by the user whose
    id is the SQL expression ``user`` (written twice), directly or through a role; built once per
    database vendor and expression from the models' tables."""
    key = (vendor, user)
    if key not in _PERMISSIONS_SQL:
        q = connections[router.db_for_read(Permission)].ops.quote_name
        direct = User._meta.get_field("user_permissions")
        roles = User._meta.get_field("groups")
        granted = Group._meta.get_field("permissions")
        _PERMISSIONS_SQL[key] = (
            f"FROM {q(Permission._meta.db_table)} p "  # noqa: S608 - table and column names only
            f"INNER JOIN {q(ContentType._meta.db_table)} ct ON ct.{q('id')} = p.{q('content_type_id')} "
            f"WHERE p.{q('id')} IN (SELECT up.{q(direct.m2m_reverse_name())} "  # type: ignore[union-attr]
            f"FROM {q(direct.m2m_db_table())} up WHERE up.{q(direct.m2m_column_name())} = {user}) "  # type: ignore[union-attr]
            f"OR p.{q('id')} IN (SELECT gp.{q(granted.m2m_reverse_name())} "  # type: ignore[union-attr]
            f"FROM {q(granted.m2m_db_table())} gp "  # type: ignore[union-attr]
            f"INNER JOIN {q(roles.m2m_db_table())} ug "  # type: ignore[union-attr]
            f"ON ug.{q(roles.m2m_reverse_name())} = gp.{q(granted.m2m_column_name())} "  # type: ignore[union-attr]
            f"WHERE ug.{q(roles.m2m_column_name())} = {user})"  # type: ignore[union-attr]
        )
    return _PERMISSIONS_SQL[key]


def _permissions_sql(vendor: str) -> str:
    """The statement behind ``User._perm_cache`` (two parameters: the user's id, twice)."""
    q = connections[router.db_for_read(Permission)].ops.quote_name
    return f"SELECT ct.{q('app_label')}, p.{q('codename')} {_permissions_from(vendor, '%s')}"  # noqa: S608


def permissions_held_sql(vendor: str, user: str) -> str:
    """An SQL expression (a scalar subquery, no parameters) of the same permissions as ``_perm_cache``
    has them, for the user whose id is the SQL expression ``user``: a JSON array of
    ``"app_label.codename"`` texts, for a statement that reads a user and their permissions at once."""
    q = connections[router.db_for_read(Permission)].ops.quote_name
    name = f"ct.{q('app_label')} || '.' || p.{q('codename')}"
    if vendor == "postgresql":
        listed = f"COALESCE(jsonb_agg({name}), '[]'::jsonb)"
    else:
        listed = f"json_group_array({name})"
    return f"(SELECT {listed} {_permissions_from(vendor, user)})"  # noqa: S608 - names only


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the clear value is shown once at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "cl_" + secrets.token_urlsafe(32)
