from django.contrib.auth import views as auth_views
from django.urls import path

from closeloop.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("language/", views.language_set, name="language"),
    path("profile/", views.profile, name="profile"),
    path("profile/time-zone/", views.time_zone_set, name="time_zone"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
