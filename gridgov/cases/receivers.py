"""What cases do on signals and on their own steps: the category cache follows the categories; a new
report tells whoever must accept it; a step settles the messages that asked for the action it took."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy

from gridgov.cases import category_cache
from gridgov.cases.models import OPEN_STATES, Category, CategoryAttribute, State
from gridgov.core import events
from gridgov.notify.models import Kind

LABEL = "cases.case"

# The messages that ask someone to act, and the states of the case in which that action is still due: once
# the case is in none of them, the message is settled (done).
ACTION_NEEDED = {
    Kind.REPORTED: (State.REPORTED,),  # accept or reject
    Kind.RETURNED: (State.ACCEPTED,),  # dispatch again
    Kind.REOPENED: (State.ACCEPTED,),  # dispatch again
    Kind.DISPATCH: (State.DISPATCHED,),  # claim
    Kind.REWORK: (State.IN_PROGRESS,),  # resolve again
    Kind.RESOLVED: (State.RESOLVED,),  # verify (and then close)
    Kind.WARNING: OPEN_STATES,  # a deadline, an escalation, a whistle: until the case is finished
    Kind.OVERDUE: OPEN_STATES,
    Kind.ESCALATION: OPEN_STATES,
    Kind.WHISTLE: OPEN_STATES,
}


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=CategoryAttribute)
def categories_changed(sender, **kwargs):  # noqa: ARG001
    category_cache.bump_version()


def interested(label: str) -> bool:
    return label == LABEL


def on_step(event: events.Event) -> None:
    """A case step, in its transaction: a new report is told to its dispatchers; a step that moved the case
    out of the state a message asked to act in settles that message."""
    if event.label != LABEL:
        return
    case = event.obj
    if event.action == "report":
        tell_new_report(case, event.by)
        return
    if event.from_state == event.to_state:
        return
    from gridgov.notify.actions import notifications_settle

    settled = [kind for kind, states in ACTION_NEEDED.items() if event.to_state not in states]
    notifications_settle(case=case, kinds=settled, at=event.at)


def tell_new_report(case, by) -> None:
    """新上报: the case's dispatchers (who accept or reject it), except whoever entered it."""
    from gridgov.cases.actions.shared import tell_case
    from gridgov.cases.selectors import case_dispatchers

    entered = getattr(by, "pk", None)
    users = [u for u in case_dispatchers(case) if u.pk != entered]
    if users:
        tell_case(
            users,
            Kind.REPORTED,
            case,
            gettext_lazy("新上报，请受理：%(category)s"),
            params={"category": case.category.name},
        )


# imported from ``CasesConfig.ready``
events.listen(on_step, interested)
