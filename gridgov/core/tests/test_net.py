"""The client's address: X-Forwarded-For is believed only from the trusted proxies, read from the right."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from gridgov.core.net import address_group, client_address

rf = RequestFactory()


def request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_without_trusted_proxies_the_socket_peer_is_the_client():
    assert client_address(request("198.51.100.7", "192.0.2.1")) == "198.51.100.7"


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_address(request("198.51.100.7", "192.0.2.1")) == "198.51.100.7"


def test_a_trusted_proxy_names_the_client_on_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    # the client may write anything to the left; the proxy appends the address it saw
    assert client_address(request("10.0.0.1", "1.1.1.1, 203.0.113.9")) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop(settings):
    settings.TRUSTED_PROXIES = "10.0.0.0/8, 172.16.0.5"
    forwarded = "192.0.2.1, 203.0.113.9, 172.16.0.5, 10.1.2.3"
    assert client_address(request("10.0.0.2", forwarded)) == "203.0.113.9"


def test_several_header_lines_count_as_one_list(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # Django joins repeated header lines with commas, in order
    assert client_address(request("10.0.0.2", "192.0.2.1,203.0.113.9")) == "203.0.113.9"


def test_garbage_in_the_header_stops_the_walk_at_the_last_good_hop(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request("10.0.0.2", "203.0.113.9, not-an-address")) == "10.0.0.2"
    assert client_address(request("10.0.0.2", "10.0.0.3, not-an-address, 10.0.0.4")) == "10.0.0.4"
    assert client_address(request("10.0.0.2", "203.0.113.9, 10.0.0.3, ")) == "203.0.113.9"


def test_a_trusted_peer_without_the_header_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request("10.0.0.2")) == "10.0.0.2"


def test_ipv6_peers_and_mapped_ipv4(settings):
    settings.TRUSTED_PROXIES = ["::1", "fd00::/8"]
    assert client_address(request("::1", "2001:db8::5")) == "2001:db8::5"
    assert client_address(request("fd00::1", "::ffff:192.0.2.1")) == "192.0.2.1"
    assert client_address(request("2001:DB8::0:1")) == "2001:db8::1"


def test_no_request_or_no_valid_peer_has_no_address():
    assert client_address(None) is None
    assert client_address(request("")) is None


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        (None, "unknown"),
    ],
)
def test_ipv6_addresses_are_limited_per_64(address, group):
    assert address_group(address) == group
