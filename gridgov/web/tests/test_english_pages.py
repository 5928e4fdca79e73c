"""Every page every role of the demo district reaches, read in English, holds no Chinese but the people's
own data (names of places, people, units, categories; what residents wrote).

The walk signs in as each demo account, starts at the home page and follows the links of every page it
reads (same site, pages only, a few of each shape of address). A run of Han characters on a page is user
data when it occurs in some text value stored in the database; anything else is text of the product that
was not translated, and the test names the page and the text."""

from __future__ import annotations

import html
import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import Client

from gridgov.accounts.demo import DEMO_USERS
from gridgov.accounts.models import User

from .test_i18n import _compiled_catalogue  # noqa: F401 (the compiled English catalogue)

pytestmark = pytest.mark.django_db

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
HREF = re.compile(r"""<a\b[^>]*\bhref=["']([^"'#]+)""")
SKIP = ("/logout", "/admin", "/static", "/files", "/media", "/api", "/i18n", "/set-language", "/language")
# The language switcher names each language in itself, so a reader of Chinese finds their way back.
AUTONYMS = {"简体中文", "中文"}
PER_SHAPE = 2  # pages read per shape of address (digits and references folded)
PER_ROLE = 80


def _data_models():
    """Models holding people's data (not the framework's permission names, which echo model names)."""
    return [m for m in apps.get_models() if m._meta.app_label not in ("auth", "contenttypes", "sessions")]


def _stored_text() -> str:
    """Every text value in the database (char and text fields of every model), one per line."""
    values = []
    for model in _data_models():
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices
        ]
        for name in names:
            values.extend(v for v in model.objects.values_list(name, flat=True).distinct() if v)
    for model in _data_models():  # the strings inside JSON fields (a category attribute's values)
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
        for name in names:
            for value in model.objects.values_list(name, flat=True):
                values.extend(_json_strings(value))
    for model in _data_models():  # what encrypted fields decrypt to (names, addresses)
        names = [f.name for f in model._meta.concrete_fields if type(f).__name__.startswith("Encrypted")]
        for row in model.objects.all().iterator() if names else ():
            values.extend(str(getattr(row, n) or "") for n in names)
    return "\n".join(str(v) for v in values)


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _json_strings(item)]
    return []


def _shape(path: str) -> str:
    return re.sub(r"[0-9A-Za-z]*\d[0-9A-Za-z-]*", "N", path)


def _walk(client: Client) -> dict[str, str]:
    """Path → page text of every page reached from the home page."""
    seen: dict[str, str] = {}
    shapes: Counter = Counter()
    queue = ["/"]
    while queue and len(seen) < PER_ROLE:
        url = queue.pop(0)
        parts = urlsplit(url)
        if url in seen or parts.netloc or parts.path.startswith(SKIP):
            continue
        shape = _shape(parts.path) + ("?" if parts.query else "")
        if shapes[shape] >= PER_SHAPE:
            continue
        shapes[shape] += 1
        response = client.get(url, follow=url == "/")  # staff land on the command centre
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        page = html.unescape(response.content.decode())
        seen[url] = page
        for href in HREF.findall(page):
            queue.append(urljoin(url, href.strip()))
    return seen


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)
        yield _stored_text()
        call_command("flush", interactive=False, verbosity=0)


def test_every_page_of_every_role_is_english_but_the_peoples_data(demo):
    """One test for all roles, so one worker loads the demo once (parametrized, each worker of the suite
    loaded its own copy)."""
    problems = []
    for username in [u[0] for u in DEMO_USERS]:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        client.force_login(User.objects.get(username=username))
        pages = _walk(client)
        if len(pages) <= 1:
            problems.append(f"{username} reached no page behind the home page")
            continue
        chinese = sorted(
            {
                f"{url}: {run}"
                for url, page in pages.items()
                for run in HAN_RUN.findall(page)
                if run not in demo and run not in AUTONYMS
            }
        )
        if chinese:
            problems.append(
                f"{username} read untranslated text on {len(pages)} pages:\n" + "\n".join(chinese)
            )
    assert problems == [], "\n\n".join(problems)
