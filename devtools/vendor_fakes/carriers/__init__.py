"""Fake USPS, UPS, FedEx, EasyPost and AfterShip APIs over a sandbox shop.

``router(shop, clock)`` serves each vendor's documented endpoints under a prefix, answering
in that vendor's response shape (``/work/shared/vendors/``) from the sandbox's own
``trace(tracking, clock())``, so the real adapters, pointed at ``http://127.0.0.1:<port>/
<vendor>``, see the scenario's scans as the workflow's clock reaches them. One fake a
module, each listing its endpoints:

| module | prefix |
| --- | --- |
| ``usps`` | ``/usps`` |
| ``ups`` | ``/ups`` |
| ``fedex`` | ``/fedex`` |
| ``easypost`` | ``/easypost/v2`` |
| ``aftership`` | ``/aftership/tracking/2025-01`` |

- ``common``: what they share: ``CarrierFakeState`` (issued tokens, registered trackers),
  ``Parcel`` and ``lookup`` (the sandbox's record of a tracking number), ``CARRIES`` (what
  each vendor's shape can say besides its words), the words and times, the request bodies;
- ``routes``: ``router``, every fake under its vendor's prefix over one state.
"""

from devtools.vendor_fakes.carriers.aftership import (
    AFTERSHIP_SLUGS,
    AFTERSHIP_VERSION,
    aftership_tracking,
)
from devtools.vendor_fakes.carriers.common import (
    CARRIES,
    CarrierFakeState,
    Parcel,
    lookup,
    signer_of,
    words_for,
)
from devtools.vendor_fakes.carriers.easypost import EASYPOST_NAMES, easypost_claim, easypost_tracker
from devtools.vendor_fakes.carriers.fedex import fedex_result
from devtools.vendor_fakes.carriers.routes import router
from devtools.vendor_fakes.carriers.ups import ups_payload
from devtools.vendor_fakes.carriers.usps import usps_not_yet_available, usps_payload

__all__ = [
    "AFTERSHIP_SLUGS",
    "AFTERSHIP_VERSION",
    "CARRIES",
    "EASYPOST_NAMES",
    "CarrierFakeState",
    "Parcel",
    "aftership_tracking",
    "easypost_claim",
    "easypost_tracker",
    "fedex_result",
    "lookup",
    "router",
    "signer_of",
    "ups_payload",
    "usps_not_yet_available",
    "usps_payload",
    "words_for",
]
