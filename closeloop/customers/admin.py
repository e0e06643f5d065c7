from django.contrib import admin

from closeloop.customers.models import Contact, Customer, Product, SalesOrder, SalesOrderLine, Shipment, Site


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tier", "annual_value", "industry", "region", "sales_owner", "is_active"]
    list_filter = ["tier", "is_active", "region"]
    search_fields = ["code", "name"]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "title", "phone", "email"]
    search_fields = ["name", "customer__name", "customer__code"]
    list_select_related = ["customer"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "family", "site", "warranty_months", "is_active"]
    list_filter = ["family", "site", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["site"]
    autocomplete_fields = ["site"]


class LineInline(admin.TabularInline):
    model = SalesOrderLine
    extra = 0
    autocomplete_fields = ["product"]


class ShipmentInline(admin.TabularInline):
    model = Shipment
    extra = 0


@admin.register(SalesOrder)
class SalesOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "order_date"]
    search_fields = ["number", "customer__name", "customer__code"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    inlines = [LineInline, ShipmentInline]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["number", "order", "ship_date", "carrier", "tracking_number"]
    search_fields = ["number", "order__number"]
    list_select_related = ["order"]
