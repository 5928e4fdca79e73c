from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
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

    @staticmethod
    def resolve_case(obj) -> str | None:
        return obj.case.ref if obj.case_id else None


class NotificationsReadOut(Schema):
    marked: int
    unread: int


@router.get("", response=list[NotificationOut], summary="站内消息")
@paginate(Pages, page_size=50)
def inbox(request: HttpRequest, unread: bool = False):
    return selectors.inbox_for(request.auth, unread_only=unread)


@router.post("/{notification_id}/read", response=NotificationsReadOut, summary="标记为已读")
def mark_read(request: HttpRequest, notification_id: int):
    marked = actions.notification_mark_read(user=request.auth, notification_id=notification_id)
    return {"marked": marked, "unread": selectors.unread_count(request.auth)}


@router.post("/read-all", response=NotificationsReadOut, summary="全部标记为已读")
def mark_all_read(request: HttpRequest):
    marked = actions.notification_mark_read(user=request.auth)
    return {"marked": marked, "unread": 0}
