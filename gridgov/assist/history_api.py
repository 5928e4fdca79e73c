"""``/api/v1/assist/history``: history import jobs (upload an .xlsx or .csv of an old system's work orders,
list, status with counts, unmapped names and row errors) and the mapping of old category and unit names.
docs/assist.md "History import"."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gridgov.assist import history
from gridgov.assist.models import HistoryImport
from gridgov.core.pagination import Pages

router = Router(tags=["history import"])


class HistoryRowErrorOut(Schema):
    row: int = Field(..., description="row number in the file (the header is row 1)")
    column: str = Field(..., description="column header")
    value: str | int | float | bool | None = None
    reason: str


class HistoryUnmappedOut(Schema):
    categories: dict[str, int] = Field(default_factory=dict, description="old category name → rows")
    units: dict[str, int] = Field(default_factory=dict, description="old unit name → rows")


class HistoryImportOut(Schema):
    id: int
    filename: str
    area: str | None = Field(None, description="area code of the import")
    on_unmapped: str = Field(..., description="refuse or skip")
    state: str = Field(..., description="queued, running, rejected, done, failed")
    state_label: str
    rows_total: int
    rows_created: int
    rows_existing: int = Field(..., description="rows imported before (same old number or content)")
    rows_skipped: int
    error_count: int
    message: str
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_area(obj: HistoryImport) -> str | None:
        return obj.area.code if obj.area_id else None

    @staticmethod
    def resolve_state_label(obj: HistoryImport) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_created_by(obj: HistoryImport) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


class HistoryImportDetailOut(HistoryImportOut):
    unmapped: HistoryUnmappedOut
    errors: list[HistoryRowErrorOut] = Field(default_factory=list, description="the first 500 row errors")

    @staticmethod
    def resolve_unmapped(obj: HistoryImport) -> dict:
        return {"categories": {}, "units": {}, **(obj.unmapped or {})}


class HistoryAliasOut(Schema):
    kind: str = Field(..., description="category or unit")
    name: str = Field(..., description="the old system's name")
    mapped: bool = Field(..., description="an alias is stored for the name")
    target: str | None = Field(None, description="category code or unit id; null: left out / no unit")
    target_name: str | None = None
    rows: int = Field(..., description="rows of visible imports that carried the name while unmapped")


class HistoryAliasesOut(Schema):
    categories: list[HistoryAliasOut]
    units: list[HistoryAliasOut]


class HistoryAliasIn(Schema):
    kind: str = Field(..., description="category or unit")
    name: str = Field(..., max_length=100, description="the old system's name")
    target: str | None = Field(
        None, max_length=40, description="category code (or id) or unit id (or name); null or empty: none"
    )


def _alias_out(row: history.AliasRow) -> dict:
    target = getattr(row.alias, row.kind, None) if row.alias else None
    return {
        "kind": row.kind,
        "name": row.name,
        "mapped": row.alias is not None,
        "target": (target.code if row.kind == "category" else str(target.pk)) if target else None,
        "target_name": target.name if target else None,
        "rows": row.rows,
    }


@router.get("", response=list[HistoryImportOut], summary="List history import jobs")
@paginate(Pages)
def list_history_imports(request: HttpRequest):
    return history.imports_visible_to(request.auth)


@router.post(
    "", response={201: HistoryImportOut}, summary="Upload a file of old work orders and queue its import"
)
def create_history_import(
    request: HttpRequest,
    file: File[UploadedFile],
    on_unmapped: Form[str] = "refuse",
    area: Form[str] = "",
):
    job = history.history_import_create(
        by=request.auth, file=file, filename=file.name or "", on_unmapped=on_unmapped, area=area or None
    )
    return Status(201, history.import_get_visible(request.auth, job.pk))


@router.get("/aliases", response=HistoryAliasesOut, summary="Old category and unit names and their mapping")
def list_history_aliases(request: HttpRequest):
    overview = history.aliases_overview(request.auth)
    return {
        "categories": [_alias_out(r) for r in overview["category"]],
        "units": [_alias_out(r) for r in overview["unit"]],
    }


@router.put("/aliases", response=HistoryAliasOut, summary="Map an old category or unit name")
def put_history_alias(request: HttpRequest, payload: HistoryAliasIn):
    alias = history.alias_set(by=request.auth, kind=payload.kind, name=payload.name, target=payload.target)
    return _alias_out(history.AliasRow(payload.kind, alias.name, 0, alias))


@router.get(
    "/{int:job_id}",
    response=HistoryImportDetailOut,
    summary="A history import job: counts, unmapped names, errors",
)
def get_history_import(request: HttpRequest, job_id: int):
    return history.import_get_visible(request.auth, job_id)
