"""How the explorer answers a bad request: :class:`ApiError` and the JSON error body.

Every refusal, from a parser, a payload builder or a request guard, is answered as
``{"error": "...", "status": N, **extra}`` with that status (unknown names add
``"suggestions"``); a bug in one computation is a 500 in the same shape, and the server keeps
serving. The exception handlers here are the ones the Starlette app is built with.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse as _StarletteJSON
from starlette.responses import Response

__all__ = ["ApiError", "JSONResponse", "error_response", "on_api_error", "on_http_error", "on_unexpected"]


class ApiError(Exception):
    """A bad request: answered as ``{"error": message, "status": status, **extra}``."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.message, self.status, self.extra = message, status, extra


class JSONResponse(_StarletteJSON):
    """Starlette's JSON response, but text that is not UTF-8 (a lone surrogate that came in as
    ``"\\ud800"`` in a JSON parameter name) is sent escaped instead of failing as a 500."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def error_response(message: str, status: int, **extra: Any) -> JSONResponse:
    """``{"error": message, "status": status, **extra}`` with that status code."""
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.message, exc.status, **exc.extra)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        message = f"no such endpoint {request.url.path}" if exc.status_code == 404 else str(exc.detail)
        return error_response(message, exc.status_code)
    return Response(str(exc.detail), status_code=exc.status_code, media_type="text/plain")


async def on_unexpected(request: Request, exc: Exception) -> Response:
    # A bug in one computation must not take the page down: say what failed, keep serving.
    return error_response(
        f"internal error while computing {request.url.path}: {type(exc).__name__}: {exc}", 500)

