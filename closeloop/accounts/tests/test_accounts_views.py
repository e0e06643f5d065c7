"""Sign-in, language switch, password change and API tokens on the profile page."""

import pytest

from closeloop.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_login_sets_the_users_language_cookie(client, agent):
    agent.language = "en"
    agent.save()
    resp = client.post("/accounts/login/", {"username": "agent", "password": "pass12345!"})
    assert resp.status_code == 302
    assert resp.cookies["django_language"].value == "en"


def test_wrong_password_shows_an_error_in_chinese(client, agent):
    resp = client.post(
        "/accounts/login/", {"username": "agent", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert resp.status_code == 200
    assert "请输入一个正确的" in resp.content.decode()


def test_language_switch_is_remembered_on_the_user(client, agent):
    client.force_login(agent)
    resp = client.post("/accounts/language/", {"language": "en", "next": "/accounts/profile/"})
    assert resp.status_code == 302 and resp["Location"] == "/accounts/profile/"
    agent.refresh_from_db()
    assert agent.language == "en"
    assert "API tokens" in client.get("/accounts/profile/").content.decode()


def test_language_switch_refuses_foreign_redirects(client, agent):
    client.force_login(agent)
    resp = client.post("/accounts/language/", {"language": "en", "next": "https://evil.example.com/"})
    assert resp["Location"] == "/"


def test_token_is_shown_once_and_stored_hashed(client, agent):
    client.force_login(agent)
    client.post("/accounts/profile/tokens/", {"name": "ERP"})
    page = client.get("/accounts/profile/").content.decode()
    token = ApiToken.objects.get(user=agent)
    raw = page.split('id="new-token" class="user-select-all">')[1].split("<")[0]
    assert raw.startswith("cl_") and ApiToken.hash(raw) == token.digest
    assert raw not in client.get("/accounts/profile/").content.decode()


def test_token_revoke_only_own(client, agent, qm):
    other = ApiToken.objects.create(user=qm, name="x", prefix="cl_abcde", digest="0" * 64)
    client.force_login(agent)
    client.post(f"/accounts/profile/tokens/{other.pk}/revoke/")
    other.refresh_from_db()
    assert other.revoked_at is None


def test_empty_token_name_is_refused(client, agent):
    client.force_login(agent)
    resp = client.post("/accounts/profile/tokens/", {"name": "  "}, follow=True)
    assert ApiToken.objects.count() == 0
    assert "令牌" in resp.content.decode() or "token" in resp.content.decode().lower()


def test_password_change(client, agent):
    client.force_login(agent)
    resp = client.post(
        "/accounts/password/",
        {
            "old_password": "pass12345!",
            "new_password1": "Zx9!long-enough",
            "new_password2": "Zx9!long-enough",
        },
    )
    assert resp.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("Zx9!long-enough")


def test_sign_in_is_throttled_after_repeated_failures(client, agent, settings):
    from django.core.cache import cache

    cache.clear()
    settings.LOGIN_FAILURE_LIMIT = 3
    codes = [
        client.post("/accounts/login/", {"username": "agent", "password": "wrong"}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 200]
    resp = client.post("/accounts/login/", {"username": "agent", "password": "pass12345!"})
    assert resp.status_code == 429 and "15" in resp.content.decode()  # even the right password waits
    assert "_auth_user_id" not in client.session
    cache.clear()
    assert client.post("/accounts/login/", {"username": "agent", "password": "pass12345!"}).status_code == 302


def test_user_chooses_a_time_zone_and_pages_use_it(client, agent, complaint):
    client.force_login(agent)
    assert client.post("/accounts/profile/time-zone/", {"time_zone": "Europe/Berlin"}).status_code == 302
    agent.refresh_from_db()
    assert agent.time_zone == "Europe/Berlin"
    body = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert "Europe/Berlin" in body  # the footer names the zone the times are shown in
    assert "2026-06-15 04:00" in body  # received 10:00 in Shanghai
    client.post("/accounts/profile/time-zone/", {"time_zone": "Mars/Olympus"})
    agent.refresh_from_db()
    assert agent.time_zone == "Europe/Berlin"
