"""Assessment pages (考核评价、大排名): the rounds and schemes I see, the indicator catalogue with the data
elements, the scheme editor, a round's ranking with its trend and buttons, a member's scorecard, the rows
behind a figure, the evaluator's scoring sheet, the ranking as Excel, and exemptions.

Views stay thin: parse, call one selector or action, render. Out of scope is 404. A refused form keeps what
was typed and shows the action's message next to the field it names; small forms (remove, freeze, revoke)
go through ``core.pages.run_form`` (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.models import Unit
from gridgov.assessment import actions, exports, presenters, selectors
from gridgov.assessment.models import Direction, Normalisation, Pool, Visibility
from gridgov.assessment.workflow import ROUND
from gridgov.core.errors import DomainError
from gridgov.core.pages import error_field, error_status, found, list_query, require, run_form
from gridgov.core.periods import PeriodKind
from gridgov.core.scope import is_staff
from gridgov.core.timeline import timeline_rows
from gridgov.ledger.excel import xlsx_response

SCHEME_FIELDS = {
    "name",
    "description",
    "area",
    "pool",
    "unit_kinds",
    "period_kind",
    "visibility",
    "freeze_after_days",
}
INDICATOR_FIELDS = {
    "code", "name", "description", "numerator", "denominator", "factor", "unit", "direction", "good", "poor",
}  # fmt: skip
EDITOR_FIELDS = SCHEME_FIELDS | {
    "is_active", "group", "weight", "kind", "indicator", "guidance", "normalisation", "target", "item",
    "username", "period",
}  # fmt: skip
EDITOR_FORMS = (
    "scheme",
    "group_add",
    "item_add_quantitative",
    "item_add_qualitative",
    "evaluator_add",
    "round_open",
)
EXEMPTION_FIELDS = {"case", "reason"}
PERIOD_KINDS = [(v, label) for v, label in PeriodKind.choices if v != PeriodKind.CUSTOM]


def _reader(request) -> None:
    """The assessment pages are for staff, evaluators and units' handlers; anyone else gets the 404 page."""
    require(selectors.may_open_assessment(request.user))


def _submit(request, step: Callable[[], object], done: str, then, refused: Callable[[DomainError], object]):
    """A form whose refusal is shown next to its field: run ``step``; on success say ``done`` and go to
    ``then`` (a URL, or a function of what the step returned; post/redirect/get); on a refusal answer
    ``refused(exc)`` — the page again, with what was typed and the message beside the field."""
    try:
        result = step()
    except DomainError as exc:
        return refused(exc)
    messages.success(request, done)
    return redirect(then(result) if callable(then) else then)


def _row_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


# ---------------------------------------------------------------- home: rounds and schemes


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    """考核排名: the rounds I see (kept, evaluated, or published rankings of mine) and, for keepers, the
    schemes with a form to set one up."""
    _reader(request)
    if request.method != "POST":
        return _home(request)
    post = request.POST
    values = {name: post.get(name, "") for name in SCHEME_FIELDS} | {"unit_kinds": post.getlist("unit_kinds")}
    return _submit(
        request,
        lambda: actions.scheme_create(
            by=request.user, name=values["name"], description=values["description"], area=values["area"],
            pool=values["pool"], unit_kinds=values["unit_kinds"], period_kind=values["period_kind"],
            visibility=values["visibility"], freeze_after_days=values["freeze_after_days"] or None,
        ),
        _("考核方案已制定，请设置分组、考核项和考核员"),
        lambda scheme: reverse("assessment:scheme", args=[scheme.pk]),
        lambda exc: _home(
            request, values, {error_field(exc, SCHEME_FIELDS): exc.message}, status=error_status(exc)
        ),
    )  # fmt: skip


