from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "closeloop.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from closeloop.complaints.config import config_receivers_connect
        from closeloop.complaints.defaults import defaults_after_migrate

        # The per-process cache of its configuration learns of changes through the database.
        config_receivers_connect()

        # Test flushes empty every table; the category tree must come back with the roles.
        post_migrate.connect(defaults_after_migrate, dispatch_uid="closeloop_category_defaults")
