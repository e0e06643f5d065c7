from django.urls import path

from closeloop.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.NotificationInboxView.as_view(), name="inbox"),
    path("read/", views.NotificationReadView.as_view(), name="read"),
    path("bell/", views.NotificationBellView.as_view(), name="bell"),
    path("preferences/", views.NotificationPreferencesView.as_view(), name="preferences"),
]
