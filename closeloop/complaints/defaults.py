"""The default category tree (top-level codes are stable: quality, delivery, logistics, service, price,
documentation). Created by migration 0002 and re-ensured after every migrate/flush, so a database
always has it; administrators may rename, add and deactivate categories afterwards."""

from __future__ import annotations

from typing import Any

CATEGORIES = [
    (
        "quality",
        "质量",
        "Quality",
        [
            ("quality-appearance", "外观不良", "Appearance defect"),
            ("quality-dimension", "尺寸超差", "Dimension out of tolerance"),
            ("quality-function", "功能/性能失效", "Function / performance failure"),
            ("quality-material", "材料问题", "Material problem"),
            ("quality-corrosion", "锈蚀", "Rust / corrosion"),
            ("quality-leakage", "泄漏", "Leakage"),
        ],
    ),
    (
        "delivery",
        "交付",
        "Delivery",
        [
            ("delivery-late", "延期交货", "Late delivery"),
            ("delivery-quantity", "数量不符", "Wrong quantity"),
            ("delivery-wrong-item", "错发货", "Wrong item shipped"),
        ],
    ),
    (
        "logistics",
        "物流运输",
        "Logistics / transport",
        [
            ("logistics-damage", "运输破损", "Damaged in transit"),
            ("logistics-packaging", "包装不良", "Packaging problem"),
        ],
    ),
    (
        "service",
        "服务态度",
        "Service attitude",
        [
            ("service-response", "响应慢", "Slow response"),
            ("service-attitude", "态度问题", "Staff attitude"),
        ],
    ),
    (
        "price",
        "价格",
        "Price",
        [
            ("price-error", "价格错误", "Pricing error"),
            ("price-invoice", "发票问题", "Invoice problem"),
        ],
    ),
    (
        "documentation",
        "资料",
        "Documentation",
        [
            ("documentation-certificate", "质检报告/合格证", "Certificate / inspection report"),
            ("documentation-manual", "说明书", "Manual"),
            ("documentation-label", "标识标签", "Labels and marking"),
        ],
    ),
]


def categories_ensure_defaults(category_model: Any = None) -> None:
    """Create any missing default category (existing ones, possibly edited, are left alone)."""
    if category_model is None:
        from closeloop.complaints.models import Category as category_model
    for i, (code, name, name_en, children) in enumerate(CATEGORIES):
        parent, _ = category_model.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": i * 10}
        )
        for j, (ccode, cname, cname_en) in enumerate(children):
            category_model.objects.get_or_create(
                code=ccode, defaults={"name": cname, "name_en": cname_en, "parent": parent, "sort_order": j}
            )


def defaults_after_migrate(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "label", None) == "complaints":
        categories_ensure_defaults()
