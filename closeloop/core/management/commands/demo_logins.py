import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.accounts.roles import role_label
from closeloop.core.demo_data import DEMO_PASSWORD, USERS


def _width(text: str) -> int:
    """Terminal columns of ``text``: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = "Print the demo logins (one user per role), their password and where to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="Base URL the server listens on (default %(default)s).",
        )

    def handle(self, *args: object, **options: Any) -> None:
        base = str(options["url"]).rstrip("/")
        present = set(
            User.objects.filter(username__in=[u[0] for u in USERS]).values_list("username", flat=True)
        )
        with translation.override(settings.LANGUAGE_CODE):
            header = [_("Username"), _("Name"), _("Role"), _("Password")]
            rows = [
                [
                    username,
                    display,
                    role_label(role),
                    DEMO_PASSWORD if username in present else _("(not loaded)"),
                ]
                for username, display, role, _dept in USERS
            ]
            widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
            rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
            self.stdout.write(_("Demo logins"))
            self.stdout.write(rule)
            for row in [header, None, *rows]:
                if row is None:
                    self.stdout.write(rule)
                    continue
                self.stdout.write(
                    "| " + " | ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)) + " |"
                )
            self.stdout.write(rule)
            self.stdout.write(_("Sign in at %(url)s") % {"url": f"{base}/accounts/login/"})
            if len(present) < len(USERS):
                self.stdout.write(_("Some demo users are missing: run `manage.py demo_load` first."))