def _home(request, values: dict | None = None, errors: dict | None = None, status: int = 200):
    return render(
        request,
        "assessment/home.html",
        {
            "tab": "home",
            **selectors.overview(request.user),
            "values": values or {"period_kind": PeriodKind.MONTH, "visibility": Visibility.OWN},
            "errors": errors or {},
            "pools": Pool.choices,
            "period_kinds": PERIOD_KINDS,
            "visibilities": Visibility.choices,
            "unit_kinds": Unit.Kind.choices,
        },
        status=status,
    )


# ---------------------------------------------------------------- the indicator catalogue


@login_required
@require_http_methods(["GET", "POST"])
def indicators(request):
    """考核指标: every indicator with its formulas, factor, direction and bands; the data elements with their
    definitions; a new indicator (district staff), its formula checked where it is typed."""
    if request.method != "POST":
        return _indicators(request)
    post = request.POST
    values = {name: post.get(name, "") for name in INDICATOR_FIELDS}
    return _submit(
        request,
        lambda: actions.indicator_create(
            by=request.user, code=values["code"], name=values["name"], description=values["description"],
            numerator=values["numerator"], denominator=values["denominator"], factor=values["factor"] or None,
            unit=values["unit"], direction=values["direction"], good=values["good"] or None,
            poor=values["poor"] or None,
        ),
        _("指标已加入目录"),
        lambda ind: ind.get_absolute_url(),
        lambda exc: _indicators(
            request, values, {error_field(exc, INDICATOR_FIELDS): exc.message}, status=error_status(exc)
        ),
    )  # fmt: skip


def _indicators(request, values: dict | None = None, errors: dict | None = None, status: int = 200):
    try:
        catalogue = selectors.catalogue(request.user)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "assessment/indicators.html",
        {
            "tab": "indicators",
            **catalogue,
            "values": values or {"factor": "100", "direction": Direction.HIGHER},
            "errors": errors or {},
            "directions": Direction.choices,
        },
        status=status,
    )


# ---------------------------------------------------------------- the scheme editor


@login_required
@require_http_methods(["GET", "POST"])
def scheme(request, scheme_id: int):
    """考核方案: the editor for its keepers (the scheme, groups and weights, items, evaluators, rounds and
    opening one); read-only for its evaluators."""
    editor = found(selectors.scheme_editor, request.user, scheme_id)
    if request.method != "POST":
        return _scheme(request, editor)
    post, by = request.POST, request.user
    do = post.get("do", "")
    back = reverse("assessment:scheme", args=[scheme_id])
    small = {
        "group_remove": (
            lambda: actions.group_remove(by=by, scheme=scheme_id, group=post.get("group", "")), _("分组已移除"),
        ),
        "item_remove": (lambda: actions.item_remove(by=by, scheme=scheme_id, item=post.get("item", "")), _("考核项已移除")),
        "evaluator_remove": (
            lambda: actions.evaluator_remove(by=by, scheme=scheme_id, username=post.get("username", "")),
            _("已取消考核员"),
        ),
    }  # fmt: skip
    if do in small:
        return run_form(request, *small[do], back)
    edit = {
        name: post[name] for name in ("name", "guidance", "weight", "normalisation", "target") if name in post
    }
    steps = {
        "scheme": (
            lambda: actions.scheme_update(
                by=by, scheme=scheme_id, name=post.get("name", ""), description=post.get("description", ""),
                period_kind=post.get("period_kind", ""), visibility=post.get("visibility", ""),
                freeze_after_days=post.get("freeze_after_days") or None, is_active=bool(post.get("is_active")),
                **({"unit_kinds": post.getlist("unit_kinds")} if editor["scheme"].pool == Pool.UNITS else {}),
            ),
            _("方案已保存（生成新版本）"), back,
        ),
        "group_add": (
            lambda: actions.group_add(by=by, scheme=scheme_id, name=post.get("name", ""), weight=post.get("weight", "")),
            _("分组已添加"), back,
        ),
        "group_update": (
            lambda: actions.group_update(
                by=by, scheme=scheme_id, group=post.get("group", ""), name=post.get("name"), weight=post.get("weight"),
            ),
            _("分组已修改"), back,
        ),
        "item_add_quantitative": (
            lambda: actions.item_add(
                by=by, scheme=scheme_id, kind="quantitative", group=post.get("group", ""),
                indicator=post.get("indicator", ""), name=post.get("name", ""), weight=post.get("weight", ""),
                normalisation=post.get("normalisation", ""), target=post.get("target") or None,
            ),
            _("考核项已添加"), back,
        ),
        "item_add_qualitative": (
            lambda: actions.item_add(
                by=by, scheme=scheme_id, kind="qualitative", group=post.get("group", ""), name=post.get("name", ""),
                guidance=post.get("guidance", ""), weight=post.get("weight", ""),
            ),
            _("考核项已添加"), back,
        ),
        "item_update": (
            lambda: actions.item_update(by=by, scheme=scheme_id, item=post.get("item", ""), **edit),
            _("考核项已修改"), back,
        ),
        "evaluator_add": (
            lambda: actions.evaluator_add(by=by, scheme=scheme_id, username=post.get("username", "")),
            _("已指定考核员"), back,
        ),
        "round_open": (
            lambda: actions.round_open(by=by, scheme=scheme_id, period=post.get("period", "")),
            _("考核期已开始，排名实时计算"), lambda rnd: rnd.get_absolute_url(),
        ),
    }  # fmt: skip
    require(do in steps)
    step, done, then = steps[do]
    row = _row_id(post.get("group") if do == "group_update" else post.get("item"))

    def refused(exc: DomainError):
        failed = {
            "do": do,
            "row": row,
            "values": post,
            "errors": {error_field(exc, EDITOR_FIELDS): exc.message},
        }
        return _scheme(request, editor, failed, status=error_status(exc))

    return _submit(request, step, done, then, refused)


