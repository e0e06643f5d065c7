"""gunicorn settings for production (behind a TLS-terminating reverse proxy).

Scale out by running more of these processes (on more machines) behind the proxy: the web tier keeps
no state of its own (sessions and data in PostgreSQL, uploads on shared storage).
"""

from config import env as E

bind = E.env.str("CLOSELOOP_BIND", default="127.0.0.1:8000")
workers = E.web_workers()
worker_class = "sync"
timeout = 60
graceful_timeout = 30
# The application is imported once, in the master, and each worker is forked from it: a worker then
# starts in milliseconds instead of the 1-2 s of CPU that importing Django and the project costs, which
# every recycle below would pay again, and the workers share the imported code's memory. Safe because
# importing the project opens no database connection and starts no thread (core/tests/test_preload.py).
# A deploy restarts gunicorn: a HUP alone would keep the old code.
preload_app = True
max_requests = 2000
max_requests_jitter = 200
# The proxy sets X-Forwarded-Proto; only trust it from the proxy's address.
forwarded_allow_ips = E.env.str("CLOSELOOP_FORWARDED_ALLOW_IPS", default="127.0.0.1")
# The proxy in front logs every request already (with the client's real address and the TLS side); a
# second line per request from gunicorn cost 4% of a worker's CPU on the API create (the HTTP bench).
# CLOSELOOP_ACCESS_LOG=- writes it to stdout again, or names a file.
accesslog = E.env.str("CLOSELOOP_ACCESS_LOG", default="") or None
errorlog = "-"
