from django.urls import path

from closeloop.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.CockpitView.as_view(), name="cockpit"),
    path("export/<slug:chart>.xlsx", views.CockpitExportView.as_view(), name="export"),
]
