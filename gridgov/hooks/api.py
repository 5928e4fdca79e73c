"""``/api/v1/webhooks``: outbound webhook subscriptions (create, change, rotate the secret, disable, enable,
delete), the catalogue of event types, and each subscription's delivery log with every try and replay.
Admins manage every subscription, district/street/community staff those of their areas, unit handlers
their own unit's. A secret is answered once, by the call that made it. docs/webhooks.md."""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.core.cleaners import limit
from gridgov.core.models import OutboxMessage
from gridgov.core.pagination import Mapped, Pages
from gridgov.hooks import actions, selectors
from gridgov.hooks.models import Subscription

router = Router(tags=[gettext_lazy("外部推送")])


class WebhookIn(Schema):
    name: str = Field(..., max_length=limit(Subscription, "name"))
    url: str = Field(..., max_length=limit(Subscription, "url"), description="http:// or https:// URL")
    event_types: list[str] = Field(..., description="event types from GET /webhooks/event-types")
    area: str | None = Field(None, max_length=18, description="area code: the events of its subtree")
    unit: int | None = Field(None, description="unit id: the events that concern this unit")


class WebhookPatch(Schema):
    name: str | None = Field(None, max_length=limit(Subscription, "name"))
    url: str | None = Field(None, max_length=limit(Subscription, "url"))
    event_types: list[str] | None = None


class WebhookFilters(Schema):
    active: bool | None = None


class WebhookPlaceOut(Schema):
    code: str
    name: str


class WebhookUnitOut(Schema):
    id: int
    name: str


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    event_types: list[str]
    scope: str = Field(..., description="area or unit")
    area: WebhookPlaceOut | None
    unit: WebhookUnitOut | None
    is_active: bool
    disabled_at: datetime | None
    disabled_reason: str = Field(..., description="manual, gone (410), failing (given up), refused (address)")
    disabled_reason_label: str
    disabled_detail: str
    failures: int = Field(..., description="failed tries since the last success")
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_status: int | None
    last_error: str
    previous_secret_until: datetime | None = Field(..., description="the previous secret signs until then")
    created_at: datetime
    updated_at: datetime


class WebhookSecretOut(WebhookOut):
    secret: str = Field(..., description="shown this once: keep it with the receiver")


class WebhookEventTypeOut(Schema):
    type: str
    subject: str
    subject_label: str
    action: str
    label: str


class WebhookAttemptOut(Schema):
    at: datetime
    ok: bool
    status: int | None
    duration_ms: int
    response: str = Field(..., description="the first 500 characters of the answer")
    error: str


class WebhookDeliveryOut(Schema):
    id: int
    msg_id: str = Field(..., description="the webhook-id header")
    event_type: str
    state: str = Field(..., description="pending, delivered, dead (given up), cancelled")
    state_label: str
    attempts: int
    created_at: datetime
    next_at: datetime | None
    delivered_at: datetime | None
    payload: dict
    tries: list[WebhookAttemptOut]


class WebhookDeliveryFilters(Schema):
    state: str | None = Field(None, max_length=12)


def subscription_row(sub: Subscription) -> dict:
    return {
        "id": sub.pk,
        "name": sub.name,
        "url": sub.url,
        "event_types": list(sub.event_types),
        "scope": "unit" if sub.unit_id else "area",
        "area": {"code": sub.area.code, "name": sub.area.name} if sub.area_id else None,
        "unit": {"id": sub.unit.pk, "name": sub.unit.name} if sub.unit_id else None,
        "is_active": sub.is_active,
        "disabled_at": sub.disabled_at,
        "disabled_reason": sub.disabled_reason,
        "disabled_reason_label": str(sub.get_disabled_reason_display()) if sub.disabled_reason else "",
        "disabled_detail": sub.disabled_detail,
        "failures": sub.failures,
        "last_success_at": sub.last_success_at,
        "last_failure_at": sub.last_failure_at,
        "last_status": sub.last_status,
        "last_error": sub.last_error,
        "previous_secret_until": sub.previous_until if sub.previous_secret else None,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
    }


