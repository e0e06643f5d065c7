from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation

from closeloop.accounts.roles import role_label
from closeloop.core.demo import DEMO_PASSWORD, USERS


class Command(BaseCommand):
    help = "Print the demo logins (one user per role)."

    def handle(self, *args: object, **options: Any) -> None:
        with translation.override("zh-hans"):
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for username, display, role, _dept in USERS:
                self.stdout.write(f"  {username:<12} {display:<14} {role_label(role)}")
