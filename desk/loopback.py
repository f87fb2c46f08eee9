"""Whether a host names this machine only.

The desk's listeners (ingest, console, codec server) and its vendor URLs are held to
stricter rules beyond loopback (authentication, secure cookies, TLS); this is the one test
of "loopback" they all use.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1`` (bracketed or not, any case); anything
    else, a name included, is not: a name may resolve beyond this machine."""
    text = host.strip().strip("[]").lower()
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False
