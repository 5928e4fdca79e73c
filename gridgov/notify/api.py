from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gridgov.core.pagination import Pages
from gridgov.notify import actions, selectors

router = Router(tags=["inbox"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    case: str | None
    created_at: datetime
    read_at: datetime | None
    done_at: datetime | None = None

    @staticmethod
    def resolve_case(obj) -> str | None:
        return obj.case.ref if obj.case_id else None


class NotificationsReadOut(Schema):
    marked: int
    unread: int


@router.get("", response=list[NotificationOut], summary=gettext_lazy("站内消息"))
@paginate(Pages, page_size=50)
def inbox(request: HttpRequest, unread: bool = False):
    return selectors.inbox_for(request.auth, unread_only=unread)


@router.post("/{notification_id}/read", response=NotificationsReadOut, summary=gettext_lazy("标记为已读"))
def mark_read(request: HttpRequest, notification_id: int):
    marked = actions.notification_mark_read(user=request.auth, notification_id=notification_id)
    return {"marked": marked, "unread": selectors.unread_count(request.auth)}


@router.post("/read-all", response=NotificationsReadOut, summary=gettext_lazy("全部标记为已读"))
def mark_all_read(request: HttpRequest):
    marked = actions.notification_mark_read(user=request.auth)
    return {"marked": marked, "unread": 0}


class NotifyChannelOut(Schema):
    code: str = Field(description="email, sms or wechat")
    label: str
    available: bool = Field(description="the account has an address for it (email, phone)")


class NotifyKindChannelsOut(Schema):
    kind: str
    label: str
    urgent: bool = Field(description="sent at once, even inside quiet hours")
    channels: list[str] = Field(description="channels beyond the inbox (which is always used)")


class NotifyPreferencesOut(Schema):
    channels: list[NotifyChannelOut] = Field(description="the channels this server offers")
    kinds: list[NotifyKindChannelsOut]
    quiet_start: str | None = Field(None, description="HH:MM, local time")
    quiet_end: str | None = Field(None, description="HH:MM, local time")


class NotifyPreferencesIn(Schema):
    kinds: dict[str, list[str]] = Field(
        default_factory=dict,
        description="kind → channels beyond the inbox; kinds left out keep their setting",
    )
    quiet_start: str | None = Field(None, max_length=8, description="HH:MM; null with quiet_end: none")
    quiet_end: str | None = Field(None, max_length=8, description="HH:MM")


@router.get("/preferences", response=NotifyPreferencesOut, summary="My notification preferences")
def get_preferences(request: HttpRequest):
    return selectors.preferences_of(request.auth)


@router.put(
    "/preferences",
    response=NotifyPreferencesOut,
    summary="Set my notification preferences (channels per kind, quiet hours)",
)
def put_preferences(request: HttpRequest, payload: NotifyPreferencesIn):
    actions.preference_save(
        by=request.auth, kinds=payload.kinds, quiet_start=payload.quiet_start, quiet_end=payload.quiet_end
    )
    return selectors.preferences_of(request.auth)
