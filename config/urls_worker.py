"""The Celery worker's URLconf (settings: ``ROOT_URLCONF`` when ``WORKER_PROCESS``): only the pages its
messages link to (``notifications.channels``: a complaint, an 8D case, the inbox). The site's URLconf
(config/urls.py) includes these same patterns, so a link reverses alike in both; it adds the other
pages, the API and the admin, which a worker never serves and which would stay resident once a job
reversed its first link."""

from django.urls import include, path

urlpatterns = [
    path("complaints/", include("closeloop.complaints.urls")),
    path("8d/", include("closeloop.investigations.urls")),
    path("notifications/", include("closeloop.notifications.urls")),
]