def _scheme(request, editor: dict, failed: dict | None = None, status: int = 200):
    failed = failed or {}
    scheme = editor["scheme"]
    forms = {name: {"errors": {}, "values": {}} for name in EDITOR_FORMS}
    if failed.get("do") in forms:
        forms[failed["do"]] = {"errors": failed["errors"], "values": failed["values"]}
    if failed.get("do") != "scheme":
        forms["scheme"]["values"] = {
            "name": scheme.name, "description": scheme.description, "period_kind": scheme.period_kind,
            "visibility": scheme.visibility, "freeze_after_days": scheme.freeze_after_days or "",
            "is_active": scheme.is_active, "unit_kinds": scheme.unit_kinds,
        }  # fmt: skip
    else:
        forms["scheme"]["values"] = failed["values"].dict() | {
            "unit_kinds": failed["values"].getlist("unit_kinds")
        }
    # A refused change of one group's or item's row is shown on that row, with what was typed.
    for kind, rows in (("group_update", editor["groups"]), ("item_update", editor["items"])):
        for row in rows:
            row.failed = failed if failed.get("do") == kind and failed.get("row") == row.pk else None
    return render(
        request,
        "assessment/scheme.html",
        {
            "tab": "home",
            **editor,
            "forms": forms,
            "period_kinds": PERIOD_KINDS,
            "visibilities": Visibility.choices,
            "normalisations": Normalisation.choices,
            "unit_kinds": Unit.Kind.choices,
        },
        status=status,
    )


# ---------------------------------------------------------------- a round


