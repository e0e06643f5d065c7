from django.urls import path

from closeloop.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.CustomerListView.as_view(), name="list"),
    path("customers/<str:code>/", views.CustomerDetailView.as_view(), name="detail"),
    path("products/", views.ProductListView.as_view(), name="products"),
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path("orders/<str:number>/", views.OrderDetailView.as_view(), name="order_detail"),
]
