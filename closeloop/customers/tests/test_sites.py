"""Sites (plants, 工厂): the master data, the product's plant, its upsert and its admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import translation

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.core.errors import ValidationFailed
from closeloop.customers.models import Product, Site
from closeloop.customers.services import product_upsert
from closeloop.customers.tests.factories import product_make, site_make

pytestmark = pytest.mark.django_db


def test_site_reads_in_the_reader_language_and_stays_stable_in_the_audit_text():
    site = site_make("SZ", "深圳工厂", name_en="Shenzhen plant")
    with translation.override("en"):
        assert site.label == "Shenzhen plant"
        assert str(site) == "SZ 深圳工厂"  # what the audit trail stores, whatever the language
    with translation.override("zh-hans"):
        assert site.label == "深圳工厂"
    assert site_make("CQ", "重庆工厂", name_en="").label == "重庆工厂"  # no English name: the Chinese one
    assert [s.code for s in Site.objects.all()] == ["CQ", "SZ"]  # ordered by code
    with translation.override("zh-hans"):
        assert str(Site._meta.verbose_name) == "工厂"


def test_site_code_must_be_a_code():
    with pytest.raises(ValidationError) as exc:
        Site(code="深圳 1", name="深圳").full_clean()
    assert list(exc.value.message_dict) == ["code"]


def test_a_site_that_makes_products_cannot_be_deleted():
    site = site_make()
    product_make(site=site)
    with pytest.raises(ProtectedError):
        site.delete()


def test_product_upsert_takes_the_site_code_and_keeps_it_when_not_given():
    sz, su = site_make("SZ"), site_make("SU", "苏州工厂", name_en="Suzhou plant")
    product, created = product_upsert(code="P101", name="六角螺栓", site="SZ")
    assert created and product.site == sz
    product_upsert(code="P101", name="六角螺栓", site=None)
    assert Product.objects.get(code="P101").site == sz  # an empty cell keeps the stored plant
    product_upsert(code="P101", name="六角螺栓", site="SU")
    assert Product.objects.get(code="P101").site == su


@pytest.mark.parametrize(
    ("code", "message"), [("XX", "没有编码为“XX”的工厂。"), ("OLD", "工厂 OLD 已停用。")]
)
def test_product_upsert_refuses_an_unknown_or_inactive_site_by_name(code, message):
    site_make("OLD", "旧工厂", is_active=False)
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as exc:
        product_upsert(code="P101", name="六角螺栓", site=code)
    assert {k: [str(m) for m in v] for k, v in exc.value.fields.items()} == {"site": [message]}
    assert not Product.objects.filter(code="P101").exists()


def test_admin_lists_and_searches_sites_and_edits_the_product_site(client):
    client.force_login(user_make("root", roles.ADMINISTRATOR, is_superuser=True, is_staff=True))
    site_make("SZ", "深圳工厂")
    site_make("SU", "苏州工厂", name_en="Suzhou plant")
    body = client.get("/admin/customers/site/", {"q": "苏州"}).content.decode()
    assert "SU" in body and "深圳工厂" not in body
    product = product_make()
    page = client.get(f"/admin/customers/product/{product.pk}/change/").content.decode()
    assert 'name="site"' in page


def test_products_page_shows_each_product_site(client, agent, django_assert_max_num_queries):
    product_make("P001", site=site_make("SZ", "深圳工厂"))
    product_make("P002", "一字螺丝刀", site=site_make("SU", "苏州工厂"))
    client.force_login(agent)
    with django_assert_max_num_queries(6):  # the sites come with the products, not one query each
        body = client.get("/crm/products/").content.decode()
    assert "SZ 深圳工厂" in body and "SU 苏州工厂" in body
