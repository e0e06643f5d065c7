import pytest
from django.db import transaction

from closeloop.complaints.numbering import complaint_number_next, number_format

pytestmark = pytest.mark.django_db


def test_numbers_count_up_per_year(frozen_now):
    with transaction.atomic():
        first = complaint_number_next(when=frozen_now)
        second = complaint_number_next(when=frozen_now)
    assert (first, second) == ("KS-2026-000001", "KS-2026-000002")


def test_format_is_configurable(settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "COMPLAINT_NUMBER_FORMAT": "CC{year}{seq:05d}"}
    assert number_format(2026, 42) == "CC202600042"
