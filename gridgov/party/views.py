"""Party pages. For the community secretary and staff: the organisation tree, an organisation with its
history and members, the member register (and 待建档 residents), contact coverage and assigning contacts,
duty cards and their printable sheet, members' reports, co-building agreements, red property, activities
and 三会一课. For members: my households and my 双报到. For anyone: the duty card a QR code opens.

Views stay thin: parse, call one selector or action, render. A refused form keeps what was typed and says
what is wrong (the action's message, naming the field)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.models import Role, Unit, User
from gridgov.areas.models import Area, Level
from gridgov.core import cleaners
from gridgov.core.errors import NotFound
from gridgov.core.models import Upload
from gridgov.core.pages import require, run_form
from gridgov.core.ratelimit import rate_limited
from gridgov.core.scope import filter_in_scope, is_staff, staff_in_scope
from gridgov.core.views import serve
from gridgov.party import actions, cards, selectors
from gridgov.party.models import (
    ActivityKind,
    Member,
    MemberStatus,
    Office,
    OrgKind,
    ReportState,
)
from gridgov.party.workflow import MACHINE


def _staff(request) -> None:
    require(is_staff(request.user))


def _area_param(request) -> str:
    """The area the page looks at: ``?area=`` when in scope, else the reader's own area."""
    code = (request.GET.get("area") or "").strip()
    if code and staff_in_scope(request.user, code):
        return code
    return request.user.area.code if request.user.area_id else ""


def _communities(user):
    return filter_in_scope(Area.objects.filter(level=Level.COMMUNITY, is_active=True), user, "code").order_by(
        "code"
    )


# ---------------------------------------------------------------- organisations


