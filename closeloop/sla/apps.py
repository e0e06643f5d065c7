from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "closeloop.sla"
    verbose_name = _("Deadlines and working calendars")

    def ready(self) -> None:
        from closeloop.notifications.messages import value_labels_register
        from closeloop.sla.defaults import defaults_after_migrate
        from closeloop.sla.models import Target

        # Notifications about deadlines store the target's code and show its label in the reader's language.
        value_labels_register("target", dict(Target.choices))

        # Test flushes empty every table; the calendar and the policies must come back.
        post_migrate.connect(defaults_after_migrate, dispatch_uid="closeloop_sla_defaults")
