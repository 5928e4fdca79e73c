"""The client's address: the one answer used by the sign-in throttle, the rate limits and the records.

Behind a reverse proxy the socket peer (``REMOTE_ADDR``) is the proxy, and the client is named in
``X-Forwarded-For``. That header is written by whoever sends the request, so it is believed only when the
peer is one of ``GRIDGOV_TRUSTED_PROXIES`` (addresses or CIDR networks; none by default). Each trusted
proxy appends the address it received the request from, so the header is read from the right: the first
address that is not itself a trusted proxy is the client. Everything to its left was written by the
client and is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(value: str | None) -> Address | None:
    """An IP address, or ``None`` for anything else. IPv4-mapped IPv6 addresses become IPv4."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(names: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(name, strict=False) for name in names)


def trusted_proxies() -> tuple[Network, ...]:
    """The networks of ``TRUSTED_PROXIES`` (a list of addresses or networks, or one comma-separated string)."""
    names = settings.TRUSTED_PROXIES
    if isinstance(names, str):
        names = names.split(",")
    return _networks(tuple(n.strip() for n in names if n and n.strip()))


def _is_trusted(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(request) -> str | None:
    """The address of the client that sent ``request`` (``None`` without a request or a valid peer)."""
    if request is None:
        return None
    peer = parse_address(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    networks = trusted_proxies()
    if not networks or not _is_trusted(peer, networks):
        return str(peer)
    client = peer
    # Several X-Forwarded-For header lines arrive joined by commas, in order.
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        if not hop.strip():
            continue
        address = parse_address(hop)
        if address is None:
            break  # not written by a proxy we trust: the last good hop is as far as we can see
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


def address_group(address: str | None) -> str:
    """The key a per-address limit counts under: the address itself for IPv4, its /64 network for IPv6
    (one subscriber line usually holds a whole /64), ``unknown`` without an address."""
    parsed = parse_address(address)
    if parsed is None:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
