"""The API application factory: ``uvicorn backend.app:create_app --factory``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.access import READ_ACCESS
from backend.alerts.routes import router as alerts_router
from backend.audit.routes import router as audit_router
from backend.cache import ResponseCache
from backend.config import Settings
from backend.context import build_context
from backend.deps import session_opener
from backend.documents.routes import router as documents_router
from backend.episodes.routes import router as episodes_router
from backend.errors import install_error_handlers
from backend.health.routes import router as health_router
from backend.hotreads import DoorEngine, HotReads
from backend.judgements.routes import router as judgements_router
from backend.limits import BodySizeLimit
from backend.logging_setup import configure_logging
from backend.notify.routes import router as notify_router
from backend.observations.routes import router as observations_router
from backend.ops import install as install_ops
from backend.ops import router as ops_router
from backend.regions.routes import router as regions_router
from backend.rules.evidence_routes import router as evidence_router
from backend.rules.routes import router as rules_router
from backend.snapshots.routes import router as snapshots_router
from backend.sources.routes import router as sources_router
from backend.stream.routes import router as stream_router
from backend.uploads.routes import router as uploads_router
from backend.users.routes import router as users_router

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs-assets"
TAGS = [
    {"name": "health", "description": "Is the API up and its database reachable."},
    {"name": "regions", "description": "Countries, areas and the UN M49 hierarchy."},
    {"name": "observations", "description": "Indicators, the heat map and series."},
    {"name": "alerts", "description": "Alerts raised by the rules, for the inbox."},
    {"name": "documents", "description": "Security Council meetings and outcomes, tagged."},
    {"name": "sources", "description": "Sources' freshness and runs, and data coverage."},
    {"name": "rules", "description": "Alert rules: versions, validation, backtests, impact."},
    {"name": "episodes", "description": "Reference episodes: known deteriorations to score rules."},
    {"name": "judgements", "description": "Analysts' judgements of a region, with reasons."},
    {"name": "snapshots", "description": "Frozen quarters and their PDF, XLSX, CSV exports."},
    {"name": "notifications", "description": "Alert subscriptions, silences and deliveries."},
    {"name": "uploads", "description": "Analysts' own indicators, uploaded as CSV."},
    {"name": "stream", "description": "Server-sent events: alert transitions and ingest runs."},
    {"name": "auth", "description": "Sign in and out; who am I."},
    {"name": "users", "description": "Users and API tokens (administrators)."},
]
DESCRIPTION = (
    "Tocsin's HTTP API: public crime and instability indicators, the heat map, and the "
    "alerts raised by analysts' rules. Errors are RFC 7807 problem details "
    "(`application/problem+json`) with `type`, `title`, `status`, `detail` and, for "
    "invalid input, `errors`."
)
# JSON needs nothing; the docs page needs its own script, styles and inline set-up.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def package_version() -> str:
    """Return the installed Tocsin version (from package metadata)."""
    try:
        return metadata.version("tocsin")
    except metadata.PackageNotFoundError:
        return "0.0.0"


class SecurityHeaders:
    """Add conservative security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and decorate the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = str(scope.get("path", "")).startswith((DOCS_PATH, DOCS_ASSETS))
        csp = DOCS_CSP if is_docs else API_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", csp.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def swagger_ui(request: Request) -> HTMLResponse:
    """Answer /docs: Swagger UI on this app's schema, its files served by the app itself.

    A module-level function that finds its app on the request, not a closure over it:
    FastAPI keeps endpoint functions in process-wide caches (4,096 entries each), so a
    closure kept every app ever built alive. The test suite builds hundreds; its process
    grew past 3 GB and full garbage collections paused it for up to 10 s.
    """
    app: FastAPI = request.app
    return get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - docs",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
    )


def _mount_docs(app: FastAPI) -> None:
    """Serve Swagger UI from the swagger-ui-bundle package, so /docs works offline."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        log.warning("swagger-ui-bundle-v2 is not installed: /docs is off (schema at /openapi.json)")
        return
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
    app.add_api_route(DOCS_PATH, swagger_ui, methods=["GET"], include_in_schema=False)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API: context, routes under /api/v1, problem details, CORS, headers, docs."""
    context = build_context(settings)
    configure_logging(context.settings)
    door = DoorEngine.for_url(context.settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        door.engine.dispose()
        context.dispose()

    app = FastAPI(
        title="Tocsin API",
        version=package_version(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,  # the CDN-backed default would not load offline; see _mount_docs
        redoc_url=None,  # ReDoc is only published on a CDN, so it is left out
        lifespan=lifespan,
    )
    app.state.context = context
    app.state.open_session = session_opener(context)
    app.state.grants = door.grants()
    app.state.response_cache = ResponseCache()
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(health_router)
    # These routers' routes do not list READ_ACCESS themselves: the gate is added here.
    for router in (regions_router, observations_router):
        api.include_router(router, dependencies=READ_ACCESS)
    api.include_router(alerts_router)
    api.include_router(documents_router, dependencies=READ_ACCESS)
    api.include_router(sources_router, dependencies=READ_ACCESS)
    api.include_router(evidence_router)  # before rules: /rules/scorecard is not a rule name
    api.include_router(rules_router)
    api.include_router(episodes_router)
    api.include_router(judgements_router)
    api.include_router(snapshots_router)
    api.include_router(uploads_router)
    api.include_router(notify_router)
    api.include_router(stream_router, dependencies=READ_ACCESS)
    api.include_router(users_router)
    api.include_router(audit_router)
    api.include_router(ops_router)
    app.include_router(api)
    install_ops(app, data_dir=context.settings.data_dir)
    install_error_handlers(app)
    _mount_docs(app)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)
    if context.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=context.settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # Outermost: it serves kept answers with every header the layers below added.
    app.add_middleware(HotReads)
    return app
