import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from closeloop.complaints.search import tokenizer_load
from closeloop.core.heap import freeze_loaded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
# Load now what the first requests would otherwise load (the URLconf with every view module it imports,
# the search tokenizer's dictionary), then leave everything loaded out of the garbage collector's
# passes for the process's life (see closeloop.core.heap): 125,000 objects the collector would otherwise
# walk on each of its full passes.
get_resolver().url_patterns  # noqa: B018 (loading is the point)
tokenizer_load()
freeze_loaded()
