from django.urls import include, path

from closeloop.intake import views

app_name = "intake"
urlpatterns = [
    path("new/", views.ComplaintCreateView.as_view(), name="new"),
    path("order-lookup/", views.OrderLookupView.as_view(), name="order_lookup"),
    path("contact-options/", views.ContactOptionsView.as_view(), name="contact_options"),
    path("import/", include("closeloop.intake.urls_import")),
]
