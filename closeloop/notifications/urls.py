from django.urls import path

from closeloop.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.NotificationInboxView.as_view(), name="inbox"),
    path("read/", views.NotificationReadView.as_view(), name="read"),
]
