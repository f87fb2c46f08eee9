"""The GraphQL documents the adapter sends, each operation named ``Desk<Operation>``.

``REFUND_CREATE`` and ``ORDER_CANCEL`` are %-templates: the adapter fills in what the
shop's API version takes (``@idempotent(key:)``; ``refundMethod`` or ``refund``).
"""

# ---------------------------------------------------------------- GraphQL documents

_CUSTOMER_FIELDS = """
fragment DeskCustomer on Customer {
  id
  displayName
  tags
  defaultEmailAddress { emailAddress }
  defaultPhoneNumber { phoneNumber }
}
"""

FIND_CUSTOMERS = (
    """
query DeskFindCustomers($q: String!) {
  customers(first: 10, query: $q) { nodes { ...DeskCustomer } }
}
"""
    + _CUSTOMER_FIELDS
)

CUSTOMER_BY_ID = (
    """
query DeskCustomer($id: ID!) {
  customer(id: $id) { ...DeskCustomer }
}
"""
    + _CUSTOMER_FIELDS
)

_ORDER_FIELDS = """
fragment DeskOrder on Order {
  id
  name
  createdAt
  cancelledAt
  tags
  displayFulfillmentStatus
  currencyCode
  customer { id }
  totalShippingPriceSet { shopMoney { amount currencyCode } }
  shippingLine { title code }
  shippingAddress {
    firstName lastName company address1 address2 city province provinceCode
    zip country countryCodeV2 phone latitude longitude
  }
  lineItems(first: 50) {
    nodes {
      id sku title quantity currentQuantity refundableQuantity
      variant { id }
      originalUnitPriceSet { shopMoney { amount currencyCode } }
    }
  }
  fulfillments(first: 10) {
    id status displayStatus createdAt estimatedDeliveryAt
    trackingInfo(first: 5) { company number url }
    fulfillmentLineItems(first: 25) { nodes { quantity lineItem { id sku } } }
  }
  metafield(namespace: "desk", key: $mf) { value }
}
"""

ORDER_BY_NAME = (
    """
query DeskOrderByName($q: String!, $reships: String!, $mf: String!) {
  orders(first: 5, query: $q) { nodes { ...DeskOrder } }
  reships: orders(first: 50, query: $reships) { nodes { id } }
}
"""
    + _ORDER_FIELDS
)

CUSTOMER_ORDERS = """
query DeskCustomerOrders($q: String!) {
  orders(first: 25, sortKey: CREATED_AT, reverse: true, query: $q) {
    nodes { name createdAt tags }
  }
}
"""

ORDER_PAYMENTS = """
query DeskOrderPayments($q: String!) {
  orders(first: 5, query: $q) {
    nodes {
      id
      name
      currencyCode
      lineItems(first: 50) { nodes { id sku refundableQuantity } }
      transactions(first: 20) {
        id kind status gateway
        amountSet { shopMoney { amount currencyCode } }
        parentTransaction { id }
      }
      refunds(first: 30) {
        id note
        totalRefundedSet { shopMoney { amount currencyCode } }
      }
    }
  }
}
"""

STOCK = """
query DeskStock($q: String!) {
  productVariants(first: 25, query: $q) {
    nodes {
      sku
      inventoryItem {
        inventoryLevels(first: 10) {
          nodes { quantities(names: ["available"]) { name quantity } }
        }
      }
    }
  }
}
"""

REFUND_CREATE = """
mutation DeskRefundCreate($input: RefundInput!) {
  refundCreate(input: $input)%s {
    refund {
      id
      note
      totalRefundedSet { shopMoney { amount currencyCode } }
      transactions(first: 10) {
        nodes { status kind amountSet { shopMoney { amount currencyCode } } }
      }
    }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation DeskOrderCancel($orderId: ID!, $notifyCustomer: Boolean, %s, $restock: Boolean!,
    $reason: OrderCancelReason!, $staffNote: String) {
  orderCancel(orderId: $orderId, notifyCustomer: $notifyCustomer, %s, restock: $restock,
      reason: $reason, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_BEGIN = """
mutation DeskOrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder { id lineItems(first: 50) { nodes { id sku quantity } } }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_SET_QUANTITY = """
mutation DeskOrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!,
    $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity,
      restock: $restock) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_COMMIT = """
mutation DeskOrderEditCommit($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order { id }
    userErrors { field message }
  }
}
"""

ORDER_UPDATE = """
mutation DeskOrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}
"""

METAFIELDS_SET = """
mutation DeskMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key value }
    userErrors { field message code }
  }
}
"""

DRAFT_ORDER_CREATE = """
mutation DeskDraftOrderCreate($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { id status }
    userErrors { field message }
  }
}
"""

DRAFT_ORDER = """
query DeskDraftOrder($id: ID!) {
  draftOrder(id: $id) { id status order { name } }
}
"""

DRAFT_ORDER_COMPLETE = """
mutation DeskDraftOrderComplete($id: ID!) {
  draftOrderComplete(id: $id) {
    draftOrder { id status order { name } }
    userErrors { field message }
  }
}
"""

DRAFT_ORDER_DELETE = """
mutation DeskDraftOrderDelete($input: DraftOrderDeleteInput!) {
  draftOrderDelete(input: $input) {
    deletedId
    userErrors { field message }
  }
}
"""
