"""The columns each import kind understands: one key, an English and a Chinese header, whether it is
required, and what it takes. Headers match case-insensitively in either language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from closeloop.complaints.models import Channel, Severity, Urgency
from closeloop.customers.models import CustomerTier


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    required: bool = False
    help: Any = ""
    example: Any = ""


COLUMNS: dict[str, list[Column]] = {
    "complaints": [
        Column(
            "customer",
            "customer",
            "客户编码",
            False,
            _("Customer code; may be left empty with an order number"),
            "C001",
        ),
        Column(
            "order_number",
            "order_number",
            "销售订单号",
            False,
            _("Sales order or shipment number"),
            "SO2025000001",
        ),
        Column(
            "channel",
            "channel",
            "渠道",
            False,
            _("phone, email, online_form, …, or 电话/邮件…; default: import"),
            "电话",
        ),
        Column(
            "received_at",
            "received_at",
            "接收时间",
            False,
            _("2026-11-22 14:05; default: now"),
            "2026-11-20 09:30",
        ),
        Column("title", "title", "标题", True, _("Short summary"), "螺丝刀杆生锈"),
        Column(
            "description",
            "description",
            "问题描述",
            True,
            _("What the customer reports"),
            "收货后发现杆部生锈约50支",
        ),
        Column(
            "customer_requirement",
            "customer_requirement",
            "客户要求",
            False,
            _("What the customer asks for"),
            "换货并提供8D报告",
        ),
        Column("product", "product", "产品编码", False, _("Product code"), "P001"),
        Column("site", "site", "工厂编码", False, _("Site (plant) code; default: the product's site"), ""),
        Column("lot", "lot", "批次", False, _("Lot number"), ""),
        Column("quantity_affected", "quantity_affected", "数量", False, _("Whole number"), 50),
        Column(
            "category",
            "category",
            "问题类型",
            False,
            _("Category code, e.g. quality-corrosion"),
            "quality-corrosion",
        ),
        Column(
            "severity", "severity", "严重程度", False, _("minor/general/serious or 轻微/一般/严重"), "严重"
        ),
        Column("urgency", "urgency", "紧急程度", False, _("urgent/normal or 紧急/一般"), "一般"),
        Column("contact_name", "contact_name", "联系人", False, _("Contact name"), "王经理"),
        Column("contact_phone", "contact_phone", "联系电话", False, _("Contact phone"), "13812345678"),
        Column("contact_email", "contact_email", "邮箱", False, _("Contact email"), ""),
    ],
    "customers": [
        Column("code", "code", "客户编码", True, _("Unique customer code"), "C101"),
        Column("name", "name", "客户名称", True, _("Customer name"), "杭州示例机械有限公司"),
        Column("tier", "tier", "客户等级", False, _("strategic/key/normal or 战略/重点/普通"), "重点"),
        Column("annual_value", "annual_value", "年销售额", False, _("CNY"), 3200000),
        Column("industry", "industry", "行业", False, "", "机械制造"),
        Column("region", "region", "地区", False, "", "华东"),
    ],
    "contacts": [
        Column("customer", "customer", "客户编码", True, _("Customer code"), "C101"),
        Column("name", "name", "联系人", True, "", "李工"),
        Column("title", "title", "职务", False, "", "质量工程师"),
        Column("phone", "phone", "联系电话", False, "", "13900001111"),
        Column("email", "email", "邮箱", False, "", "li@example.cn"),
    ],
    "products": [
        Column("code", "code", "产品编码", True, _("Unique product code"), "P101"),
        Column("name", "name", "产品名称", True, "", "六角螺栓 M8×30"),
        Column("family", "family", "产品系列", False, "", "紧固件"),
        Column("warranty_months", "warranty_months", "质保期（月）", False, _("Whole number of months"), 12),
        Column("site", "site", "工厂编码", False, _("Code of the site (plant) that makes it"), "SZ"),
    ],
    "orders": [
        Column("number", "order_number", "销售订单号", True, _("One row per order line"), "SO2026100001"),
        Column("customer", "customer", "客户编码", True, "", "C101"),
        Column("order_date", "order_date", "订单日期", True, "2026-11-01", "2026-11-01"),
        Column("line", "line", "行号", False, _("Default 1"), 1),
        Column("product", "product", "产品编码", True, "", "P101"),
        Column("quantity", "quantity", "数量", True, "", 1000),
        Column("lot", "lot", "批次", False, "", "L2611A"),
        Column("shipment_number", "shipment_number", "发货单号", False, "", "SH2026100001"),
        Column("ship_date", "ship_date", "发货日期", False, "", "2026-11-05"),
        Column("carrier", "carrier", "承运商", False, "", "顺丰速运"),
    ],
}

# Chinese labels of choice values accepted in cells, besides the codes themselves.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "severity": {"轻微": "minor", "一般": "general", "严重": "serious"},
    "urgency": {"紧急": "urgent", "一般": "normal", "普通": "normal"},
    "tier": {"战略": "strategic", "重点": "key", "vip": "key", "普通": "normal"},
    "channel": {
        "电话": "phone",
        "邮件": "email",
        "在线表单": "online_form",
        "客户门户": "portal",
        "社交媒体": "social_media",
        "销售拜访": "sales_visit",
        "售后": "after_sales",
        "导入": "import",
    },
}


# Columns whose cells take one of these codes (or a Chinese label from VALUE_ALIASES).
CHOICES: dict[str, type[models.TextChoices]] = {
    "channel": Channel,
    "severity": Severity,
    "urgency": Urgency,
    "tier": CustomerTier,
}


def header_label(col: Column) -> str:
    """The header in the active language: what templates write and reports name."""
    return col.zh if (get_language() or "").startswith("zh") else col.en


def header_map(kind: str, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map each known column key to the header the user wrote; return (mapping, unknown headers).

    A header is known in English or Chinese, case-insensitively; a second header for a column already
    seen counts as unknown (it is ignored and reported once).
    """
    by_name: dict[str, str] = {}
    for col in COLUMNS[kind]:
        by_name[col.en.lower()] = col.key
        by_name[col.zh.lower()] = col.key
        by_name[col.key.lower()] = col.key
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for h in headers:
        key = by_name.get(h.strip().lower())
        if key and key not in mapping:
            mapping[key] = h
        elif h:
            unknown.append(h)
    return mapping, unknown


def alias(field: str, value: Any) -> str:
    text = str(value if value is not None else "").strip()
    return VALUE_ALIASES.get(field, {}).get(text.lower(), VALUE_ALIASES.get(field, {}).get(text, text))
