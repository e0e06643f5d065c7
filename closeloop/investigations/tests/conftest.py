import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Service tests read the gates' messages in English; page tests set their own language."""
    with translation.override("en"):
        yield