@login_required
@require_http_methods(["GET", "POST"])
def round_page(request, round_id: int):
    """考核期: the ranking (rank, total, group scores, each item's value, the change against the previous
    period), the buttons the round allows (freeze, reopen with a reason, publish) and its timeline."""
    rnd = found(selectors.round_get, request.user, round_id)
    if request.method == "POST":
        post, by = request.POST, request.user
        steps = {
            "freeze": (lambda: actions.round_freeze(by=by, round=rnd.pk), _("排名已冻结，本期结果不再变化")),
            "reopen": (
                lambda: actions.round_reopen(by=by, round=rnd.pk, reason=post.get("reason", "")),
                _("已重新开放评分"),
            ),
            "publish": (lambda: actions.round_publish(by=by, round=rnd.pk), _("排名已发布，参评单位已收到通知")),
        }  # fmt: skip
        do = post.get("do", "")
        require(do in steps)
        return run_form(request, *steps[do], reverse("assessment:round", args=[rnd.pk]))
    ranking = selectors.ranking(request.user, rnd)
    return render(
        request,
        "assessment/round.html",
        {
            "tab": "home",
            "round": rnd,
            "period": selectors.period_of(rnd),
            "ranking": ranking,
            "table": presenters.table(ranking["rows"], ranking["definition"]),
            "actions": ROUND.allowed_actions(request.user, rnd),
            "evaluates": selectors.is_evaluator(request.user, rnd.scheme),
            "keeps": selectors.manages(request.user, rnd.scheme),
            "timeline": timeline_rows(rnd, ROUND.labels()),
        },
    )


@login_required
@require_GET
def export(request, round_id: int):
    """The ranking I see as a workbook: 排名 (every row's figures and inputs) and 方案 (the definition)."""
    rnd = found(selectors.round_get, request.user, round_id)
    ranking = selectors.ranking(request.user, rnd)
    name = _("考核排名-%(scheme)s-%(period)s.xlsx") % {"scheme": rnd.scheme.name, "period": rnd.period}
    return xlsx_response(exports.ranking_workbook(rnd, ranking), name)


@login_required
@require_GET
def member(request, round_id: int, key: str):
    """成绩单: one member's position, total, group scores, every item's figures with the drill-downs behind
    them, and the evaluators' marks with their comments."""
    rnd = found(selectors.round_get, request.user, round_id)
    card = found(selectors.scorecard, request.user, rnd, key)
    return render(
        request,
        "assessment/member.html",
        {
            "tab": "home",
            "round": rnd,
            "period": selectors.period_of(rnd),
            **card,
            "groups": presenters.scorecard_groups(card["row"], card["definition"]),
            "items": presenters.scorecard_items(card["row"], card["definition"], card["marks"]),
        },
    )


@login_required
@require_GET
def drill(request, round_id: int, key: str, item_id: int):
    """明细: the rows behind one figure (a numerator, a denominator, those not achieved, or one element),
    50 a page, with the member's exempted cases and the kept figure beside the count."""
    rnd = found(selectors.round_get, request.user, round_id)
    part = (request.GET.get("part") or "numerator").strip()[:12]
    element = (request.GET.get("element") or "").strip()[:60] or None
    context = {"tab": "home", "round": rnd, "key": key, "period": selectors.period_of(rnd)}
    try:
        shown = found(selectors.drill_page, request.user, rnd, key, item_id, part=part, element=element)
    except DomainError as exc:
        return render(request, "assessment/drill.html", {**context, "refusal": exc.message}, status=400)
    page = Paginator(shown["rows"], 50).get_page(request.GET.get("page"))
    name = shown["element"]
    return render(
        request,
        "assessment/drill.html",
        {
            **context,
            **shown,
            "column": next(
                c for c in presenters.item_columns(shown["definition"]) if c["id"] == str(item_id)
            ),
            "page": page,
            "described": [presenters.drill_row(name, row) for row in page.object_list],
            "query": list_query(request),
        },
    )


# ---------------------------------------------------------------- the evaluator's sheet


