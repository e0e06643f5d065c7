from django.urls import path

from closeloop.intake import views

app_name = "intake"
urlpatterns = [
    path("new/", views.ComplaintCreateView.as_view(), name="new"),
    path("import/", views.ComplaintImportView.as_view(), name="import"),
]
