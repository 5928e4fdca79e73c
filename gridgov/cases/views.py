"""Case pages: the resident's report form and public tracking page, the staff worklist and case detail with
one form per workflow action (photos are served by ``core.views``).

Views stay thin: parse the form, call one action or selector, render. A ``DomainError`` becomes a message
next to its ``field``; ``NotFound`` becomes the 404 page.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.models import Role
from gridgov.areas.models import Level
from gridgov.areas.selectors import grid_point, public_grid_outlines
from gridgov.cases import actions, category_cache, panels, selectors, workflow
from gridgov.cases.attributes import STRING_LIMIT, TEXT_LIMIT, attributes_of, field_name, shown_attributes
from gridgov.cases.models import OPEN_STATES, AttributeType, Channel, Rating, State
from gridgov.core import cleaners, ratelimit, uploads
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.pages import error_field, error_status
from gridgov.core.ratelimit import rate_limited, with_retry_after
from gridgov.core.scope import is_staff
from gridgov.ledger.places import home_bounds

PAGE_SIZE = 50
# Signed-in accounts that follow their own reports rather than work on cases.
RESIDENT_ROLES = (Role.RESIDENT, Role.VOLUNTEER)

ACTION_LABELS = {
    "accept": gettext_lazy("受理"),
    "reject": gettext_lazy("不予受理"),
    "merge": gettext_lazy("合并"),
    "recategorise": gettext_lazy("改分类"),
    "dispatch": gettext_lazy("派遣"),
    "claim": gettext_lazy("签收"),
    "return": gettext_lazy("退回"),
    "start": gettext_lazy("开始处置"),
    "resolve": gettext_lazy("处置反馈"),
    "verify": gettext_lazy("核实通过"),
    "rework": gettext_lazy("返工"),
    "close": gettext_lazy("结案"),
    "rate": gettext_lazy("评价"),
    "reopen": gettext_lazy("重办"),
    "escalate": gettext_lazy("上报上级"),
    "whistle": gettext_lazy("吹哨"),
    "report": gettext_lazy("报到"),
    "extend": gettext_lazy("延期"),
}
# Timeline rows that are not workflow actions.
EVENT_LABELS = {
    "intake": gettext_lazy("上报"),
    "account_linked": gettext_lazy("关联居民账号"),
    "add_photos": gettext_lazy("补充照片"),
    "recompute": gettext_lazy("重新计算时限"),
    "warning": gettext_lazy("时限预警"),
    "overdue": gettext_lazy("超时"),
    "report_missed": gettext_lazy("未按时报到"),
    "report_in": gettext_lazy("报到"),
    "visit_linked": gettext_lazy("关联走访"),
}
# Actions taken with one click (nothing to fill in); every other one opens its form first.
DIRECT_ACTIONS = {"claim", "start"}
# The form fields of each action; an error on any other field is shown at the top of the form.
ACTION_FIELDS = {
    "accept": {"note"},
    "reject": {"reason"},
    "merge": {"into", "reason"},
    "recategorise": {"category", "note"},
    "dispatch": {"lead_unit_id", "assist_unit_ids", "candidate_unit_ids", "note"},
    "claim": set(),
    "return": {"reason"},
    "start": set(),
    "resolve": {"result", "evidence"},
    "verify": {"note"},
    "rework": {"reason"},
    "close": {"note"},
    "reopen": {"reason"},
    "escalate": {"reason"},
    "whistle": {"unit_ids", "lead_unit_id", "report_hours", "note"},
    "report": {"note"},
    "extend": {"amount", "reason"},
}
REPORT_FIELDS = {
    "category",
    "description",
    "location",
    "address",
    "photos",
    "reporter_name",
    "reporter_phone",
    "anonymous",
    "channel",
    "reported_at",
}
FIELD_ALIASES = {"lat": "location", "lng": "location", "grid": "location"}
# How many rating codes of this browser's recent reports are kept, so a double submit still shows the code.
KEPT_TOKENS = 3


def _errors(exc: DomainError, known: set[str]) -> dict[str, str]:
    return {error_field(exc, known, FIELD_ALIASES): exc.message}


def _partial(request) -> bool:
    """An htmx request for a fragment (a history restore after a cache miss wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _user(request):
    return request.user if request.user.is_authenticated else None


def _is_resident(user) -> bool:
    return user is not None and user.role in RESIDENT_ROLES


# ---------------------------------------------------------------- parsing


def _float(value: str | None, field: str) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise DomainError("invalid", _("位置坐标无效，请在地图上重新标注"), field)
    return number


def _unit_id(value: str | None, field: str, *, required: str | bool = False) -> int | None:
    """A unit chosen on the form (its id)."""
    return cleaners.integer(value, field, label=_("单位"), low=1, required=required)


def _ints(values: list[str], field: str) -> list[int]:
    return [i for i in (_unit_id(v, field) for v in values) if i is not None]


def _decimal(value: str | None, field: str, *, required_message: str | None = None) -> Decimal | None:
    value = (value or "").strip()
    if not value:
        if required_message:
            raise DomainError("required", required_message, field)
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise DomainError("invalid", _("请输入数字"), field) from exc
    if not number.is_finite():
        raise DomainError("invalid", _("请输入数字"), field)
    return number


# ---------------------------------------------------------------- resident: report


# Field names of a category's attributes on the report page: one set per category (each shown only while
# its category is chosen), so the same code in two categories never collides.
ATTRIBUTE_INPUT = "attr.{category}.{code}"
ATTRIBUTE_INPUTS = {
    AttributeType.STRING: "text",
    AttributeType.NUMBER: "number",
    AttributeType.DATETIME: "datetime",
    AttributeType.TEXT: "textarea",
    AttributeType.SINGLE: "select",
    AttributeType.MULTI: "checkboxes",
}


def _posted_attributes(post, category_code: str) -> dict:
    """The chosen category's attribute values from the form (code → text, or list for several choices);
    blanks are left to ``clean_attributes``, which the API uses too."""
    category = category_cache.active_category(category_code or "")
    if category is None:
        return {}
    given = {}
    for attribute in attributes_of(category):
        name = ATTRIBUTE_INPUT.format(category=category.code, code=attribute.code)
        if attribute.datatype == AttributeType.MULTI:
            given[attribute.code] = post.getlist(name)
        else:
            given[attribute.code] = post.get(name, "")
    return given


def _attribute_forms(groups, values: dict, errors: dict) -> list[dict]:
    """Every category's attribute fields (for the categories that have any), with the values and the
    error of the chosen one kept after a refused submit."""
    chosen = values.get("category", "")
    kept = values.get("attributes") or {}
    forms = []
    for _group, categories in groups:
        for category in categories:
            attributes = attributes_of(category)
            if not attributes:
                continue
            fields = []
            for attribute in attributes:
                mine = category.code == chosen
                value = kept.get(attribute.code, "") if mine else ""
                name = ATTRIBUTE_INPUT.format(category=category.code, code=attribute.code)
                fields.append(
                    {
                        "name": name,
                        "id": "id_" + name.replace(".", "_"),
                        "label": attribute.label,
                        "description": attribute.description,
                        "required": attribute.required,
                        "input": ATTRIBUTE_INPUTS.get(attribute.datatype, "text"),
                        "maxlength": TEXT_LIMIT if attribute.datatype == AttributeType.TEXT else STRING_LIMIT,
                        "value": "" if isinstance(value, list) else value,
                        "chosen": value if isinstance(value, list) else [value],
                        "choices": attribute.values,
                        "error": errors.get(field_name(attribute.code), "") if mine else "",
                    }
                )
            forms.append({"category": category.code, "fields": fields, "shown": category.code == chosen})
    return forms


def _tile_settings() -> dict:
    """The base map (docs/maps.md): empty URL = boundaries and buildings only (the offline default)."""
    return {
        "url": settings.TILE_URL,
        "attribution": settings.TILE_ATTRIBUTION,
        "crs": settings.TILE_CRS,
    }


def _report_context(request, values: dict, errors: dict | None = None) -> dict:
    user = _user(request)
    errors = errors or {}
    groups = selectors.category_groups()
    bounds = home_bounds(user)
    return {
        # staff enter reports on behalf of residents: from the field (网格员) or from a hotline record
        "staff_entry": is_staff(user),
        "channels": [
            (Channel.GRID_WORKER, Channel.GRID_WORKER.label),
            (Channel.HOTLINE, Channel.HOTLINE.label),
        ],
        "groups": groups,
        "attribute_forms": _attribute_forms(groups, values, errors),
        "values": values,
        "errors": errors,
        "max_photos": settings.UPLOAD_MAX_FILES,
        "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        "home_bounds": ",".join(f"{v:.6f}" for v in bounds) if bounds else "",
        "tiles": _tile_settings(),
    }


def _report_errors(exc: DomainError) -> dict[str, str]:
    """A refusal by field; an attribute's keeps its own name (``attribute[code]``) for its field."""
    if (exc.field or "").startswith("attribute["):
        return {exc.field: exc.message}
    return _errors(exc, REPORT_FIELDS)


def _patrol_contact(user, values: dict) -> None:
    """A grid worker's own patrol report (巡查发现): the contact is the worker, from the account, unless
    they typed another (a resident they met). A hotline record keeps the caller's contact as entered."""
    if values.get("channel", Channel.GRID_WORKER) not in ("", Channel.GRID_WORKER):
        return
    if not values.get("reporter_name") and not values.get("reporter_phone"):
        values["reporter_name"] = user.display_name or user.username
        values["reporter_phone"] = user.phone


def _keep_token(request, key: str, ref: str, token: str) -> None:
    kept = [item for item in request.session.get("case_rate_tokens", []) if item[0] != key]
    request.session["case_rate_tokens"] = [[key, ref, token], *kept][:KEPT_TOKENS]


def _kept_token(request, key: str, ref: str) -> str | None:
    for item_key, item_ref, token in request.session.get("case_rate_tokens", []):
        if item_key == key and item_ref == ref:
            return token
    return None


@require_http_methods(["GET", "POST"])
@rate_limited("public", methods=("GET",))  # a report sent without an account counts under "intake"
def report(request):
    """上报问题: open to everyone; a signed-in resident finds their contact filled in."""
    user = _user(request)
    if request.method == "GET":
        values = {"idempotency_key": uuid.uuid4().hex}
        point = grid_point((request.GET.get("grid") or "").strip()[:18])
        if point is not None:  # "report a problem here" from a grid's duty card: the pin starts in that grid
            values["lng"], values["lat"] = f"{point[0]:.6f}", f"{point[1]:.6f}"
        if _is_resident(user):
            values["reporter_name"] = user.display_name or user.username
            values["reporter_phone"] = user.phone
        elif is_staff(user):
            values["channel"] = Channel.GRID_WORKER
            _patrol_contact(user, values)
        return render(request, "cases/report.html", _report_context(request, values))

    post = request.POST
    values = {
        name: post.get(name, "")
        for name in (
            "category",
            "description",
            "lng",
            "lat",
            "address",
            "reporter_name",
            "reporter_phone",
            "idempotency_key",
            "channel",
            "reported_at",
        )
    }
    values["anonymous"] = bool(post.get("anonymous"))
    if not values["idempotency_key"]:
        values["idempotency_key"] = uuid.uuid4().hex
    values["attributes"] = _posted_attributes(post, values["category"])
    photos = request.FILES.getlist("photos")
    staff = is_staff(user)
    if staff:
        _patrol_contact(user, values)
    try:
        if user is None:
            ratelimit.limit(request, "intake")
        intake = actions.case_report(
            by=user,
            channel=(values["channel"] or Channel.GRID_WORKER) if staff else None,
            reported_at=cleaners.a_moment(values["reported_at"], "reported_at") if staff else None,
            category_code=values["category"],
            description=values["description"],
            lng=_float(values["lng"], "lng"),
            lat=_float(values["lat"], "lat"),
            address=values["address"],
            reporter_name=values["reporter_name"],
            reporter_phone=values["reporter_phone"],
            anonymous=values["anonymous"],
            photos=photos,
            idempotency_key=values["idempotency_key"],
            attributes=values["attributes"],
        )
    except DomainError as exc:
        context = _report_context(request, values, _report_errors(exc))
        context["photos_dropped"] = bool(photos)
        return with_retry_after(render(request, "cases/report.html", context, status=error_status(exc)), exc)
    case = intake.case
    key = values["idempotency_key"]
    if intake.rate_token:
        _keep_token(request, key, case.ref, intake.rate_token)
        token = intake.rate_token
    else:  # the same form sent twice: the first answer may never have been seen
        token = _kept_token(request, key, case.ref)
    track_url = reverse("cases:track", args=[case.ref])
    context = {
        "case": case,
        "rate_token": token,
        "track_url": track_url,
        "track_absolute_url": request.build_absolute_uri(track_url),
        "repeated": not intake.created,
    }
    response = render(request, "cases/report_done.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@rate_limited("public")
def report_map(request):
    """The district outline and its grids as GeoJSON for the report form's map. Grid names and codes are
    public (posted on duty cards), so this needs no sign-in and carries nothing else."""
    response = JsonResponse(public_grid_outlines())
    response["Cache-Control"] = "public, max-age=300"
    return response


# ---------------------------------------------------------------- resident: tracking


def _event_label(event) -> str:
    if event.action == "report":
        return EVENT_LABELS["intake"]
    return ACTION_LABELS.get(event.action) or EVENT_LABELS.get(event.action) or event.action


def _new_state(event) -> str:
    """The state an event moved the case to; empty when it kept the state (rating, extension, …)."""
    if event.to_state == event.from_state or event.to_state not in State.values:
        return ""
    return State(event.to_state).label


def _public_events(case) -> list[dict]:
    return [
        {
            "at": e.at,
            "label": _event_label(e),
            "state": _new_state(e),
            # staff reasons and results are shown; names and phones never are
            "note": e.note if e.action in selectors.PUBLIC_NOTE_ACTIONS else "",
        }
        for e in selectors.public_timeline(case)
    ]


def _may_reopen_publicly(case) -> bool:
    if case.state != State.CLOSED or case.rating != Rating.UNSATISFIED:
        return False
    since = case.rated_at or case.closed_at
    return since is not None and timezone.now() <= since + timedelta(days=case.category.reopen_window_days)


def _promised_deadline(case) -> dict | None:
    """承诺办结时限: the resolution deadline the case runs against once it is with a unit, in residents'
    words on the tracking page (whether it passed, whether the calendar is still provisional)."""
    if case.resolution_due is None or case.state not in OPEN_STATES or case.state == State.ACCEPTED:
        return None
    running = case.state in (State.DISPATCHED, State.CLAIMED, State.IN_PROGRESS)
    return {
        "due": case.resolution_due,
        "overdue": running and timezone.now() > case.resolution_due,
        "provisional": case.deadline_provisional,
    }


def _track_context(
    request, case, *, errors: dict | None = None, values: dict | None = None, form: str = ""
) -> dict:
    user = _user(request)
    return {
        "case": case,
        "community": case.area.parent if case.area.level == Level.GRID else None,
        "deadline": _promised_deadline(case),
        "events": _public_events(case),
        "can_rate": case.state == State.CLOSED and not case.rated_at,
        "can_reopen": _may_reopen_publicly(case),
        "signed_reporter": user is not None and workflow.is_reporter(user, case),
        "ratings": Rating.choices,
        "errors": errors or {},
        "values": values or {},
        "form": form,
    }


def _track_url(ref: str) -> str:
    return reverse("cases:track", args=[ref])


@require_GET
def track_lookup(request):
    """进度查询: type a reference number."""
    ref = (request.GET.get("ref") or "").strip()
    if ref:
        return redirect(_track_url(ref))
    return render(request, "cases/track_lookup.html")


@require_GET
@rate_limited("tracking")
def track(request, ref: str):
    try:
        case = selectors.public_case(ref)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "cases/track.html", _track_context(request, case))


def _track_error(request, ref: str, exc: DomainError, form: str, known: set[str], values: dict):
    try:
        case = selectors.public_case(ref)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    status = 400 if exc.status in (401, 404) else error_status(exc)
    context = _track_context(request, case, errors=_errors(exc, known), values=values, form=form)
    return with_retry_after(render(request, "cases/track.html", context, status=status), exc)


@require_POST
def track_rate(request, ref: str):
    values = {name: request.POST.get(name, "") for name in ("rating", "comment", "token")}
    try:
        if values["token"].strip():
            ratelimit.limit(request, "rating")
        actions.case_rate(
            ref=ref,
            by=_user(request),
            token=values["token"].strip() or None,
            rating=values["rating"],
            comment=values["comment"],
        )
    except DomainError as exc:
        return _track_error(request, ref, exc, "rate", {"rating", "comment", "token"}, values)
    messages.success(request, _("评价已提交，感谢您的反馈。"))
    return redirect(_track_url(ref))


@require_POST
def track_reopen(request, ref: str):
    values = {name: request.POST.get(name, "") for name in ("reason", "token")}
    try:
        if values["token"].strip():
            ratelimit.limit(request, "rating")
        actions.case_reopen(
            ref=ref, by=_user(request), token=values["token"].strip() or None, reason=values["reason"]
        )
    except DomainError as exc:
        return _track_error(request, ref, exc, "reopen", {"reason", "token"}, values)
    messages.success(request, _("已申请重办，事件重新进入办理。"))
    return redirect(_track_url(ref))


# ---------------------------------------------------------------- staff: worklist

RESIDENT_GROUP_LABELS = {
    "waiting": gettext_lazy("待受理"),
    "handling": gettext_lazy("办理中"),
    "done": gettext_lazy("已办结"),
    "declined": gettext_lazy("未受理"),
}


def _resident_state(case) -> str:
    """The state of a report in a resident's words (:data:`selectors.RESIDENT_GROUPS`)."""
    for group, states in selectors.RESIDENT_GROUPS.items():
        if case.state in states:
            return str(RESIDENT_GROUP_LABELS[group])
    return case.get_state_display()


@login_required
@require_GET
def worklist(request):
    """工作台: open cases in scope, nearest deadline first; a unit's pending claims come first."""
    user = request.user
    state = request.GET.get("state", "")
    category = request.GET.get("category", "")
    overdue = request.GET.get("overdue") == "1"
    returned = request.GET.get("returned") == "1"
    resident = _is_resident(user)
    if resident:  # 我的上报: open and finished reports, filtered by what residents know of a state
        cases = selectors.resident_reports(user, group=state)
        if category:
            cases = cases.filter(category__code=category)
        states = list(RESIDENT_GROUP_LABELS.items())
    else:
        cases = selectors.worklist(user, state=state, category=category, overdue=overdue, returned=returned)
        states = [(s, State(s).label) for s in OPEN_STATES]
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    if resident:
        for c in page.object_list:
            c.resident_state = _resident_state(c)
            c.to_rate = c.state == State.CLOSED and not c.rated_at and not c.historical
            c.promised = _promised_deadline(c)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "cases": page.object_list,
        "states": states,
        "categories": selectors.categories(),
        "filters": {"state": state, "category": category, "overdue": overdue, "returned": returned},
        "query": query.urlencode(),
        "resident": resident,
    }
    template = "cases/_worklist.html" if _partial(request) else "cases/worklist.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


