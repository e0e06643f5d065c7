from django.urls import path

from closeloop.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.CustomerListView.as_view(), name="list"),
]
