from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "closeloop.accounts"
    label = "accounts"
    verbose_name = _("People and roles")

    def ready(self) -> None:
        from closeloop.accounts.roles import roles_sync_after_migrate

        # Groups need the permission rows, which Django itself creates in post_migrate.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="closeloop_roles_sync")
