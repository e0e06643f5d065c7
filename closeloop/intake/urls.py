from django.urls import include, path

from closeloop.intake import views

app_name = "intake"
urlpatterns = [
    path("new/", views.ComplaintCreateView.as_view(), name="new"),
    path("import/", include("closeloop.intake.urls_import")),
]