@login_required
@require_http_methods(["GET", "POST"])
def marks(request, round_id: int):
    """评分: the evaluator's sheet — a score (0–100) and a comment per member and qualitative item, saved
    all at once; a refusal names the row and keeps everything typed."""
    rnd = found(selectors.round_get, request.user, round_id)
    sheet = found(selectors.marks_sheet, request.user, rnd)
    rows = sheet["rows"]
    if request.method != "POST":
        return _marks(request, rnd, sheet)
    post = request.POST
    given = [
        {
            "item": r["item"].pk,
            "key": r["key"],
            "score": post.get(f"score-{r['item'].pk}-{r['key']}", "").strip(),
            "comment": post.get(f"comment-{r['item'].pk}-{r['key']}", ""),
        }
        for r in rows
    ]

    def refused(exc: DomainError):
        field = exc.field or ""
        index = _row_id(field[6 : field.find("]")]) if field.startswith("marks[") else None
        at = rows[index] if index is not None and index < len(rows) else None
        message = exc.message
        if at is not None:
            message = _("第 %(n)s 行（%(member)s · %(item)s）：%(message)s") % {
                "n": index + 1, "member": at["name"], "item": at["item"].name, "message": exc.message,
            }  # fmt: skip
        failed = {"row": index, "field": field.rsplit(".", 1)[-1], "message": message, "values": given}
        return _marks(request, rnd, sheet, failed, status=error_status(exc))

    return _submit(
        request,
        lambda: actions.marks_save(by=request.user, round=rnd.pk, marks=[m | {"score": m["score"] or None} for m in given]),
        _("评分已保存"),
        reverse("assessment:marks", args=[rnd.pk]),
        refused,
    )  # fmt: skip


def _marks(request, rnd, sheet: dict, failed: dict | None = None, status: int = 200):
    failed = failed or {}
    typed = failed.get("values")
    lines = []
    for index, row in enumerate(sheet["rows"]):
        mark = row["mark"]
        if typed:
            score, comment = typed[index]["score"], typed[index]["comment"]
        else:
            score = presenters.plain(mark.score) if mark else ""
            comment = mark.comment if mark else ""
        lines.append(
            {
                **row,
                "index": index + 1,
                "score": score,
                "comment": comment,
                "error": failed.get("message") if failed.get("row") == index else "",
                "error_field": failed.get("field") if failed.get("row") == index else "",
            }
        )
    return render(
        request,
        "assessment/marks.html",
        {
            "tab": "home",
            "round": rnd,
            "period": selectors.period_of(rnd),
            "open": sheet["open"],
            "lines": lines,
            "form_error": failed.get("message") if failed and failed.get("row") is None else "",
            "failed": bool(failed),
        },
        status=status,
    )


# ---------------------------------------------------------------- exemptions


@login_required
@require_http_methods(["GET", "POST"])
def exemptions(request):
    """免责事件: the exemptions of my scope; street and district staff exempt a case by its number with a
    reason, and revoke one with a reason."""
    require(is_staff(request.user))
    back = reverse("assessment:exemptions")
    if request.method != "POST":
        return _exemptions(request)
    post = request.POST
    if post.get("do") == "revoke":
        return run_form(
            request,
            lambda: actions.exemption_revoke(by=request.user, exemption=post.get("exemption", ""), reason=post.get("reason", "")),
            _("免责已撤销，该事件重新计入考核"),
            back,
        )  # fmt: skip
    values = {name: post.get(name, "") for name in EXEMPTION_FIELDS}
    return _submit(
        request,
        lambda: actions.exemption_create(by=request.user, case=values["case"], reason=values["reason"]),
        _("已免责，评分中的考核期即时生效"),
        back,
        lambda exc: _exemptions(
            request, values, {error_field(exc, EXEMPTION_FIELDS): exc.message}, status=error_status(exc)
        ),
    )


def _exemptions(request, values: dict | None = None, errors: dict | None = None, status: int = 200):
    page = Paginator(selectors.exemptions_visible(request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "assessment/exemptions.html",
        {
            "tab": "exemptions",
            "page": page,
            "decides": selectors.may_exempt(request.user),
            "values": values or {},
            "errors": errors or {},
        },
        status=status,
    )
