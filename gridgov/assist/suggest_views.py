"""Pages of the suggestions (/assist/): the models and their figures on held-out history, retraining, the
auto-apply thresholds with the precision each would give, and a dispatcher's answer to a case's
suggestion (posted from the case page's panel).

Views stay thin: check who may see the page (everyone else gets the 404 page), call one selector or
action, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.assist import actions, selectors, suggest
from gridgov.assist.history import may_import as history_may_import
from gridgov.core.errors import DomainError
from gridgov.core.pages import found, require


@login_required
@require_GET
def overview(request):
    """Smart assistance: the active model's figures, earlier models, the training button."""
    require(selectors.may_view_figures(request.user))
    active = selectors.active_model()
    return render(
        request,
        "assist/overview.html",
        {
            "active": active,
            "figures": selectors.model_figures(active) if active else [],
            "models": selectors.models_list(),
            "may_manage": selectors.may_manage(request.user),
            "may_import": history_may_import(request.user),
        },
    )


@login_required
@require_GET
def model_detail(request, version: int):
    require(selectors.may_view_figures(request.user))
    model = found(selectors.model_get, version)
    return render(request, "assist/model.html", {"model": model, "figures": selectors.model_figures(model)})


@login_required
@require_POST
def train(request):
    require(selectors.may_manage(request.user))
    try:
        model = actions.training_request(by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已开始训练 v%(version)s，完成后在此显示指标") % {"version": model.version}
        )
    return redirect("assist:overview")


@login_required
@require_http_methods(["GET", "POST"])
def thresholds(request):
    """The auto-apply thresholds: per category, the confidence at which a suggestion applies itself and the precision the
    active model measured there."""
    require(selectors.may_view_figures(request.user))
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        require(selectors.may_manage(request.user))
        code = request.POST.get("category", "")
        try:
            actions.threshold_set(
                by=request.user,
                category_code=code,
                confidence=request.POST.get("confidence", ""),
                min_precision=request.POST.get("min_precision", ""),
                is_active=request.POST.get("is_active") == "1",
            )
        except DomainError as exc:
            errors[code] = exc.message
            status = 400 if exc.status != 404 else 404
        else:
            messages.success(request, _("阈值已保存"))
            return redirect("assist:thresholds")
    return render(
        request,
        "assist/thresholds.html",
        {
            "rows": selectors.threshold_rows(),
            "active": selectors.active_model(),
            "points": [f"{p:.2f}" for p in selectors.CURVE_POINTS],
            "errors": errors,
            "may_manage": selectors.may_manage(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def decide(request, ref: str):
    """A dispatcher's answer to the category suggestion on the case page."""
    try:
        suggest.suggestion_decide(
            ref=ref,
            by=request.user,
            decision=request.POST.get("decision", ""),
            category_code=request.POST.get("category", ""),
        )
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已处理分类建议"))
    return redirect("cases:detail", ref=ref)
