"""The bench's data: generated up to ``lived`` complaints, copied past them on PostgreSQL."""

import pytest
from django.db import connection

from closeloop.complaints.models import Complaint
from closeloop.core import bench_data
from closeloop.core.generator_replicate import sources_count

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_past_lived_the_generated_complaints_are_copied_in_whole_copies(agent):
    lines: list[str] = []
    assert bench_data.data_top_up(100, lived=30, out=lines.append) == 120  # 30 and three copies
    assert sources_count() == 120
    assert Complaint.objects.values("title", "customer", "priority_score").distinct().count() <= 30
    assert any("copying the 30 generated complaints 3 times" in line for line in lines)
    # already big enough: nothing is loaded
    assert bench_data.data_top_up(110, lived=30, out=lines.append) == 120


@pytest.mark.postgres
def test_with_nothing_to_copy_the_rest_is_generated(agent):
    assert bench_data.data_top_up(15, lived=0, out=lambda line: None) == 15
    assert Complaint.objects.values("received_at").distinct().count() == 15


@pytest.mark.skipif(connection.vendor == "postgresql", reason="copies are made on PostgreSQL")
def test_elsewhere_everything_is_generated(agent):
    assert bench_data.data_top_up(40, lived=10, out=lambda line: None) == 40
    assert Complaint.objects.values("received_at").distinct().count() == 40
