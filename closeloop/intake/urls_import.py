from django.urls import path

from closeloop.intake import views_import

urlpatterns = [
    path("", views_import.ComplaintImportView.as_view(), name="import"),
    path("<int:job_id>/", views_import.ImportJobView.as_view(), name="import_job"),
    path("<int:job_id>/report.xlsx", views_import.ImportReportView.as_view(), name="import_report"),
    path("template/<str:kind>.<str:fmt>", views_import.ImportTemplateView.as_view(), name="import_template"),
]
