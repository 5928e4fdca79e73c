"""The field app (issue 13): the staff pages for visits and reports as an installable Progressive Web App.

- ``/manifest.webmanifest``: the Web App Manifest, names translated and URLs reversed.
- ``/sw.js``: the service worker, served from the site root so its scope is the whole site. It is the
  static file ``gridgov/sw.js`` with one first line naming the app shell (static URLs) and a version.
- ``/icons/<size>.png``: PNG icons drawn here (pure zlib + struct; no image library), next to the SVG one.
- ``/offline/state.json``: who is signed in (an opaque tag, never a name or number), a fresh CSRF token
  for replaying queued forms, and the pages the service worker keeps for reading offline.
- ``/offline/messages.json``: the texts offline.js shows, in the request's language.
- ``/offline/queue/``: 待发送, the list of forms waiting on this device (drawn by offline.js from IndexedDB).

See docs/field-app.md.
"""

import hashlib
import json
import struct
import zlib
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.core.roles import Role
from gridgov.core.scope import is_staff
from gridgov.ledger.selectors import households_visible_to

SW_SOURCE = "gridgov/sw.js"
ICON_SIZES = (192, 512)
# Households of the worker's grid kept for reading offline: a grid worker's grid holds a few hundred.
OFFLINE_HOUSEHOLDS_MAX = 400
# What the service worker keeps as the app shell: our CSS and JS and the vendor libraries pages load.
SHELL_STATIC = (
    "gridgov/app.css",
    "gridgov/favicon.svg",
    "gridgov/forms.js",
    "gridgov/nav.js",
    "gridgov/offline.js",
    "cases/forms.js",
    "visits/visits.css",
    "vendor/htmx/htmx.min.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
)


def _shell_urls() -> list[str]:
    urls = [static(path) for path in SHELL_STATIC]
    urls += [reverse("web:fieldapp_icon", args=[size]) for size in ICON_SIZES]
    urls += [reverse("web:manifest"), reverse("web:offline_messages")]
    return urls


def _sw_source() -> bytes:
    found = finders.find(SW_SOURCE)
    if found:
        with open(found, "rb") as handle:
            return handle.read()
    with staticfiles_storage.open(SW_SOURCE) as handle:  # collected, finders off
        return handle.read()


@require_GET
def service_worker(request):
    """The service worker script, at the root so it may control every page (``Service-Worker-Allowed``)."""
    source = _sw_source()
    shell = _shell_urls()
    version = hashlib.sha256(source + json.dumps(shell).encode()).hexdigest()[:12]
    config = json.dumps({"version": version, "shell": shell, "state": reverse("web:offline_state")})
    body = f"self.GRIDGOV_OFFLINE = {config};\n".encode() + source
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    """The Web App Manifest: installable, starting at the visit worklist."""
    icons = [{"src": static("gridgov/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}]
    icons += [
        {"src": reverse("web:fieldapp_icon", args=[size]), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in ICON_SIZES
    ]
    data = {
        "name": _("网格化基层治理平台"),
        "short_name": _("网格治理"),
        "description": _("网格员走访、上报与待办，无信号时也能记录。"),
        "lang": getattr(request, "LANGUAGE_CODE", "zh-hans"),
        "id": "/",
        "start_url": reverse("visits:worklist"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b91c1c",
        "icons": icons,
        "shortcuts": [
            {"name": _("走访任务"), "url": reverse("visits:worklist")},
            {"name": _("上报问题"), "url": reverse("cases:report")},
            {"name": _("待发送"), "url": reverse("web:offline_queue")},
        ],
    }
    response = JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-cache"
    return response


# ---------------------------------------------------------------- icons


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


@lru_cache(maxsize=len(ICON_SIZES))
def icon_png(size: int) -> bytes:
    """A red square with a white 3×3 grid (网格), maskable: the grid stays inside the safe zone."""
    red, white = bytes((0xB9, 0x1C, 0x1C)), bytes((0xFF, 0xFF, 0xFF))
    inner0, inner1 = size * 3 // 10, size * 7 // 10  # the drawing keeps to the middle 40 %
    line = max(2, size // 48)
    lines = [inner0 + (inner1 - inner0) * i // 3 for i in range(4)]

    def on_line(v: int) -> bool:
        return any(p - line // 2 <= v < p - line // 2 + line for p in lines)

    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            inside = inner0 - line <= x < inner1 + line and inner0 - line <= y < inner1 + line
            row += white if inside and (on_line(x) or on_line(y)) else red
        rows.append(bytes(row))
    return _png(size, size, rows)


@require_GET
def icon(request, size: int):
    if size not in ICON_SIZES:
        raise Http404
    response = HttpResponse(icon_png(size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# ---------------------------------------------------------------- offline state


def user_tag(user) -> str:
    """Who is signed in, as the device may keep it: an HMAC of the account's id, never a name or number."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return salted_hmac("gridgov.fieldapp.user", str(user.pk)).hexdigest()[:20]


def offline_pages(user) -> list[str]:
    """The pages kept for reading offline: the worklists for staff, and for a grid worker the household
    pages of their grid. Only URLs with ids, nothing personal."""
    if not is_staff(user):
        return []
    pages = [
        reverse("visits:worklist"),
        reverse("cases:worklist"),
        reverse("cases:report"),
        reverse("web:offline_queue"),
    ]
    if user.role == Role.GRID_WORKER:
        ids = households_visible_to(user).order_by("pk").values_list("pk", flat=True)[:OFFLINE_HOUSEHOLDS_MAX]
        for pk in ids:
            pages.append(reverse("ledger:household", args=[pk]))
            pages.append(f"{reverse('visits:record')}?household={pk}")
    return pages


@require_GET
def state(request):
    """Asked by offline.js (page load, before a replay) and the service worker: never cached."""
    user = request.user
    data = {
        "user": user_tag(user),
        "csrf": get_token(request),
        "pages": offline_pages(user),
        "login": reverse("web:login"),
    }
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def messages(request):
    """What offline.js says, translated (it has no template of its own)."""
    data = {
        "banner": _("离线 · 显示的是 %(time)s 的内容"),
        "queued": _("已保存在本机，恢复网络后自动发送"),
        "badge": _("待发送 %(n)s 条"),
        "sending": _("正在发送…"),
        "waiting": _("等待网络"),
        "failed": _("未能保存，请修改后重新发送或删除"),
        "login": _("登录已过期，请重新登录后发送"),
        "other_user": _("这是另一个账号保存的内容，请用该账号登录后发送"),
        "send_now": _("立即发送"),
        "discard": _("删除"),
        "discard_confirm": _("确定删除这条未发送的记录吗？删除后无法恢复。"),
        "empty": _("本机没有待发送的记录。"),
        "photo": _("含照片 %(n)s 张"),
        "kind_visit": _("走访记录"),
        "kind_report": _("上报问题"),
        "saved_at": _("保存于 %(time)s"),
        "unsupported": _("此浏览器不支持离线保存，请在有信号时提交。"),
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def queue(request):
    """待发送: the forms waiting on this device (a worker's visits and reports, a signed-in resident's reports).
    The server knows nothing of them; offline.js fills the list."""
    return render(request, "web/offline_queue.html")
