"""Uploaded files are never reachable by URL without the permission check."""

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_media_is_not_served_publicly_even_in_debug(client, agent, complaint):
    from closeloop.complaints.services import attachments_add

    clear_url_caches()
    att = attachments_add(
        complaint=complaint, actor=agent, files=[("p.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)]
    )[0]
    assert client.get("/media/" + att.file.name).status_code == 404
    client.force_login(agent)
    assert client.get("/media/" + att.file.name).status_code == 404
    assert client.get(f"/complaints/{complaint.number}/attachments/{att.pk}/").status_code == 200
