"""The configuration every new complaint reads — assignment rules and priority weights — kept per process
(``closeloop.core.config_cache``) and checked against the database at each use, so that
``complaint_create`` does not read the tables again for every complaint and still never applies a
configuration older than the last committed change.

Reads only. The tokens are changed by the receivers :func:`config_receivers_connect` connects (saves and
deletes, cascades included) and by the models' :class:`~closeloop.core.config_cache.VersionedQuerySet`
(bulk writes).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from closeloop.complaints.models import AssignmentRule, Category, PriorityWeights
from closeloop.core.config_cache import ConfigCache, config_changed_receiver
from closeloop.customers.models import Customer, Product


def assignment_rules_active() -> list[AssignmentRule]:
    """The active assignment rules in the order they are tried, with their department and owner."""
    return list(
        AssignmentRule.objects.filter(is_active=True)
        .select_related("department", "owner")
        .order_by("order", "id")
    )


def assignment_rule_pick(
    rules: Sequence[AssignmentRule], *, category: Category | None, product: Product | None, customer: Customer
) -> AssignmentRule | None:
    """What :func:`assignment_rule_match` answers, from :func:`assignment_rules_active` (or the cached
    rules): the first rule whose every non-empty condition holds (a category condition covers its
    subcategories). No query once the category's ancestors are loaded."""
    categories = set(category.lineage_ids()) if category is not None else set()
    family = product.family if product else ""
    for rule in rules:
        if rule.category_id is not None and rule.category_id not in categories:
            continue
        if rule.product_family and rule.product_family != family:
            continue
        if rule.customer_id is not None and rule.customer_id != customer.pk:
            continue
        return rule
    return None


def _rules_load() -> tuple[AssignmentRule, ...]:
    # Conditions only: the department and owner of the rule that applies are read fresh (a user's
    # name or active flag is not configuration and changes no token).
    return tuple(AssignmentRule.objects.filter(is_active=True).order_by("order", "id"))


_RULES: ConfigCache[tuple[AssignmentRule, ...]] = ConfigCache(AssignmentRule.config_scope, _rules_load)
_WEIGHTS: ConfigCache[PriorityWeights] = ConfigCache(PriorityWeights.config_scope, PriorityWeights.current)


def _match_query(
    *, category: Category | None, product: Product | None, customer: Customer
) -> AssignmentRule | None:
    cats = category.lineage_ids() if category is not None else []
    family = product.family if product else ""
    rules = (
        AssignmentRule.objects.filter(is_active=True)
        .filter(
            Q(category__isnull=True) | Q(category_id__in=cats),
            Q(product_family="") | Q(product_family=family),
            Q(customer__isnull=True) | Q(customer=customer),
        )
        .select_related("department", "owner")
    )
    return rules.order_by("order", "id").first()


def assignment_rule_match(
    *, category: Category | None, product: Product | None, customer: Customer
) -> AssignmentRule | None:
    """The first active rule (by ``order``) whose every non-empty condition matches, with its department
    and owner; a new instance the caller may keep.

    Chosen from the cached rules (no query when none applies), then read again by id: one query when one
    applies. Should that rule have changed or gone since the token was read, the rules are searched in
    the database as they are now."""
    cached = assignment_rule_pick(_RULES.get(), category=category, product=product, customer=customer)
    if cached is None:
        return None
    rule = (
        AssignmentRule.objects.select_related("department", "owner")
        .filter(pk=cached.pk, is_active=True)
        .first()
    )
    if rule is not None and (rule.order, rule.category_id, rule.product_family, rule.customer_id) == (
        cached.order,
        cached.category_id,
        cached.product_family,
        cached.customer_id,
    ):
        return rule
    return _match_query(category=category, product=product, customer=customer)


def priority_weights_current() -> PriorityWeights:
    """The priority weights in force (``PriorityWeights.current()``, cached). Shared: read it, never
    change it (the admin edits its own instance)."""
    return _WEIGHTS.get()


def config_receivers_connect() -> None:
    """Change the tokens on every save and delete of the cached models (called once, by the app)."""
    for model in (AssignmentRule, PriorityWeights):
        receiver = config_changed_receiver(model.config_scope)
        uid = f"closeloop_config_{model.config_scope}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}_save")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}_delete")
