"""English ships as a translation of the Chinese UI: the catalogue is complete, compiled and used.

The message ids are the Simplified Chinese text itself (the default language), so anything that is
not marked for translation, or marked but missing from ``locale/en/LC_MESSAGES/django.po``, shows up
as Chinese on an English page. After adding or changing marked strings run

    .venv/bin/gridgov makemessages -l en --ignore=.venv --ignore=node_modules --ignore=var --ignore=bench --no-obsolete

and translate the new entries; ``gridgov compile_translations`` builds the (git-ignored) .mo.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from django.utils.translation.template import templatize

from gridgov.accounts.models import Role
from gridgov.areas.models import Area, GridKind, Level
from gridgov.web.tests.test_pages import PASSWORD, make_staff, make_tree

pytestmark = pytest.mark.django_db

PACKAGE_DIR = Path(__file__).resolve().parents[2]
PO_PATH = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdif]|\{\w*\}")
# Chinese strings of the sign-in page and of the pages behind it that must not survive in English.
LOGIN_ZH = ["网格化基层治理平台", "登录", "请使用工作账号登录。", "用户名", "密码"]


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue():
    """Build the .mo when it is missing or older than the .po, as set-up does, then read it afresh.

    Re-applying LOCALE_PATHS sends ``setting_changed``, on which Django drops the catalogues it has
    cached in this process, so a .mo built just now is the one used.
    """
    call_command("compile_translations", stdout=io.StringIO())
    assert PO_PATH.with_suffix(".mo").exists()
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
        yield


def text(response) -> str:
    return response.content.decode()


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def tree():
    return make_tree()


@pytest.fixture
def street_client(client, tree):
    make_staff(tree, "jingerlu", "street", tree.street)
    client.login(username="jingerlu", password=PASSWORD)
    return client


# ---- choosing the language ----


def test_login_page_is_chinese_by_default(client):
    body = text(client.get("/login/"))
    assert '<html lang="zh-hans">' in body
    for zh in LOGIN_ZH:
        assert zh in body
    assert "Sign in" not in body
    assert "Grid Governance Platform" not in body


def test_login_page_has_language_switcher_back_to_this_page(client):
    body = text(client.get("/login/?next=/areas/"))
    form = body[body.index('action="/i18n/setlang/"') :]
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<input type="hidden" name="next" value="/login/?next=/areas/">' in form
    assert 'name="language" value="zh-hans"' in form
    assert 'name="language" value="en"' in form
    assert ">简体中文</button>" in form
    assert ">English</button>" in form


def test_language_cookie_gives_english_login_page(client):
    body = text(in_english(client).get("/login/"))
    assert '<html lang="en">' in body
    for en in ["Sign in", "Please sign in with your work account.", "Username", "Password"]:
        assert en in body
    assert "<title>Sign in · Grid Governance Platform</title>" in body
    # Nothing Chinese is left but the switcher's own name for Chinese.
    assert not CJK.findall(body.replace("简体中文", ""))


def test_browser_language_is_honoured(client):
    assert "Sign in" in text(client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert "请使用工作账号登录。" in text(client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"))


def test_set_language_switches_and_switches_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/?next=/areas/"})
    assert response.status_code == 302
    assert response.url == "/login/?next=/areas/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = text(client.get(response.url))
    assert "Please sign in with your work account." in body
    assert "请使用工作账号登录。" not in body

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    body = text(client.get("/login/"))
    assert "请使用工作账号登录。" in body
    assert "Please sign in with your work account." not in body


def test_pages_behind_sign_in_are_english(street_client):
    client = in_english(street_client)
    landing = client.get("/")  # staff land on the command centre
    assert landing.status_code == 302 and landing.url == "/command/"
    home = text(client.get("/areas/"))
    for en in ["Home", "Street staff", "Jurisdiction", "Areas and grids", "Sign out"]:
        assert en in home
    for zh in ["首页", "街道工作人员", "管辖范围", "区域与网格", "退出登录"]:
        assert zh not in home

    street = text(client.get("/areas/610302001/"))
    for en in ["Sub-areas", "Street/town", "Community/village", "2 sub-areas", "Legend", "Basic grid", "Map"]:
        assert en in street
    for zh in ["下级区域", "街道/镇", "社区/村", "下级 2 个", "图例", "基础网格"]:
        assert zh not in street

    missing = client.get("/areas/610302002/")
    assert missing.status_code == 404
    assert "Page not found" in text(missing)


# ---- strings from the code ----


def test_model_names_and_choices_are_english():
    with translation.override("en"):
        assert str(Area._meta.verbose_name) == "Area/grid"
        assert str(Area._meta.get_field("level").verbose_name) == "Level"
        assert [str(label) for label in Level.labels] == [
            "District",
            "Street/town",
            "Community/village",
            "Grid",
            "Micro-grid",
        ]
        assert str(GridKind.DEDICATED.label) == "Dedicated grid"
        assert str(Role.GRID_WORKER.label) == "Grid worker"
        assert translation.ngettext("下级 %(counter)s 个", "下级 %(counter)s 个", 1) == "%(counter)s sub-area"
    with translation.override("zh-hans"):
        assert str(Area._meta.verbose_name) == "区域/网格"
        assert str(Role.GRID_WORKER.label) == "网格员"


def test_every_model_label_is_english():
    """App and model names, field names, help texts and choices of gridgov's models: a Chinese one here
    is a label not marked with gettext_lazy, or one missing from the catalogue."""
    chinese = []
    with translation.override("en"):
        for config in apps.get_app_configs():
            if not config.name.startswith("gridgov."):
                continue
            chinese.append((config.label, str(config.verbose_name)))
            for model in config.get_models():
                name = f"{config.label}.{model.__name__}"
                chinese.append((name, str(model._meta.verbose_name)))
                chinese.append((name, str(model._meta.verbose_name_plural)))
                for field in model._meta.get_fields():
                    where = f"{name}.{field.name}"
                    for label in (getattr(field, "verbose_name", ""), getattr(field, "help_text", "")):
                        chinese.append((where, str(label)))
                    for _value, label in getattr(field, "flatchoices", None) or []:
                        chinese.append((where, str(label)))
    assert [(where, label) for where, label in chinese if CJK.search(label)] == []


def test_api_error_message_is_english(client):
    response = in_english(client).get("/api/v1/areas")
    assert response.status_code == 401
    message = response.json()["message"]
    assert message
    assert not CJK.search(message)


# ---- the catalogue itself ----


def test_catalogue_is_complete_and_well_formed():
    po = polib.pofile(str(PO_PATH))
    assert po.metadata["Language"] == "en"
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert not po.metadata_is_fuzzy
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    for entry in po.translated_entries():
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == [0, 1], entry.msgid
            translations = list(entry.msgstr_plural.values())
        else:
            translations = [entry.msgstr]
        placeholders = sorted(PLACEHOLDER.findall(entry.msgid))
        for msgstr in translations:
            assert not CJK.search(msgstr), entry.msgid
            assert sorted(PLACEHOLDER.findall(msgstr)) == placeholders, entry.msgid


GETTEXT_CALLS = {
    # name: (index of the context argument or None, index of the message id)
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}
# What ``templatize`` turns a template's {% translate %} / {% blocktranslate %} into.
STRING = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
TEMPLATE_FUNCS = "gettext|gettext_noop|ngettext|pgettext|npgettext"
TEMPLATE_CALL = re.compile(rf"\b({TEMPLATE_FUNCS})\(\s*({STRING})(?:\s*,\s*({STRING}))?")


def _python_messages(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in GETTEXT_CALLS:
            continue
        context_at, msgid_at = GETTEXT_CALLS[name]
        args = node.args
        if len(args) <= msgid_at or not all(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[: msgid_at + 1]
        ):
            continue
        context = args[context_at].value if context_at is not None else None
        yield context, args[msgid_at].value, node.lineno


def _template_messages(path: Path):
    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for match in TEMPLATE_CALL.finditer(source):
        name, first, second = match.groups()
        first = ast.literal_eval(first)
        if name in ("pgettext", "npgettext"):
            yield first, ast.literal_eval(second), None
        else:
            yield None, first, None


def test_every_marked_string_is_in_the_catalogue():
    """What ``makemessages`` would extract from the package is already in the shipped catalogue."""
    known = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(PO_PATH)) if not entry.obsolete}
    missing = []
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix == ".py":
            found = _python_messages(path)
        elif path.suffix in (".html", ".txt") and "templates" in path.parts:
            found = _template_messages(path)
        else:
            continue
        for context, msgid, line in found:
            if msgid and (context, msgid) not in known:
                missing.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{line or ''} {msgid!r}")
    assert missing == [], "run makemessages -l en and translate these:\n" + "\n".join(missing)
