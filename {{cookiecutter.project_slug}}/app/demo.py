"""The demo page: a browser form that asks POST /predict, served at /."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from app.state import State

# A static file, not a template: the page holds no server-side value, so any
# deployment that serves the API can serve it as it is, offline.
DEMO_PAGE = Path(__file__).with_name("demo.html")

router = APIRouter()


@router.get("/", include_in_schema=False)
async def demo_page(state: State) -> FileResponse:
    """Serve the form, unless DEMO_PAGE_ENABLED=false keeps the API alone."""
    if not state.settings.demo_page_enabled:
        raise HTTPException(status_code=404, detail="Not Found")
    return FileResponse(DEMO_PAGE, media_type="text/html")