def delivery_row(msg: OutboxMessage) -> dict:
    return {
        "id": msg.pk,
        "msg_id": msg.msg_id,
        "event_type": msg.event_type,
        "state": msg.state,
        "state_label": str(msg.get_state_display()),
        "attempts": msg.attempts,
        "created_at": msg.created_at,
        "next_at": msg.next_at,
        "delivered_at": msg.delivered_at,
        "payload": msg.payload,
        "tries": [
            {
                "at": t.at,
                "ok": t.ok,
                "status": t.status,
                "duration_ms": t.duration_ms,
                "response": t.response,
                "error": t.error,
            }
            for t in msg.tries.all()
        ],
    }


@router.get(
    "/event-types", response=list[WebhookEventTypeOut], summary="The event types one may subscribe to"
)
def event_types(request: HttpRequest):
    selectors.require_webhooks(request.auth)
    return [
        {
            "type": e.type,
            "subject": e.subject,
            "subject_label": str(e.subject_label),
            "action": e.action,
            "label": str(e.label),
        }
        for e in selectors.event_types()
    ]


@router.get("", response=list[WebhookOut], summary="The subscriptions I manage")
@paginate(Pages, page_size=50)
def list_subscriptions(request: HttpRequest, q: Query[WebhookFilters]):
    return Mapped(selectors.subscription_list(request.auth, **q.dict()), subscription_row)


@router.post(
    "", response={201: WebhookSecretOut}, summary="Subscribe a URL to events (the secret is shown once)"
)
def create_subscription(request: HttpRequest, payload: WebhookIn):
    sub, secret = actions.subscription_create(by=request.auth, **payload.dict())
    return Status(201, {**subscription_row(sub), "secret": secret})


@router.get("/{subscription_id}", response=WebhookOut, summary="A subscription")
def get_subscription(request: HttpRequest, subscription_id: int):
    return subscription_row(selectors.subscription_get_visible(request.auth, subscription_id))


@router.patch(
    "/{subscription_id}", response=WebhookOut, summary="Change a subscription's name, URL or event types"
)
def update_subscription(request: HttpRequest, subscription_id: int, payload: WebhookPatch):
    sub = actions.subscription_update(
        by=request.auth, subscription=subscription_id, **payload.dict(exclude_unset=True)
    )
    return subscription_row(sub)


@router.delete("/{subscription_id}", response={204: None}, summary="Delete a subscription")
def delete_subscription(request: HttpRequest, subscription_id: int):
    actions.subscription_delete(by=request.auth, subscription=subscription_id)
    return Status(204, None)


@router.post(
    "/{subscription_id}/rotate-secret",
    response=WebhookSecretOut,
    summary="A new secret (shown once); the previous one keeps signing for a while",
)
def rotate_secret(request: HttpRequest, subscription_id: int):
    sub, secret = actions.subscription_rotate_secret(by=request.auth, subscription=subscription_id)
    return {**subscription_row(sub), "secret": secret}


@router.post("/{subscription_id}/disable", response=WebhookOut, summary="Stop sending to a subscription")
def disable_subscription(request: HttpRequest, subscription_id: int):
    return subscription_row(actions.subscription_disable(by=request.auth, subscription=subscription_id))


@router.post(
    "/{subscription_id}/enable", response=WebhookOut, summary="Send to a subscription again (failures reset)"
)
def enable_subscription(request: HttpRequest, subscription_id: int):
    return subscription_row(actions.subscription_enable(by=request.auth, subscription=subscription_id))


@router.get(
    "/{subscription_id}/deliveries",
    response=list[WebhookDeliveryOut],
    summary="The delivery log of a subscription, each delivery with its tries",
)
@paginate(Pages, page_size=50)
def list_deliveries(request: HttpRequest, subscription_id: int, q: Query[WebhookDeliveryFilters]):
    sub = selectors.subscription_get_visible(request.auth, subscription_id)
    return Mapped(selectors.deliveries(request.auth, sub, **q.dict()), delivery_row)


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/replay",
    response=WebhookDeliveryOut,
    summary="Send a logged delivery again (same webhook-id)",
)
def replay_delivery(request: HttpRequest, subscription_id: int, delivery_id: int):
    actions.delivery_replay(by=request.auth, subscription=subscription_id, delivery=delivery_id)
    sub = selectors.subscription_get_visible(request.auth, subscription_id)
    return delivery_row(selectors.delivery_get_visible(request.auth, sub, delivery_id))
