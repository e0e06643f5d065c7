from django.urls import path

from closeloop.intake import views_import

urlpatterns = [
    path("", views_import.ComplaintImportView.as_view(), name="import"),
]
