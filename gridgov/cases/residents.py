"""What ``cases`` does for residents' own accounts (``accounts.residents``): when a resident signs in by
code, the cases they reported earlier with that mobile number and no account become theirs (``reporter``),
each with a step on its timeline; and a resident hears in their inbox when the community decides on their
household binding (``notify``, an app above ``accounts``).

Registered from ``CasesConfig.ready``. Idempotent: a sign-in finds only the cases still without a reporter.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.accounts.models import HouseholdBinding, User
from gridgov.accounts.residents import on_binding_decided, on_signed_in
from gridgov.cases import events
from gridgov.cases.models import Case, CaseReporter
from gridgov.core.crypto import blind_indexes
from gridgov.core.i18n import message
from gridgov.notify.actions import tell

ATTACHED = "account_linked"  # the timeline step written on each case that became the account's
BINDING_KIND = "binding"  # the inbox kind of the binding's answer (户籍绑定)


def attach_reports(user: User, phone: str) -> list[Case]:
    """Give ``user`` the cases reported with ``phone`` by no account (and the merged reports of them)."""
    hashes = blind_indexes(phone)
    cases = list(
        Case.objects.select_for_update()
        .filter(reporter__isnull=True, reporter_phone_hash__in=hashes)
        .order_by("pk")
    )
    for case in cases:
        case.reporter = user
        case.save(update_fields=["reporter"])
        events.step(
            case,
            user,
            ATTACHED,
            case.state,
            note=message(gettext_noop("上报人注册了账号，此前用手机号上报的事件已关联到该账号")),
            data={"reporter": user.username},
        )
    CaseReporter.objects.filter(user__isnull=True, phone_hash__in=hashes).update(user=user)
    return cases


def tell_binding_decided(binding: HouseholdBinding) -> None:
    if binding.state == HouseholdBinding.State.CONFIRMED:
        title = gettext_lazy("您的户籍绑定申请已由社区确认")
        body = ""
    else:
        title = gettext_lazy("您的户籍绑定申请未通过")
        body = gettext_lazy("原因：%(reason)s")
    tell([binding.user], BINDING_KIND, binding, title, body, params={"reason": binding.reason})


def register() -> None:
    on_signed_in(attach_reports)
    on_binding_decided(tell_binding_decided)
