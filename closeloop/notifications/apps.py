from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "closeloop.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from closeloop.notifications.defaults import defaults_after_migrate
        from closeloop.notifications.routing import config_receivers_connect

        # The per-process cache of its configuration learns of changes through the database.
        config_receivers_connect()

        # Test flushes empty every table; the default rule must come back with the roles.
        post_migrate.connect(defaults_after_migrate, dispatch_uid="closeloop_notification_defaults")
