"""Shopify Admin GraphQL: the order system, refunds and replacement orders of a Shopify shop.

``ShopifyAdapter`` implements ``OrderSystem`` (without ``record_claim``), ``Payments`` and
``Fulfilment.create_replacement`` over one ``POST /admin/api/{version}/graphql.json``
endpoint. One concern a module:

- ``settings``: ``ShopifySettings`` (``DESK_SHOPIFY_*``), the defaults, and the API versions
  from which the adapter sends a different shape;
- ``client``: ``ShopifyGraphQL``, the shop's GraphQL endpoint over the shared vendor client,
  with ``CostBudget`` (Shopify's calculated-cost rate limit) and the typed errors;
- ``documents``: the GraphQL queries and mutations the adapter sends;
- ``shapes``: helpers without state, for keys and ids (``refund_key``, gids, search values,
  times) and for reading and writing Shopify's shapes;
- ``adapter``: ``ShopifyAdapter``, how each port method maps onto Shopify and how it stays
  exactly-once.
"""

from desk.adapters.shopify.adapter import ShopifyAdapter
from desk.adapters.shopify.client import CostBudget, GraphQLError, ShopifyGraphQL
from desk.adapters.shopify.settings import (
    DEFAULT_API_VERSION,
    DEFAULT_CARRIERS,
    DEFAULT_TIER_TAGS,
    IDEMPOTENT_DIRECTIVE_SINCE,
    REFUND_METHOD_SINCE,
    ShopifySettings,
)
from desk.adapters.shopify.shapes import REPLACEMENT_TAG, refund_key

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_CARRIERS",
    "DEFAULT_TIER_TAGS",
    "IDEMPOTENT_DIRECTIVE_SINCE",
    "REFUND_METHOD_SINCE",
    "REPLACEMENT_TAG",
    "CostBudget",
    "GraphQLError",
    "ShopifyAdapter",
    "ShopifyGraphQL",
    "ShopifySettings",
    "refund_key",
]
