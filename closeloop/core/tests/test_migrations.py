"""Every model change has its migration: a fresh clone migrates to exactly the models in the code."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits non-zero when a migration is missing
        pytest.fail(f"missing migration:\n{out.getvalue()}" if exc.code else "")
    assert "No changes detected" in out.getvalue()
