"""``config/postgresql.conf``, the server settings the README recommends for production: every line
names a real PostgreSQL setting with a value the server accepts, so the file can be dropped into
``conf.d`` without a typo stopping the server at its next restart."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction

from closeloop.core.bench_env import REPO_ROOT

CONF = REPO_ROOT / "config" / "postgresql.conf"
LINE = re.compile(r"^(?P<name>[a-z_]+) = (?P<value>\S+)$")
MEMORY = re.compile(r"^\d+(kB|MB|GB|TB)$")
TIME = re.compile(r"^\d+(ms|s|min|h|d)$")


def _settings() -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in CONF.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, f"not a 'name = value' line: {raw!r}"
        assert match["name"] not in out, f"{match['name']} is set twice"
        out[match["name"]] = match["value"]
    return out


def test_the_file_is_a_list_of_settings_that_keep_durability_and_autovacuum():
    values = _settings()
    assert values["shared_buffers"] == "6GB" and values["max_wal_size"] == "4GB"
    # What would trade safety for speed is not in it: those keep the server's defaults (on).
    assert not {"fsync", "synchronous_commit", "full_page_writes", "autovacuum"} & set(values)


@pytest.mark.django_db(transaction=True)
def test_every_setting_exists_and_takes_its_value():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own settings: checked in the PostgreSQL leg")
    values = _settings()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, vartype, unit, context, enumvals FROM pg_settings WHERE name = ANY(%s)",
            [list(values)],
        )
        known = {row[0]: row[1:] for row in cur.fetchall()}
    assert set(known) == set(values), f"unknown settings: {sorted(set(values) - set(known))}"
    for name, value in values.items():
        vartype, unit, context, enumvals = known[name]
        if context == "user":
            # The server parses it: SET refuses a value it would refuse in the file.
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT set_config(%s, %s, true)", [name, value])
            continue
        # Settings only the server's start or reload reads: their value has the setting's form.
        if vartype == "integer" and unit in ("8kB", "kB", "MB"):
            assert MEMORY.match(value), f"{name} = {value}: not an amount of memory"
        elif vartype == "integer" and unit in ("ms", "s", "min"):
            assert TIME.match(value), f"{name} = {value}: not a duration"
        elif vartype == "real":
            assert float(value) >= 0, name
        elif vartype == "enum":
            assert value in enumvals, f"{name} = {value}: not one of {enumvals}"
        else:
            pytest.fail(f"{name}: a {vartype} setting ({unit}) this test does not check")
