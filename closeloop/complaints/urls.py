from django.urls import path

from closeloop.complaints import views, views_list

app_name = "complaints"
urlpatterns = [
    path("", views_list.ComplaintListView.as_view(), name="list"),
    path("<str:number>/", views.ComplaintDetailView.as_view(), name="detail"),
]
