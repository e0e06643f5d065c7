from django.urls import path

from closeloop.complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.ComplaintListView.as_view(), name="list"),
    path("<str:number>/", views.ComplaintDetailView.as_view(), name="detail"),
]