# ---------------------------------------------------------------- staff: detail and actions


def _visible(user, ref: str):
    try:
        return selectors.case_get_visible(user, ref)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _list(names) -> str:
    return pgettext("列举", "、").join(names)


def _event_detail(event) -> str:
    data = event.data or {}
    if event.action == "dispatch":
        parts = []
        if data.get("lead_unit"):
            parts.append(_("主办：%(units)s") % {"units": data["lead_unit"]})
        if data.get("candidate_units"):
            parts.append(_("候选主办：%(units)s") % {"units": _list(data["candidate_units"])})
        if data.get("assist_units"):
            parts.append(_("协办：%(units)s") % {"units": _list(data["assist_units"])})
        return pgettext("分句", "；").join(parts)
    if event.action == "whistle":
        return _("牵头：%(lead)s；召集：%(units)s") % {
            "lead": data.get("lead_unit", ""),
            "units": _list(data.get("units", [])),
        }
    if event.action == "merge":
        if data.get("into"):
            return _("合并到 %(ref)s") % {"ref": data["into"]}
        if data.get("merged"):
            return _("%(ref)s 合并到本事件") % {"ref": data["merged"]}
    if event.action == "rate" and data.get("rating") in Rating.values:
        return str(Rating(data["rating"]).label)
    if event.action == "report_in" and data.get("late"):
        return _("迟到")
    return ""


