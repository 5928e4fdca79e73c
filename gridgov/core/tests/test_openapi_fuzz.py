"""Property-based run over the whole OpenAPI document (schemathesis): every operation is called with
generated input, as a signed-in administrator, and must never answer 5xx nor answer outside its declared
answers and their schemas."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.serializers.json import DjangoJSONEncoder
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gridgov.api import api
from gridgov.testing.factories import make_tree

# The document as it is served: its texts are lazy translations, made plain by the JSON encoder.
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))
)
schema.app = WSGIHandler()


@pytest.fixture
def _connections_stay_open():
    """As Django's test client does: a request must not close the test's database connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, _connections_stay_open):
    from gridgov.accounts.actions import token_issue

    tree = make_tree()
    key, _ = token_issue(user=tree.admin)
    return key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_document(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def _schema_classes(cls) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("gridgov."):
            out.append(sub)
        out += _schema_classes(sub)
    return out


def test_every_schema_of_the_api_has_a_name_of_its_own():
    """The OpenAPI document names schemas by their class name; two classes of one name (in two apps)
    overwrite each other there, and one operation is then documented with the other's body."""
    from ninja import Schema

    by_name: dict[str, set[str]] = {}
    for cls in _schema_classes(Schema):
        by_name.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: sorted(where) for name, where in by_name.items() if len(where) > 1} == {}


def test_every_operation_declares_the_error_answers():
    document = api.get_openapi_schema()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"400", "401", "403", "404", "409", "429"} <= declared, f"{method} {path}"
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "message", "field"]
