"""Shared model bases."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """Audit rows are written once: bulk update and delete are refused at the ORM level."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(f"{self.model._meta.verbose_name_plural} are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model._meta.verbose_name_plural} are append-only.")


class AppendOnly(models.Model):
    """An event row: ``save()`` of an existing row and ``delete()`` raise. Pair it with a database
    trigger (see the migrations of complaints and investigations) so raw SQL cannot rewrite history."""

    objects = AppendOnlyQuerySet.as_manager()
    # save() below only refuses rewrites: a new row may be written by core.insert_one.object_insert.
    save_inserts_plainly = True

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError(f"{self._meta.verbose_name_plural} are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self._meta.verbose_name_plural} are append-only.")


def bilingual(name: str, name_en: str) -> str:
    """Master data's name in the active language: the English name for an English reader when there is
    one, else the Chinese name (never an empty label)."""
    from django.utils.translation import get_language

    return name_en if name_en and (get_language() or "").startswith("en") else name


class ConfigVersion(models.Model):
    """The current token of one configuration scope (``closeloop.core.config_cache``): a new random value
    is stored by every change to the scope's tables, so processes caching them know to reload."""

    scope = models.CharField(max_length=60, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.scope}: {self.token}"
