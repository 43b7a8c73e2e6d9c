"""``/api/v1/sources``: partner departments push their data (部门接口推送), staff read the catalog.

A partner pushes with a token scoped ``sources:<code>`` (``minzheng tokens issue --scope
sources:death``), which can push that source and nothing else; staff with ``sources.load`` may push
with their own token. The body is a multipart ``file`` or a raw ``text/csv`` body; the answer is
the same JSON as ``minzheng sources load``: 201 accepted, 422 refused (nothing changed).
"""

from __future__ import annotations

import datetime as dt
import tempfile

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from minzheng.engines.verification import store
from minzheng.engines.verification.models import BatchChannel, DataSource
from minzheng.foundation.accounts.scoping import has_permission

from .auth import BearerToken, ScopedToken, require_scope, token_scopes
from .routers import api_router
from .schemas import ErrorOut

router = Router(tags=["部门共享数据"])

CSV_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary", "description": "CSV 或 .xlsx"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string", "description": "CSV 正文（UTF-8 或 GB18030），首行为表头"}},
        }
    }
}


class BatchErrorOut(Schema):
    row: int | None = None
    column: str
    message: str


class BatchOut(Schema):
    source: str
    batch: int
    rows: int
    accepted: bool
    errors: list[BatchErrorOut]


class SourceOut(Schema):
    code: str
    name: str
    department: str
    freshness_days: int
    internal: bool
    version: int | None = None
    batch: int | None = None
    rows: int
    persons: int
    matched: int
    as_of: dt.date | None = None
    loaded_at: dt.datetime | None = None
    stale: bool


def _body(request):
    """The raw body without holding more than a few MB in memory (a province's file is large),
    and no more of it than ``MINZHENG_SOURCES_MAX_BYTES`` and one byte: the load refuses it."""
    if hasattr(request, "_body"):
        return request._body
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    limit = settings.MINZHENG_SOURCES_MAX_BYTES + 1
    while spool.tell() < limit and (chunk := request.read(min(1 << 20, limit - spool.tell()))):
        spool.write(chunk)
    spool.seek(0)
    return spool


@router.post(
    "/sources/{kind}/batches",
    auth=[ScopedToken("sources"), BearerToken()],
    # 422: the batch refused row by row (BatchOut), or a parameter itself malformed (ErrorOut)
    response={201: BatchOut, 422: BatchOut | ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    openapi_extra=CSV_BODY,
    summary="推送一个数据批次（全量快照；任一行有错则整批拒收）",
)
def batch_push(request, kind: str, as_of: dt.date | None = None, file: File[UploadedFile] = None):
    """The partner's full snapshot as of ``as_of`` (default today). Accepted: the source's next
    version. Refused: every error with row, column and reason in Chinese; the current data stays."""
    source = DataSource.objects.filter(code=kind).first()
    if source is None:
        raise Http404(f"未知数据源 {kind}")
    if token_scopes(request) is not None:
        require_scope(request, f"sources:{kind}", f"该令牌无权推送「{source.name}」数据")
    elif not has_permission(request.user, "sources.load"):
        raise PermissionDenied("您没有导入部门共享数据的权限")
    if file is not None:
        data, name = file, file.name or f"{kind}.csv"
    else:
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            raise ValidationError({"file": "请以 file 字段上传 CSV 或 .xlsx 文件"})
        data, name = _body(request), f"{kind}-api.csv"
    batch = store.batch_load(
        source=kind, data=data, file_name=name, user=request.user, channel=BatchChannel.API, as_of=as_of
    )
    result = store.batch_result(batch)
    return Status(201 if result["accepted"] else 422, result)


@router.get(
    "/sources", auth=BearerToken(), response={200: list[SourceOut], 403: ErrorOut}, summary="数据源及其当前批次"
)
def sources_list(request):
    if not has_permission(request.user, "sources.view"):
        raise PermissionDenied("您没有查看部门共享数据的权限")
    current = store.current_batches()
    out = []
    for ds in DataSource.objects.order_by("sort", "code"):
        b = current.get(ds.code)
        out.append(
            {
                "code": ds.code,
                "name": ds.name,
                "department": ds.department,
                "freshness_days": ds.freshness_days,
                "internal": ds.internal,
                "version": b.version if b else None,
                "batch": b.pk if b else None,
                "rows": b.rows if b else 0,
                "persons": b.persons if b else 0,
                "matched": b.matched if b else 0,
                "as_of": b.as_of if b else None,
                "loaded_at": b.loaded_at if b else None,
                "stale": store.is_stale(b, ds),
            }
        )
    return out


api_router("sources", router, prefix="/", order=50)
