"""Resident pages (mobile first): sign-in by mobile number and one-time code (a new number signs up), the
resident's household binding, and the community's queue of binding requests.

Views stay thin: parse, call one action or selector, render. A ``DomainError`` is shown next to its field;
a 429 keeps its ``Retry-After``. The phone number travels only in POST bodies, never in a URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.accounts import codes, residents, selectors
from gridgov.accounts.models import HouseholdBinding
from gridgov.core.crypto import mask_phone
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import error_field, error_status, require
from gridgov.core.ratelimit import with_retry_after
from gridgov.core.scope import is_command_staff

BACKEND = "gridgov.accounts.backends.ThrottledModelBackend"
SIGNIN_FIELDS = {"phone", "code", "display_name"}


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else ""


@require_http_methods(["GET", "POST"])
def resident_signin(request):
    """手机号登录: the number, then the code sent to it; a number without an account signs up."""
    step = "phone"
    errors: dict[str, str] = {}
    error = None
    values = {
        "phone": (request.POST.get("phone") or "").strip(),
        "display_name": (request.POST.get("display_name") or "").strip(),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "verify":
                step = "code"
                user, created = residents.resident_sign_in(
                    phone=values["phone"],
                    code=request.POST.get("code", ""),
                    display_name=values["display_name"],
                    request=request,
                )
                login(request, user, backend=BACKEND)
                messages.success(request, _("注册成功，欢迎使用！") if created else _("登录成功"))
                return redirect(_next(request) or "web:home")
            codes.code_send(phone=values["phone"], request=request)
            step = "code"
            messages.success(
                request,
                _("验证码已发送至 %(phone)s，%(minutes)s 分钟内有效")
                % {
                    "phone": mask_phone(codes.mobile(values["phone"])),
                    "minutes": max(1, codes.ttl_minutes()),
                },
            )
        except DomainError as exc:
            error = exc
            errors[error_field(exc, SIGNIN_FIELDS)] = exc.message
            if exc.field == "phone":
                step = "phone"
    context = {
        "step": step,
        "errors": errors,
        "values": values,
        "masked_phone": mask_phone(values["phone"]) if step == "code" else "",
        "next": _next(request),
        "code_length": codes.CODE_DIGITS,
    }
    status = 200 if error is None else error_status(error)
    response = render(request, "accounts/signin.html", context, status=status)
    return with_retry_after(response, error) if error is not None else response


@login_required
@require_http_methods(["GET", "POST"])
def household_bind(request):
    """户籍绑定: the resident types their ID number once; the community confirms."""
    require(request.user.role in residents.CODE_ROLES)
    errors: dict[str, str] = {}
    error = None
    if request.method == "POST":
        try:
            residents.household_bind_request(by=request.user, id_number=request.POST.get("id_number", ""))
        except DomainError as exc:
            error = exc
            errors[error_field(exc, {"id_number"})] = exc.message
        else:
            messages.success(request, _("申请已提交，请等待社区确认"))
            return redirect("accounts:household_bind")
    binding = selectors.binding_of(request.user)
    context = {
        "binding": selectors.binding_row(binding) if binding else None,
        "may_ask": binding is None or binding.state == HouseholdBinding.State.REFUSED,
        "errors": errors,
    }
    status = 200 if error is None else error_status(error)
    response = render(request, "accounts/household.html", context, status=status)
    return with_retry_after(response, error) if error is not None else response


@login_required
def bindings(request):
    """户籍绑定审核: the binding requests of the households in the staff member's scope."""
    require(is_command_staff(request.user))
    state = request.GET.get("state") or HouseholdBinding.State.PENDING
    if state not in HouseholdBinding.State.values:
        state = HouseholdBinding.State.PENDING
    rows = [selectors.binding_row(b) for b in selectors.bindings_to_decide(request.user, state)[:200]]
    context = {
        "rows": rows,
        "state": state,
        "states": HouseholdBinding.State.choices,
        "reason_limit": HouseholdBinding._meta.get_field("reason").max_length,
    }
    return render(request, "accounts/bindings.html", context)


@login_required
@require_POST
def binding_act(request, pk: int, action: str):
    require(is_command_staff(request.user))
    try:
        if action == "confirm":
            residents.binding_confirm(by=request.user, pk=pk)
            messages.success(request, _("已确认绑定"))
        elif action == "refuse":
            residents.binding_refuse(by=request.user, pk=pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("已拒绝绑定"))
        else:
            raise Http404
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:bindings")