def _timeline(case) -> list[dict]:
    return [
        {
            "event": e,
            "label": _event_label(e),
            "state": _new_state(e),
            "detail": _event_detail(e),
        }
        for e in selectors.timeline(case)
    ]


def _form_context(user, case, action: str, values) -> dict:
    """What the form of ``action`` needs to be drawn: unit choices, the routing proposal, kept input."""
    ctx: dict = {
        "action": action,
        "label": ACTION_LABELS[action],
        "needs_reason": workflow.BY_ACTION[action].needs_reason,
    }
    get = values.get if values is not None else (lambda name, default="": default)
    getlist = values.getlist if values is not None else (lambda name: [])
    for name in ("note", "reason", "result", "into", "amount", "report_hours"):
        ctx[name] = get(name, "")
    if action in ("dispatch", "whistle"):
        ctx["units"] = list(selectors.units_for_dispatch(case))
    if action == "dispatch":
        if values is None:
            lead, assists = selectors.propose_routing(case)
            ctx["proposed"] = lead is not None
            ctx["lead_selected"] = str(lead.pk) if lead else ""
            ctx["assist_selected"] = {str(u.pk) for u in assists}
        else:
            ctx["lead_selected"] = get("lead_unit_id", "")
            ctx["assist_selected"] = set(getlist("assist_unit_ids"))
        ctx["candidate_selected"] = set(getlist("candidate_unit_ids"))
    if action == "whistle":
        ctx["lead_selected"] = get("lead_unit_id", str(case.lead_unit_id or ""))
        ctx["unit_selected"] = set(getlist("unit_ids"))
        if values is None:
            ctx["report_hours"] = settings.WHISTLE_REPORT_HOURS
    if action == "extend":
        ctx["amount_unit"] = case.category.get_resolution_unit_display()
    if action == "merge":
        # a confirmation: both cases side by side, and why they are one problem (required)
        ctx["needs_reason"] = True
        ctx["duplicates"] = _duplicates(user, case)
        ctx["target"] = _merge_target(user, case, ctx["into"].strip())
    if action == "recategorise":
        ctx["category_groups"] = selectors.category_groups()
        ctx["category_selected"] = get("category", "")
    return ctx