@login_required
@require_http_methods(["GET", "POST"])
def tree(request):
    """Party organisations (党组织): the tree under the reader's area (or ``?area=``), and setting up an organisation."""
    _staff(request)
    area = _area_param(request)
    if request.method == "POST":
        post = request.POST
        return run_form(
            request,
            lambda: actions.org_create(
                by=request.user,
                kind=post.get("kind", ""),
                name=post.get("name", ""),
                area=post.get("org_area", ""),
                parent=cleaners.integer(post.get("parent"), "parent", low=1),
                building=cleaners.integer(post.get("building"), "building", low=1),
                liaison=cleaners.integer(post.get("liaison"), "liaison", low=1),
                set_up_on=post.get("set_up_on") or None,
            ),
            _("党组织已成立"),
            f"{reverse('party:tree')}?area={area}",
        )
    nodes = selectors.org_tree(request.user, area=area or None)
    return render(
        request,
        "party/tree.html",
        {
            "tab": "tree",
            "nodes": nodes,
            "area": area,
            "kinds": OrgKind.choices,
            "communities": _communities(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def org(request, org_id: int):
    """One organisation: what it is, its members, its history; rename, dissolve."""
    _staff(request)
    try:
        item = selectors.org_get(request.user, org_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.method == "POST":
        post = request.POST
        back = reverse("party:org", args=[org_id])
        if post.get("do") == "dissolve":
            return run_form(
                request,
                lambda: actions.org_dissolve(by=request.user, org_id=org_id, reason=post.get("reason", "")),
                _("党组织已撤销"),
                back,
            )
        return run_form(
            request,
            lambda: actions.org_update(
                by=request.user, org_id=org_id, name=post.get("name"), reason=post.get("reason", "")
            ),
            _("已保存"),
            back,
        )
    return render(
        request,
        "party/org.html",
        {
            "tab": "tree",
            "org": item,
            "members": selectors.members_visible(request.user, org=item.pk),
            "children": item.children.filter(is_active=True).order_by("name"),
            "history": item.changes.select_related("by", "into"),
        },
    )


# ---------------------------------------------------------------- members


@login_required
@require_http_methods(["GET", "POST"])
def members(request):
    """The member register (党员名册), and the residents the ledger lists as members who are not registered yet (待建档)."""
    _staff(request)
    area = _area_param(request)
    if request.method == "POST":
        post = request.POST
        return run_form(
            request,
            lambda: actions.member_create(
                by=request.user,
                org=cleaners.integer(post.get("org"), "org", low=1),
                status=post.get("status", ""),
                resident=cleaners.integer(post.get("resident"), "resident", low=1),
                name=post.get("name", ""),
                unit=cleaners.integer(post.get("unit"), "unit", low=1),
                office=post.get("office") or Office.MEMBER,
                joined_on=post.get("joined_on") or None,
                is_in_work=bool(post.get("is_in_work")),
                is_floating=bool(post.get("is_floating")),
            ),
            _("党员已登记"),
            f"{reverse('party:members')}?area={area}",
        )
    q = (request.GET.get("q") or "").strip()[:50]
    page = Paginator(selectors.members_visible(request.user, area=area or None, q=q), 50).get_page(
        request.GET.get("page")
    )
    waiting = selectors.unregistered_party_residents(request.user, area=area or None)
    return render(
        request,
        "party/members.html",
        {
            "tab": "members",
            "page": page,
            "area": area,
            "q": q,
            "waiting": waiting[:30],
            "waiting_count": waiting.count(),
            "orgs": selectors.orgs_visible(request.user, area=area or None).exclude(
                kind=OrgKind.CENTRAL_HOUSEHOLD
            ),
            "statuses": MemberStatus.choices,
            "offices": Office.choices,
            "units": Unit.objects.filter(is_active=True).order_by("name"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member(request, member_id: int):
    """A member: organisation, status, the households they look after, their credit; leaving."""
    _staff(request)
    try:
        item = selectors.member_get(request.user, member_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.method == "POST":
        post = request.POST
        back = reverse("party:member", args=[member_id])
        if post.get("do") == "leave":
            return run_form(
                request,
                lambda: actions.member_leave(
                    by=request.user,
                    member_id=member_id,
                    reason=post.get("reason", ""),
                    note=post.get("note", ""),
                ),
                _("已办理离册，包联户已移交网格员"),
                back,
            )
        return run_form(
            request,
            lambda: actions.member_update(
                by=request.user,
                member_id=member_id,
                status=post.get("status") or None,
                office=post.get("office") or None,
                org=cleaners.integer(post.get("org"), "org", low=1),
            ),
            _("已保存"),
            back,
        )
    return render(
        request,
        "party/member.html",
        {
            "tab": "members",
            "member": item,
            "households": selectors.my_households(item),
            "credit": selectors.member_credit(item),
            "statuses": MemberStatus.choices,
            "offices": Office.choices,
            "reasons": Member.LeftReason.choices,
            "orgs": selectors.orgs_visible(request.user, area=item.area_code[:12]).exclude(
                kind=OrgKind.CENTRAL_HOUSEHOLD
            ),
        },
    )


# ---------------------------------------------------------------- contacts


@login_required
@require_GET
def coverage(request):
    """Contact coverage (包联覆盖): every grid's households and how many have a named contact."""
    _staff(request)
    area = _area_param(request)
    rows = selectors.coverage(request.user, area=area or None)
    total = selectors.coverage_total(rows, _("合计"))
    return render(
        request, "party/coverage.html", {"tab": "coverage", "rows": rows, "total": total, "area": area}
    )


@login_required
@require_http_methods(["GET", "POST"])
def grid_contacts(request, grid: str):
    """A grid's households without a contact, those with one, and naming a contact for the ticked ones."""
    _staff(request)
    if not staff_in_scope(request.user, grid):
        raise Http404
    place = Area.objects.filter(code=grid, is_active=True).first()
    if place is None:
        raise Http404
    back = reverse("party:grid_contacts", args=[grid])
    if request.method == "POST":
        post = request.POST

        def households():
            return [cleaners.integer(v, "households", low=1) for v in post.getlist("households")]

        if post.get("do") == "clear":
            return run_form(
                request,
                lambda: actions.contacts_clear(by=request.user, households=households()),
                _("已取消包联"),
                back,
            )
        who = post.get("who", "")
        kind, _sep, pk = who.partition(":")
        return run_form(
            request,
            lambda: actions.contacts_assign(
                by=request.user,
                households=households(),
                member=cleaners.integer(pk, "member", low=1) if kind == "m" else None,
                worker=cleaners.integer(pk, "worker", low=1) if kind == "w" else None,
            ),
            _("已指定联系人"),
            back,
        )
    # who may look after the grid's households: the members of its branch and groups, and of the committee
    people = selectors.members_visible(request.user, area=grid[:12]).filter(
        Q(area_code__startswith=grid) | Q(area_code=grid[:12])
    )
    workers = User.objects.filter(
        role__in=[Role.GRID_WORKER, Role.GRID_CHIEF], area__code=grid, is_active=True
    )
    return render(
        request,
        "party/grid_contacts.html",
        {
            "tab": "coverage",
            "grid": place,
            "uncovered": selectors.uncovered_households(request.user, grid=grid),
            "contacts": selectors.contacts_in(request.user, grid=grid),
            "members": people,
            "workers": workers,
        },
    )


# ---------------------------------------------------------------- duty cards


@login_required
@require_http_methods(["GET", "POST"])
def card_list(request):
    """Duty cards (职责卡): a community's grids with their codes; make, edit the duties, revoke; print the sheet."""
    _staff(request)
    communities = _communities(request.user)
    community = (request.GET.get("community") or "").strip() or (
        request.user.area.code[:12] if request.user.area_id and len(request.user.area.code) >= 12 else ""
    )
    if not community and communities:
        community = communities[0].code
    if request.method == "POST":
        post = request.POST
        back = f"{reverse('party:cards')}?community={community}"
        grid = post.get("grid", "")
        if post.get("do") == "photo":
            return run_form(
                request,
                lambda: actions.worker_photo_set(
                    by=request.user,
                    worker=cleaners.integer(post.get("worker"), "worker", low=1),
                    photo=request.FILES.get("photo"),
                ),
                _("照片已更新"),
                back,
            )
        if post.get("do") == "revoke":
            return run_form(
                request,
                lambda: actions.card_revoke(by=request.user, grid=grid, reason=post.get("reason", "")),
                _("旧二维码已作废，请重新打印"),
                back,
            )
        duties = post.get("duties")
        return run_form(
            request,
            lambda: actions.card_issue(by=request.user, grid=grid, duties=duties),
            _("职责卡已生成"),
            back,
        )
    found = selectors.cards_of(request.user, community=community)
    workers = selectors.grid_workers([g for g, _c in found])
    rows = [
        {"grid": g, "card": c, "path": cards.card_path(c) if c else None, "workers": workers[g.pk]}
        for g, c in found
    ]
    return render(
        request,
        "party/cards.html",
        {"tab": "cards", "rows": rows, "community": community, "communities": communities},
    )


@login_required
@require_GET
def card_sheet(request):
    """Printable A4 sheet of a community's duty cards (print CSS: six cards a page)."""
    _staff(request)
    community = (request.GET.get("community") or "").strip()
    items = [
        {"view": selectors.card_view(c), "path": cards.card_path(c)}
        for _g, c in selectors.cards_of(request.user, community=community)
        if c is not None
    ]
    place = Area.objects.filter(code=community).first()
    if place is None or not staff_in_scope(request.user, community):
        raise Http404
    return render(request, "party/card_sheet.html", {"items": items, "community": place})


@require_GET
@rate_limited("public")
def card(request, token: str):
    """The duty card (码上便知, public): the duty card a QR code opens. A revoked or altered code is a 404 page saying so."""
    item = cards.card_for_token(token)
    if item is None:
        return render(request, "party/card_invalid.html", status=404)
    view = selectors.card_view(item)
    return render(
        request,
        "party/card.html",
        {
            "view": view,
            "base": cards.card_path(item),
            "report_url": f"{reverse('cases:report')}?grid={item.area_code}",
        },
    )


@require_GET
@rate_limited("public")
def card_photo(request, token: str, pk: int):
    """A grid worker's photo as the public card shows it: only through a valid code, only a photo of a
    worker of that grid."""
    item = cards.card_for_token(token)
    if item is None or pk not in selectors.card_photo_ids(item):
        raise Http404
    return serve(Upload.objects.get(pk=pk), thumb=True)


@require_GET
@rate_limited("public")
def card_qr(request, token: str):
    item = cards.card_for_token(token)
    if item is None:
        raise Http404
    url = request.build_absolute_uri(cards.card_path(item))
    response = HttpResponse(cards.qr_svg(url), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


# ---------------------------------------------------------------- the member's own pages


@login_required
@require_http_methods(["GET", "POST"])
def me(request):
    """My party service (我的党员服务): the households I look after (with the grid's contact chain) and my 双报到."""
    mine = selectors.member_of(request.user)
    if mine is None:
        return render(request, "party/not_member.html", status=404)
    if request.method == "POST":
        post = request.POST
        back = reverse("party:me")
        if post.get("report"):
            return run_form(
                request,
                lambda: actions.report_move(
                    by=request.user,
                    report_id=cleaners.integer(post.get("report"), "report", low=1),
                    action=post.get("action", ""),
                    reason=post.get("reason", ""),
                ),
                _("已提交"),
                back,
            )
        return run_form(
            request,
            lambda: actions.report_request(
                by=request.user, community=post.get("community", ""), note=post.get("note", "")
            ),
            _("报到申请已提交，等待社区确认"),
            back,
        )
    reports = [
        {"report": r, "actions": MACHINE.allowed_actions(request.user, r)}
        for r in mine.reports.select_related("community", "unit")
    ]
    return render(
        request,
        "party/me.html",
        {
            "member": mine,
            "households": selectors.my_households(mine),
            "reports": reports,
            "credit": selectors.member_credit(mine),
            "communities": Area.objects.filter(level=Level.COMMUNITY, is_active=True).order_by("code"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reports(request):
    """In-work members' reports (在职党员报到) for the community: confirm or refuse the requests, see who reported and what they did."""
    _staff(request)
    if request.method == "POST":
        post = request.POST
        return run_form(
            request,
            lambda: actions.report_move(
                by=request.user,
                report_id=cleaners.integer(post.get("report"), "report", low=1),
                action=post.get("action", ""),
                reason=post.get("reason", ""),
            ),
            _("已处理"),
            reverse("party:reports"),
        )
    rows = [
        {
            "report": r,
            "actions": MACHINE.allowed_actions(request.user, r),
            "credit": selectors.member_credit(r.member) if r.state == ReportState.CONFIRMED else None,
        }
        for r in selectors.reports_visible(request.user)[:200]
    ]
    return render(request, "party/reports.html", {"tab": "reports", "rows": rows})


# ---------------------------------------------------------------- agreements, red property


@login_required
@require_http_methods(["GET", "POST"])
def agreements(request):
    """Co-building agreements (共建协议): the agreements of the reader's area (a unit: its own), and registering one."""
    if request.method == "POST":
        _staff(request)
        post = request.POST
        lines = [line for line in (post.get("commitments") or "").splitlines() if line.strip()]
        return run_form(
            request,
            lambda: actions.agreement_create(
                by=request.user,
                unit=cleaners.integer(post.get("unit"), "unit", low=1),
                area=post.get("area", ""),
                title=post.get("title", ""),
                starts_on=post.get("starts_on", ""),
                ends_on=post.get("ends_on", ""),
                commitments=lines,
                note=post.get("note", ""),
            ),
            _("共建协议已登记"),
            reverse("party:agreements"),
        )
    items = selectors.agreements_visible(request.user)
    require(is_staff(request.user) or request.user.role == Role.UNIT)
    return render(
        request,
        "party/agreements.html",
        {
            "tab": "agreements",
            "items": items,
            "staff": is_staff(request.user),
            "units": Unit.objects.filter(
                is_active=True, kind__in=[Unit.Kind.PARTNER, Unit.Kind.PROPERTY, Unit.Kind.SOCIAL]
            ).order_by("name"),
            "areas": filter_in_scope(
                Area.objects.filter(level__in=[Level.STREET, Level.COMMUNITY], is_active=True),
                request.user,
                "code",
            ).order_by("code"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement(request, agreement_id: int):
    """One agreement: its commitments (mark done, link a project), the unit's projects and year scores."""
    try:
        item = selectors.agreement_get(request.user, agreement_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.method == "POST":
        post = request.POST
        back = reverse("party:agreement", args=[agreement_id])
        if post.get("do") == "terminate":
            return run_form(
                request,
                lambda: actions.agreement_end(
                    by=request.user, agreement_id=agreement_id, reason=post.get("reason", "")
                ),
                _("协议已终止"),
                back,
            )
        return run_form(
            request,
            lambda: actions.commitmentrun_form(
                by=request.user,
                commitment_id=cleaners.integer(post.get("commitment"), "commitment", low=1),
                done_on=post.get("done_on") or None,
                project=cleaners.integer(post.get("project"), "project", low=1),
            ),
            _("已记录完成"),
            back,
        )
    projects, scores = selectors.agreement_work(item)
    return render(
        request,
        "party/agreement.html",
        {
            "tab": "agreements",
            "item": item,
            "projects": projects,
            "scores": scores,
            "staff": is_staff(request.user),
            "credit": selectors.unit_credit(item.unit_id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def properties(request):
    """Red property (红色物业): the companies, their party organisation and areas, this month's rating; residents rate."""
    if request.method == "POST":
        post = request.POST
        return run_form(
            request,
            lambda: actions.property_rate(
                by=request.user,
                property_id=cleaners.integer(post.get("property"), "property", low=1),
                score=post.get("score", ""),
                comment=post.get("comment", ""),
            ),
            _("感谢您的评价"),
            reverse("party:properties"),
        )
    items = list(selectors.properties_for_rating(request.user))
    month = selectors.this_month()
    scores = selectors.property_scores([i.pk for i in items], start=month, end=month)
    rows = [{"item": i, "score": scores.get(i.pk)} for i in items]
    return render(
        request,
        "party/properties.html",
        {
            "tab": "properties",
            "rows": rows,
            "rater": request.user.role in (Role.RESIDENT, Role.VOLUNTEER),
            "staff": is_staff(request.user),
        },
    )


# ---------------------------------------------------------------- activities


@login_required
@require_http_methods(["GET", "POST"])
def activities(request):
    """Organisation life (组织生活): recorded activities, recording one, and this quarter's 三会一课 per branch."""
    _staff(request)
    area = _area_param(request)
    if request.method == "POST":
        post = request.POST
        return run_form(
            request,
            lambda: actions.activity_record(
                by=request.user,
                org=cleaners.integer(post.get("org"), "org", low=1),
                kind=post.get("kind", ""),
                held_on=post.get("held_on", ""),
                topic=post.get("topic", ""),
                place=post.get("place", ""),
                summary=post.get("summary", ""),
                attendees=[cleaners.integer(v, "attendees", low=1) for v in post.getlist("attendees")],
                residents_count=post.get("residents_count") or 0,
            ),
            _("活动已记录"),
            f"{reverse('party:activities')}?area={area}",
        )
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    start, end = selectors.quarter_bounds(today.year, quarter)
    page = Paginator(selectors.activities_visible(request.user, area=area or None), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "party/activities.html",
        {
            "tab": "activities",
            "page": page,
            "area": area,
            "kinds": ActivityKind.choices,
            "orgs": selectors.orgs_visible(request.user, area=area or None),
            "members": selectors.members_visible(request.user, area=area or None)[:500],
            "compliance": selectors.compliance(request.user, area=area or None, start=start, end=end),
            "quarter": quarter,
            "year": today.year,
        },
    )
