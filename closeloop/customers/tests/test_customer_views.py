import pytest

from closeloop.customers.pii import mask_email, mask_phone

pytestmark = pytest.mark.django_db


def test_masking():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("12345") == "***45"
    assert mask_email("wang@example.com") == "w***@example.com"


def test_list_with_open_counts_and_constant_queries(client, agent, complaint, django_assert_max_num_queries):
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        body = client.get("/crm/customers/").content.decode()
    assert "华东机电有限公司" in body and 'data-open="1"' in body


def test_detail_masks_phones_for_roles_without_pii(client, qe, agent, complaint):
    client.force_login(qe)
    body = client.get("/crm/customers/C001/").content.decode()
    assert "138****5678" in body and "13812345678" not in body and complaint.number in body
    client.force_login(agent)
    assert "13812345678" in client.get("/crm/customers/C001/").content.decode()


def test_salesperson_sees_only_own_customers(client, sales, customer):
    client.force_login(sales)
    assert "华东机电有限公司" not in client.get("/crm/customers/").content.decode()
    assert client.get("/crm/customers/C001/").status_code == 404
    customer.sales_owner = sales
    customer.save()
    assert client.get("/crm/customers/C001/").status_code == 200


def test_products_page(client, agent, product):
    client.force_login(agent)
    assert "十字螺丝刀" in client.get("/crm/products/").content.decode()