def _merge_target(user, case, ref: str):
    """The case chosen to merge into, when ``user`` can see it (shown beside this one before confirming)."""
    if not ref or ref == case.ref:
        return None
    try:
        return selectors.case_get_visible(user, ref)
    except NotFound:
        return None


def _duplicates(user, case) -> list:
    """Suggested merges the user can see."""
    if case.state not in (State.REPORTED, State.ACCEPTED):
        return []
    return selectors.duplicate_candidates(case, user)


def _detail_context(request, case, *, open_action: str = "", values=None, errors: dict | None = None) -> dict:
    user = request.user
    allowed = [a for a in workflow.allowed_actions(user, case) if a in ACTION_FIELDS]
    if open_action in DIRECT_ACTIONS or open_action not in (allowed if not errors else ACTION_FIELDS):
        open_action = ""  # a form is offered for an allowed action, or shown again with its error
    files = list(uploads.of(case))
    point = [case.lng, case.lat] if case.lng is not None and case.lat is not None else None
    return {
        "case": case,
        "buttons": [{"action": a, "label": ACTION_LABELS[a], "direct": a in DIRECT_ACTIONS} for a in allowed],
        "form": _form_context(user, case, open_action, values) if open_action else None,
        "errors": errors or {},
        "timeline": _timeline(case),
        "duplicates": _duplicates(user, case),
        "can_merge": "merge" in allowed,
        "photos": [f for f in files if f.role == Upload.Role.PHOTO],
        "evidence": [f for f in files if f.role == Upload.Role.EVIDENCE],
        "dispatches": sorted(case.dispatches.all(), key=lambda d: (-d.round, d.role, d.pk)),
        "whistles": list(case.whistles.all()),
        "reporter_count": len(case.reporters.all()),
        "attributes": shown_attributes(case),
        "map_data": {"point": point, "boundary": case.area.boundary} if point or case.area.boundary else None,
        "panels": panels.panels_for(request, case),
    }


