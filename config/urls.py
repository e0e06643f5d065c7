from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from closeloop.api.v1 import api as api_v1
from config import urls_worker

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="complaints:list", permanent=False)),
    path("accounts/", include("closeloop.accounts.urls")),
    # complaints/, 8d/ and notifications/: the pages messages link to, shared with the worker's URLconf.
    *urls_worker.urlpatterns,
    path("intake/", include("closeloop.intake.urls")),
    path("actions/", include("closeloop.actions.urls")),
    path("crm/", include("closeloop.customers.urls")),
    path("reports/", include("closeloop.reports.urls")),
    path("dashboard/", include("closeloop.dashboards.urls")),
    path("api/v1/", api_v1.urls),
    path("admin/", admin.site.urls),
]

handler403 = "closeloop.core.views.permission_denied"
handler404 = "closeloop.core.views.page_not_found"
# No public /media/ route, not even in DEBUG: attachments and import files are only ever streamed
# through views that check the user may see the complaint (or owns the import).
