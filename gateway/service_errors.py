"""One exception for service functions that refuse a request (not found, conflict, invalid), so
services stay free of FastAPI; the handler turns it into ``{"detail": …}`` with its status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


class ServiceError(Exception):
    """``status_code`` and a Chinese ``detail`` for the client; ``extra`` keys are added to the
    JSON body (e.g. the validator's ``problems``)."""

    def __init__(self, status_code: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status_code, self.detail, self.extra = status_code, detail, extra


def install_service_error_handler(app: FastAPI) -> None:
    async def handler(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status_code)

    app.add_exception_handler(ServiceError, handler)