@login_required
@require_GET
def detail(request, ref: str):
    """事件详情, with the buttons of the actions this account may take now. ``?act=<action>`` opens that
    action's form (htmx swaps in just the form)."""
    if _is_resident(request.user):
        return redirect(_track_url(ref))
    case = _visible(request.user, ref)
    action = request.GET.get("act", "")
    if _partial(request) and action:
        if action not in workflow.allowed_actions(request.user, case) or action not in ACTION_FIELDS:
            response = render(request, "cases/_action_unavailable.html", {"case": case})
        else:
            form = _form_context(request.user, case, action, _prefilled(request, action))
            response = render(request, "cases/_action_form.html", {"case": case, "form": form, "errors": {}})
        response["Vary"] = "HX-Request"
        return response
    context = _detail_context(request, case, open_action=action, values=_prefilled(request, action))
    response = render(request, "cases/detail.html", context)
    response["Vary"] = "HX-Request"
    return response


def _prefilled(request, action: str):
    """A form opened from a link that chose for it: "merge into <ref>" from a suggested duplicate."""
    if action == "merge" and request.GET.get("into"):
        return request.GET
    return None


def _run(action: str, ref: str, user, post, files):
    note, reason = post.get("note", ""), post.get("reason", "")
    if action == "accept":
        return actions.case_accept(ref=ref, by=user, note=note)
    if action == "reject":
        return actions.case_reject(ref=ref, by=user, reason=reason)
    if action == "merge":
        return actions.case_merge(ref=ref, by=user, into=post.get("into", "").strip(), reason=reason)
    if action == "recategorise":
        return actions.case_recategorise(ref=ref, by=user, category_code=post.get("category", ""), note=note)
    if action == "dispatch":
        return actions.case_dispatch(
            ref=ref,
            by=user,
            lead_unit_id=_unit_id(post.get("lead_unit_id"), "lead_unit_id"),
            assist_unit_ids=_ints(post.getlist("assist_unit_ids"), "assist_unit_ids"),
            candidate_unit_ids=_ints(post.getlist("candidate_unit_ids"), "candidate_unit_ids"),
            note=note,
        )
    if action == "claim":
        return actions.case_claim(ref=ref, by=user)
    if action == "return":
        return actions.case_return(ref=ref, by=user, reason=reason)
    if action == "start":
        return actions.case_start(ref=ref, by=user)
    if action == "resolve":
        return actions.case_resolve(
            ref=ref, by=user, result=post.get("result", ""), evidence=files.getlist("evidence")
        )
    if action == "verify":
        return actions.case_verify(ref=ref, by=user, note=note)
    if action == "rework":
        return actions.case_rework(ref=ref, by=user, reason=reason)
    if action == "close":
        return actions.case_close(ref=ref, by=user, note=note)
    if action == "reopen":
        return actions.case_reopen(ref=ref, by=user, reason=reason)
    if action == "escalate":
        return actions.case_escalate(ref=ref, by=user, reason=reason)
    if action == "whistle":
        return actions.case_whistle(
            ref=ref,
            by=user,
            unit_ids=_ints(post.getlist("unit_ids"), "unit_ids"),
            lead_unit_id=_unit_id(post.get("lead_unit_id"), "lead_unit_id", required=_("请选择牵头单位")),
            report_hours=_decimal(post.get("report_hours"), "report_hours"),
            note=note,
        )
    if action == "report":
        return actions.case_report_in(ref=ref, by=user, note=note)
    if action == "extend":
        return actions.case_extend(
            ref=ref,
            by=user,
            amount=_decimal(post.get("amount"), "amount", required_message=_("请填写延期时长")),
            reason=reason,
        )
    raise Http404


@login_required
@require_POST
def act(request, ref: str, action: str):
    """One workflow action on one case; back to the detail page, or the form again with the error."""
    if action not in ACTION_FIELDS:
        raise Http404
    try:
        _run(action, ref, request.user, request.POST, request.FILES)
    except DomainError as exc:
        case = _visible(request.user, ref)  # out of scope: 404, whatever the action said
        known = ACTION_FIELDS[action]
        errors = _errors(exc, known)
        if exc.status == 409 or not known or action in DIRECT_ACTIONS:
            # wrong state (or nothing to fill in): the page as it is now, with the message on top
            context = _detail_context(request, case, errors={"page": exc.message})
        else:
            context = _detail_context(request, case, open_action=action, values=request.POST, errors=errors)
        return render(request, "cases/detail.html", context, status=error_status(exc))
    messages.success(request, _("已完成「%(action)s」") % {"action": ACTION_LABELS[action]})
    return redirect("cases:detail", ref=ref)
