"""Talking to other systems over HTTP: where a message may go, how it is signed, and how it is sent.

- :func:`check_destination` refuses addresses a request should never reach from the server — loopback,
  private, link-local, carrier-grade NAT, multicast, reserved — unless ``GRIDGOV_OUTBOUND_ALLOW`` names them
  (networks, e.g. ``127.0.0.1/32`` in the tests, or an intranet's gateway). Names are resolved once and the
  connection goes to the address that was checked, so a name that resolves differently a moment later
  (DNS rebinding) cannot lead the request elsewhere.
- Signing follows the Standard Webhooks conventions (https://www.standardwebhooks.com): headers
  ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` — ``v1,`` + base64 HMAC-SHA256 over
  ``id.timestamp.body`` with the secret (``whsec_`` + base64 of the key). Several secrets sign at once
  (space-separated signatures) while a secret is being rotated; :func:`verify` is what a receiver does.
- :func:`post` sends one body and returns what happened (status, the answer's first characters, the time
  it took); connections are kept open per thread and destination.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

SECRET_PREFIX = "whsec_"
EXCERPT = 500
TOLERANCE_SECONDS = 5 * 60


class Refused(ValueError):
    """The destination may not be used (its scheme, its name, or the address it resolves to)."""


class Unresolved(Refused):
    """The name did not resolve now: refused at a subscription's save, but a failed try like any other at
    send time (DNS may be back a moment later), not a final answer."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the resolved address the connection goes to


@dataclass
class Answer:
    ok: bool
    status: int | None = None
    response: str = ""
    error: str = ""
    duration_ms: int = 0
    retry_after: float | None = None
    # the destination may never be used (a private address …): trying again is pointless
    refused: bool = False


# ---------------------------------------------------------------- where a message may go


@lru_cache(maxsize=8)
def _allowed(names: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(n, strict=False) for n in names)


def allowed_networks() -> tuple:
    names = settings.OUTBOUND_ALLOW
    if isinstance(names, str):
        names = names.split(",")
    return _allowed(tuple(n.strip() for n in names if n and n.strip()))


def _forbidden(address) -> bool:
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (address.version == 4 and address in ipaddress.ip_network("100.64.0.0/10"))
    )


def check_destination(url: str, *, resolve: bool = True) -> Destination:
    """The destination of ``url`` if a message may be sent there; :class:`Refused` (with a reason a person
    can read) otherwise."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https"):
        raise Refused(_("地址必须以 http:// 或 https:// 开头"))
    host = parts.hostname or ""
    if not host:
        raise Refused(_("地址缺少主机名"))
    if parts.username or parts.password:
        raise Refused(_("地址不能包含用户名或密码"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(_("端口无效")) from exc
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if not resolve:
        return Destination(parts.scheme, host, port, path, "")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolved(_("无法解析主机名 %(host)s") % {"host": host}) from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    allowed = allowed_networks()
    for address in addresses:
        if _forbidden(address) and not any(
            address.version == net.version and address in net for net in allowed
        ):
            raise Refused(_("不允许向内网、本机或保留地址（%(address)s）发送") % {"address": str(address)})
    return Destination(parts.scheme, host, port, path, str(addresses[0]))


# ---------------------------------------------------------------- signing (Standard Webhooks)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets_: list[str], msg_id: str, body: bytes, timestamp: int | None = None) -> dict:
    """The three headers of a signed message; one signature per secret (two while rotating)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_ if s),
    }


def verify(secret: str, headers: dict, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does: the timestamp is recent and one of the signatures is the secret's."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id = lower["webhook-id"]
        timestamp = int(lower["webhook-timestamp"])
        given = lower["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1]
    return any(hmac.compare_digest(sig.split(",", 1)[1], expected) for sig in given if sig.startswith("v1,"))


# ---------------------------------------------------------------- sending

_local = threading.local()


def _connection(dest: Destination, timeout: float) -> http.client.HTTPConnection:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    key = (dest.scheme, dest.host, dest.port, dest.address)
    conn = pool.get(key)
    if conn is None:
        if dest.scheme == "https":
            conn = _PinnedHTTPS(dest.address, dest.host, dest.port, timeout=timeout)
        else:
            conn = http.client.HTTPConnection(dest.address or dest.host, dest.port, timeout=timeout)
        pool[key] = conn
    conn.timeout = timeout
    return conn


def _drop(dest: Destination) -> None:
    pool = getattr(_local, "pool", {})
    conn = pool.pop((dest.scheme, dest.host, dest.port, dest.address), None)
    if conn is not None:
        conn.close()


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate checked against the name."""

    def __init__(self, address: str, host: str, port: int, timeout: float):
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_name = host

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def post(url_or_dest: str | Destination, body: bytes, headers: dict, *, timeout: float = 10.0) -> Answer:
    """POST ``body``; 2xx is success. Never raises for the other side's faults: they are the answer."""
    started = time.monotonic()
    try:
        dest = url_or_dest if isinstance(url_or_dest, Destination) else check_destination(url_or_dest)
    except Refused as exc:
        return Answer(ok=False, error=str(exc)[:300], refused=not isinstance(exc, Unresolved))
    all_headers = {
        "Host": dest.host if dest.port in (80, 443) else f"{dest.host}:{dest.port}",
        "Content-Type": "application/json",
        "User-Agent": "gridgov-webhooks/1",
        **headers,
    }
    for attempt in (1, 2):  # a kept connection the other side closed is opened once more
        conn = _connection(dest, timeout)
        try:
            conn.request("POST", dest.path, body=body, headers=all_headers)
            response = conn.getresponse()
            text = response.read(64 * 1024).decode("utf-8", "replace")
            if response.will_close:
                _drop(dest)
            status = response.status
            return Answer(
                ok=200 <= status < 300,
                status=status,
                response=text[:EXCERPT],
                duration_ms=int((time.monotonic() - started) * 1000),
                retry_after=_retry_after(response.getheader("retry-after")),
            )
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            _drop(dest)
            if attempt == 2:
                return Answer(ok=False, error=f"{type(exc).__name__}: {exc}"[:300], duration_ms=_ms(started))
        except (OSError, http.client.HTTPException) as exc:
            _drop(dest)
            return Answer(ok=False, error=f"{type(exc).__name__}: {exc}"[:300], duration_ms=_ms(started))
    raise AssertionError("unreachable")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
