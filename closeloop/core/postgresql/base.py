"""Django's PostgreSQL backend (psycopg 3), its persistent connections checked without a statement.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before each request's first statement by
running ``SELECT 1``: one more round trip, and about 4% of a gunicorn worker's CPU on the API create
(the HTTP bench). An idle connection's socket is readable only when the server has sent something
unasked for, and on a connection of this application that is how it ends: a server restart, failover,
``pg_terminate_backend`` or ``idle_session_timeout`` sends its error and closes the socket. So an idle
connection is taken as usable when its socket has nothing to read; anything to read, a closed socket
or a connection inside a transaction falls back to Django's ``SELECT 1``, which then decides. Like
``SELECT 1`` this sees no network path that died silently; TCP keepalives are for that.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

# What Django's backend module provides besides the wrapper (introspection, operations, …) is found on
# the wrapper's own class attributes; the module only has to name the wrapper.


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """True when the kept connection can run a statement: an idle, open connection whose socket has
        nothing to read, or one that answers ``SELECT 1``."""
        conn = self.connection
        if conn is None or conn.closed:
            return False
        if conn.info.transaction_status == TransactionStatus.IDLE:
            try:
                readable, _, _ = select.select([conn.fileno()], [], [], 0)
            except (OSError, ValueError):
                return False
            if not readable:
                return True
        return bool(super().is_usable())
