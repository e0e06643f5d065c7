"""Staff pages of the reports app: exports (ledgers) and the monthly complaint analysis."""

from django.urls import path

from closeloop.reports import views, views_analysis, views_exports, views_handling, views_pack

app_name = "reports"

urlpatterns: list = [
    path("exports/", views_exports.ExportCreateView.as_view(), name="export_create"),
    path("exports/<int:job_id>/", views_exports.ExportJobView.as_view(), name="export_job"),
    path(
        "exports/<int:job_id>/download/", views_exports.ExportDownloadView.as_view(), name="export_download"
    ),
    path("analysis/", views_analysis.AnalysisView.as_view(), name="analysis"),
    path("analysis.pdf", views_analysis.AnalysisPdfView.as_view(), name="analysis_pdf"),
    path("8d/<str:number>.pdf", views.EightDReportDownloadView.as_view(fmt="pdf"), name="eightd_pdf"),
    path("8d/<str:number>.docx", views.EightDReportDownloadView.as_view(fmt="docx"), name="eightd_docx"),
    path("audit-pack/<str:number>/", views_pack.AuditPackView.as_view(), name="audit_pack"),
    path(
        "handling/<str:number>/draft/",
        views_handling.HandlingReportCreateView.as_view(),
        name="handling_create",
    ),
    path("handling/<int:report_id>.pdf", views_handling.HandlingReportPdfView.as_view(), name="handling_pdf"),
    path(
        "handling/<int:report_id>/<str:step>/",
        views_handling.HandlingReportStepView.as_view(),
        name="handling_step",
    ),
]
