"""config/gunicorn.conf.py reads its few machine-specific values from the environment."""

import runpy
from pathlib import Path

import pytest
from django.conf import settings

from config.env import DATABASE_URL, web_workers_default

CONF = Path(settings.BASE_DIR) / "config" / "gunicorn.conf.py"


def _conf() -> dict:
    return runpy.run_path(str(CONF))


def test_no_access_log_by_default_the_proxy_keeps_it(monkeypatch):
    monkeypatch.delenv("CLOSELOOP_ACCESS_LOG", raising=False)
    assert _conf()["accesslog"] is None
    assert _conf()["errorlog"] == "-"  # errors are always logged


@pytest.mark.parametrize("value", ["-", "/var/log/closeloop/access.log"])
def test_the_access_log_is_turned_on_by_its_variable(monkeypatch, value):
    monkeypatch.setenv("CLOSELOOP_ACCESS_LOG", value)
    assert _conf()["accesslog"] == value


def test_bind_workers_and_trusted_proxy_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CLOSELOOP_BIND", "0.0.0.0:8123")
    monkeypatch.setenv("CLOSELOOP_WEB_WORKERS", "3")
    monkeypatch.setenv("CLOSELOOP_FORWARDED_ALLOW_IPS", "10.0.0.2")
    conf = _conf()
    assert (conf["bind"], conf["workers"], conf["forwarded_allow_ips"]) == ("0.0.0.0:8123", 3, "10.0.0.2")


@pytest.mark.parametrize(
    ("url", "workers"),
    [
        ("sqlite:////srv/closeloop/var/closeloop.sqlite3", 3),
        ("postgres://closeloop@127.0.0.1:5432/closeloop", 3),
        ("postgres://closeloop@localhost/closeloop", 3),
        ("postgres://closeloop@[::1]:5432/closeloop", 3),
        ("postgres:///closeloop", 3),  # a Unix socket
        ("postgres://closeloop@db.internal:5432/closeloop", 5),
        ("postgres://closeloop@10.0.0.7/closeloop", 5),
    ],
)
def test_workers_are_cores_plus_one_beside_the_database_and_twice_the_cores_plus_one_away(url, workers):
    assert web_workers_default(2, url) == workers


def test_without_its_variable_the_worker_count_follows_the_cores_and_the_database(monkeypatch):
    monkeypatch.delenv("CLOSELOOP_WEB_WORKERS", raising=False)
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 4)
    assert _conf()["workers"] == web_workers_default(4, DATABASE_URL)
