"""The bulk intake path, for the complaint import: many drafts validated exactly as ``complaint_intake``
validates one — the same rules in ``draft_resolve``, answered from rows read once for the whole batch
(:class:`BatchLookups`) — then the valid ones built and created together in one transaction
(``complaints.bulk``).

For every draft the outcome, and everything written for it, is what ``complaint_intake`` called on the
drafts one after another would give: a contact created by an earlier draft is found by a later one, and
numbers follow the drafts' order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction

from closeloop.accounts.models import User
from closeloop.complaints.bulk import ComplaintsBuilt, complaints_build, complaints_save
from closeloop.complaints.creation import ComplaintData
from closeloop.complaints.models import Category, Complaint
from closeloop.complaints.search import Tokenizer
from closeloop.core.bulk_insert import objects_insert
from closeloop.core.errors import ApplicationError, FieldErrors, PermissionDenied
from closeloop.customers.models import Contact, Customer, Product, SalesOrder, SalesOrderLine, Shipment, Site
from closeloop.customers.services import site_for_code
from closeloop.intake.drafts import ComplaintDraft, ContactInput
from closeloop.intake.lookups import IntakeLookups, OrderRef
from closeloop.intake.services import draft_resolve
from closeloop.notifications.imports import ImportDigest, import_digest_route

T = TypeVar("T")
# Values per IN (...) list: under SQLite's oldest limit of 999 parameters.
IN_CHUNK = 900


def _chunks(values: Iterable[T], size: int = IN_CHUNK) -> Iterable[list[T]]:
    items = list(values)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _order_number(draft: ComplaintDraft) -> str:
    return (draft.order_number or draft.shipment_number or "").strip()


class BatchLookups(IntakeLookups):
    """The answers :class:`IntakeLookups` gives, for a batch of drafts, from a few queries made up front
    (customers, products, orders and shipments with their lines, contacts and owners by the codes and
    names the drafts use; every site and category). A code the batch's queries did not find does not
    exist, so it is answered without a query; a site that is unknown or inactive is asked again through
    ``site_for_code``, which words the error.

    Related objects are shared: one instance per customer (with its salesperson), per product (with its
    site) and per category (with its ancestors), so nothing is read again when the complaints are built,
    prioritised, assigned and routed. Contacts created by valid drafts are added with
    :meth:`contact_add`, so later drafts find them as they would find a saved one; ``pending`` are the
    contacts added by an earlier batch whose transaction may not have committed yet (the import writes one
    batch while it validates the next), found after the saved ones as they will be.
    """

    def __init__(self, drafts: Sequence[ComplaintDraft], *, pending: Sequence[Contact] = ()) -> None:
        self._customers: dict[str, Customer] = {}
        self._customers_by_pk: dict[int, Customer] = {}
        self._products: dict[str, Product] = {}
        self._products_by_pk: dict[int, Product] = {}
        self._orders: dict[str, OrderRef] = {}
        self._sites = {s.code: s for s in Site.objects.all()}
        self._categories = self._categories_load()
        self._users: dict[str, User] = {}
        self._contacts_by_pk: dict[int, Contact] = {}
        self._contacts_by_name: dict[tuple[int, str], list[Contact]] = {}
        self.new_contacts: list[Contact] = []
        self._load(drafts)
        for c in pending:
            same = self._contacts_by_name.setdefault((c.customer_id, c.name), [])
            # Skipped when the read above found it already (its batch has committed since).
            if c.pk is None or all(other.pk != c.pk for other in same):
                same.append(c)

    @staticmethod
    def _categories_load() -> dict[str, Category]:
        everything = list(Category.objects.all())
        by_pk = {c.pk: c for c in everything}
        parent = Category._meta.get_field("parent")
        for c in everything:
            # Ancestors from the same rows, so lineage_ids() (rules, routing) makes no query.
            parent.set_cached_value(c, by_pk.get(c.parent_id) if c.parent_id is not None else None)
        return {c.code: c for c in everything if c.is_active}

    def _load(self, drafts: Sequence[ComplaintDraft]) -> None:
        customer_codes = {d.customer.strip() for d in drafts if (d.customer or "").strip()}
        product_codes = {d.product.strip() for d in drafts if (d.product or "").strip()}
        numbers = {_order_number(d) for d in drafts if _order_number(d)}
        usernames = {d.owner for d in drafts if d.owner}
        contact_ids = {d.contact.id for d in drafts if d.contact is not None and d.contact.id is not None}
        contact_names = {
            d.contact.name.strip() for d in drafts if d.contact is not None and d.contact.id is None
        }

        shipments: dict[str, Shipment] = {}
        orders: dict[str, SalesOrder] = {}
        for chunk in _chunks(numbers):
            shipments.update(
                (s.number, s)
                for s in Shipment.objects.select_related("order__contact").filter(number__in=chunk)
            )
            orders.update(
                (o.number, o) for o in SalesOrder.objects.select_related("contact").filter(number__in=chunk)
            )
        latest: dict[int, Shipment] = {}
        for order_ids in _chunks({o.pk for o in orders.values()}):
            for s in Shipment.objects.filter(order_id__in=order_ids).order_by(
                "order_id", "-ship_date", "-id"
            ):
                latest.setdefault(s.order_id, s)
        # One instance per order, whether a draft named it or one of its shipments.
        all_orders = {o.pk: o for o in orders.values()}
        for s in shipments.values():
            s.order = all_orders.setdefault(s.order_id, s.order)
        lines: dict[int, list[SalesOrderLine]] = {}
        for order_ids in _chunks(all_orders):
            for ln in SalesOrderLine.objects.filter(order_id__in=order_ids).order_by("order_id", "line_no"):
                lines.setdefault(ln.order_id, []).append(ln)

        customer_ids = {o.customer_id for o in all_orders.values()}
        for chunk in _chunks(customer_codes):
            self._customers_add(Customer.objects.select_related("sales_owner").filter(code__in=chunk))
        for ids in _chunks(customer_ids - set(self._customers_by_pk)):
            self._customers_add(Customer.objects.select_related("sales_owner").filter(pk__in=ids))
        product_ids = {ln.product_id for order_lines in lines.values() for ln in order_lines}
        for chunk in _chunks(product_codes):
            self._products_add(Product.objects.select_related("site").filter(code__in=chunk))
        for ids in _chunks(product_ids - set(self._products_by_pk)):
            self._products_add(Product.objects.select_related("site").filter(pk__in=ids))

        for order in all_orders.values():
            order.customer = self._customers_by_pk[order.customer_id]
            for ln in lines.get(order.pk, []):
                ln.order = order
                ln.product = self._products_by_pk[ln.product_id]
        for number in numbers:
            shipment = shipments.get(number)
            if shipment is not None:  # a shipment's number wins over an order's, as in IntakeLookups
                order = shipment.order
            elif number in orders:
                order = orders[number]
                shipment = latest.get(order.pk)
            else:
                continue
            self._orders[number] = OrderRef(order=order, shipment=shipment, lines=lines.get(order.pk, []))

        for chunk in _chunks(usernames):
            self._users.update(
                (u.username, u)
                for u in User.objects.select_related("department").filter(username__in=chunk, is_active=True)
            )
        for ids in _chunks(contact_ids):
            self._contacts_by_pk.update(Contact.objects.in_bulk(ids))
        # Only the batch's customers' contacts: a common name may belong to thousands of others.
        found: list[Contact] = []
        for names in _chunks(contact_names, IN_CHUNK // 2):
            for ids in _chunks(self._customers_by_pk, IN_CHUNK // 2):
                found += Contact.objects.filter(name__in=names, customer_id__in=ids)
        for c in sorted(found, key=lambda c: c.pk):
            self._contacts_by_name.setdefault((c.customer_id, c.name), []).append(c)

    def _customers_add(self, customers: Iterable[Customer]) -> None:
        for c in customers:
            self._customers[c.code] = self._customers_by_pk[c.pk] = c

    def _products_add(self, products: Iterable[Product]) -> None:
        for p in products:
            self._products[p.code] = self._products_by_pk[p.pk] = p

    def customer(self, code: str) -> Customer | None:
        return self._customers.get(code)

    def product(self, code: str) -> Product | None:
        return self._products.get(code)

    def site(self, code: str, errors: FieldErrors) -> Site | None:
        site = self._sites.get((code or "").strip())
        if site is not None and site.is_active:
            return site
        return site_for_code(code, errors=errors)  # none, unknown or inactive: it words the error

    def category(self, code: str) -> Category | None:
        return self._categories.get(code)

    def active_user(self, username: str) -> User | None:
        return self._users.get(username)

    def order_ref(self, number: str) -> OrderRef | None:
        return self._orders.get(number)

    def contact_of(self, contact_id: int, customer: Customer) -> Contact | None:
        found = self._contacts_by_pk.get(contact_id)
        return found if found is not None and found.customer_id == customer.pk else None

    def contact_like(self, customer: Customer, name: str, phone: str | None) -> Contact | None:
        # Saved contacts first, by id, then those added by this batch in the order they were added:
        # the order their ids will have.
        for c in self._contacts_by_name.get((customer.pk, name), []):
            if phone is None or c.phone == phone:
                return c
        return None

    def contact_add(self, customer: Customer, contact: ContactInput) -> Contact:
        """The contact ``complaint_intake`` would create for a valid draft, unsaved (see ``new_contacts``),
        and found from now on by :meth:`contact_like`."""
        new = Contact(
            customer=customer,
            name=contact.name.strip(),
            phone=contact.phone.strip(),
            email=contact.email.strip(),
        )
        self.new_contacts.append(new)
        self._contacts_by_name.setdefault((customer.pk, new.name), []).append(new)
        return new


@dataclass
class IntakeBatch:
    """Drafts validated by :func:`complaint_intake_prepare`, to be written by :meth:`write`."""

    outcomes: list[Complaint | ApplicationError | None]  # None where a valid draft's complaint will be
    positions: list[int]  # the valid drafts' indexes
    new_contacts: list[Contact]  # contacts the valid drafts create, unsaved
    built: ComplaintsBuilt

    def write(self, *, digest: ImportDigest | None = None) -> list[Complaint | ApplicationError]:
        """Save the new contacts and the complaints (their notifications counted into ``digest`` when
        given, see ``complaints_save``); return every draft's outcome. Must run inside
        ``transaction.atomic`` (all or nothing; locks as ``complaints_save``), once."""
        objects_insert(self.new_contacts)
        created = complaints_save(self.built, digest=digest)
        outcomes = list(self.outcomes)
        for i, complaint in zip(self.positions, created, strict=True):
            outcomes[i] = complaint
        return [o for o in outcomes if o is not None]


def complaint_intake_prepare(
    *,
    drafts: Sequence[ComplaintDraft],
    actor: User | None,
    tokenizer: Tokenizer | None = None,
    pending_contacts: Sequence[Contact] = (),
    digest_routed: bool = False,
) -> IntakeBatch:
    """Validate and build, writing nothing: see :func:`complaint_intake_many`. ``pending_contacts`` are
    the new contacts of a batch written meanwhile (see :class:`BatchLookups`). ``digest_routed``: the
    batch will be written with an import's digest by ``actor``; whom its complaints concern is routed
    now, so the write has less to do while it holds the number sequence."""
    if any(d.attachments for d in drafts):
        raise ValueError("complaint_intake_many takes no attachments; use complaint_intake")
    if actor is not None and not actor.has_perm("complaints.add_complaint"):
        refused: list[Complaint | ApplicationError | None] = [PermissionDenied() for _draft in drafts]
        return IntakeBatch(refused, [], [], complaints_build(items=[], actor=actor, tokenizer=tokenizer))
    lookups = BatchLookups(drafts, pending=pending_contacts)
    outcomes: list[Complaint | ApplicationError | None] = []
    positions: list[int] = []
    items: list[ComplaintData] = []
    for i, draft in enumerate(drafts):
        try:
            data, contact = draft_resolve(draft, actor=actor, lookups=lookups)
        except ApplicationError as exc:
            outcomes.append(exc)
            continue
        if isinstance(contact, ContactInput):
            contact = lookups.contact_add(data.customer, contact)
        data.contact = contact
        outcomes.append(None)
        positions.append(i)
        items.append(data)
    built = complaints_build(items=items, actor=actor, tokenizer=tokenizer)
    if digest_routed and built.complaints:
        built.routed = import_digest_route(built.complaints, actor=actor)
    return IntakeBatch(outcomes, positions, lookups.new_contacts, built)


def complaint_intake_many(
    *, drafts: Sequence[ComplaintDraft], actor: User | None, tokenizer: Tokenizer | None = None
) -> list[Complaint | ApplicationError]:
    """For each draft, in order, what ``complaint_intake(draft=draft, actor=actor)`` called on the drafts
    one after another would give: the created complaint, or the ValidationFailed / PermissionDenied it
    would raise (nothing is written for such a draft).

    The valid drafts' contacts and complaints are written in one transaction: all of them or, when the
    database refuses a row, none — the DatabaseError propagates and the caller may retry the drafts one
    by one to find the row at fault. Locks the number-sequence rows of the receipt years until commit.
    ``tokenizer`` keeps jieba's cuts across batches. Drafts with attachments are refused (ValueError):
    the import has none, and their files are written one by one.
    """
    batch = complaint_intake_prepare(drafts=drafts, actor=actor, tokenizer=tokenizer)
    with transaction.atomic():
        return batch.write()
