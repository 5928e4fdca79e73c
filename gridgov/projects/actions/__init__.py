"""Writes of the three lists (needs, resources, projects) and the co-building scores, one module per aggregate: ``needs``,
``resources``, ``projects``, ``scores``. Every write checks role (403), scope (404), input (400) and state
(409 with the allowed actions), runs in one transaction and leaves a timeline step and an audit entry;
state moves only through the workflow machines of ``gridgov.projects.workflow``."""

from gridgov.projects.actions.needs import (
    NEED_FIELDS,
    need_close,
    need_record,
    need_record_once,
    need_reopen,
    need_update,
    needs_move,
)
from gridgov.projects.actions.projects import (
    PROJECT_FIELDS,
    milestone_add,
    milestone_done,
    project_assign,
    project_claim,
    project_close,
    project_complete,
    project_create,
    project_evaluate,
    project_publish,
    project_return,
    project_set_progress,
    project_update,
    project_withdraw,
)
from gridgov.projects.actions.resources import (
    RESOURCE_FIELDS,
    may_edit_resource,
    may_register_resource,
    resource_create,
    resource_update,
)
from gridgov.projects.actions.scores import cobuilding_rule_set, may_score, unit_score

__all__ = [
    "NEED_FIELDS",
    "PROJECT_FIELDS",
    "RESOURCE_FIELDS",
    "cobuilding_rule_set",
    "may_edit_resource",
    "may_register_resource",
    "may_score",
    "milestone_add",
    "milestone_done",
    "need_close",
    "need_record",
    "need_record_once",
    "need_reopen",
    "need_update",
    "needs_move",
    "project_assign",
    "project_claim",
    "project_close",
    "project_complete",
    "project_create",
    "project_evaluate",
    "project_publish",
    "project_return",
    "project_set_progress",
    "project_update",
    "project_withdraw",
    "resource_create",
    "resource_update",
    "unit_score",
]
