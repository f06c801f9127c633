"""Exports over HTTP: the same rows and encodings as ``copydesk export``, streamed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import StreamingResponse

from copydesk import exports, service
from copydesk.web.routes._common import settings_of

MEDIA_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


def pages() -> APIRouter:
    return APIRouter(include_in_schema=False)


def api() -> APIRouter:
    router = APIRouter(tags=["exports"])

    @router.get(
        "/exports/{what}.{fmt}",
        summary="Stream an export (articles; stories and facts tables as they exist) as JSONL, CSV, Parquet",
        response_class=StreamingResponse,
    )
    def export_api(
        request: Request,
        what: Annotated[str, Path(pattern=r"^[a-z_]+$", max_length=40)],
        fmt: Annotated[str, Path(pattern=r"^(jsonl|csv|parquet)$")],
    ) -> StreamingResponse:
        if what not in exports.EXPORTERS:  # checked before the stream starts, so the status can say so
            raise HTTPException(404, f"cannot export {what!r}; choose one of: {', '.join(exports.EXPORTERS)}")
        chunks = service.export_stream(settings_of(request), what, fmt)
        return StreamingResponse(
            chunks,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{what}.{fmt}"'},
        )

    @router.get("/exports", summary="What can be exported, and in which formats")
    def export_list() -> dict[str, object]:
        return {"exports": sorted(exports.EXPORTERS), "formats": list(exports.FORMATS)}

    return router
