from django.urls import path

from closeloop.complaints import views, views_handling, views_list

app_name = "complaints"
urlpatterns = [
    path("", views_list.ComplaintListView.as_view(), name="list"),
    path("bulk-assign/", views_list.ComplaintBulkAssignView.as_view(), name="bulk_assign"),
    path("<str:number>/", views.ComplaintDetailView.as_view(), name="detail"),
    path("<str:number>/triage/", views.ComplaintTriageView.as_view(), name="triage"),
    path("<str:number>/start/", views_handling.ComplaintStartView.as_view(), name="start"),
    path("<str:number>/escalate/", views_handling.ComplaintEscalateView.as_view(), name="escalate"),
    path("<str:number>/resolve/", views_handling.ComplaintResolveView.as_view(), name="resolve"),
    path("<str:number>/verdict/", views_handling.ComplaintVerdictView.as_view(), name="verdict"),
    path("<str:number>/pause/", views_handling.ComplaintClockPauseView.as_view(), name="clock_pause"),
    path("<str:number>/resume/", views_handling.ComplaintClockResumeView.as_view(), name="clock_resume"),
    path("<str:number>/invalid/", views.ComplaintInvalidView.as_view(), name="invalid"),
    path("<str:number>/duplicate/", views.ComplaintDuplicateView.as_view(), name="duplicate"),
    path("<str:number>/attachments/", views.AttachmentAddView.as_view(), name="attachment_add"),
    path(
        "<str:number>/attachments/<int:attachment_id>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment",
    ),
]
