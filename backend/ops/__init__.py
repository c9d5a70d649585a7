"""Operations: readiness, Prometheus metrics and the request-metrics middleware."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from backend.ops.metrics import RECORDER, time_rule_evaluation
from backend.ops.middleware import RequestMetrics
from backend.ops.routes import metrics_router, router

__all__ = ["RECORDER", "install", "metrics_folder", "router", "time_rule_evaluation"]


def metrics_folder(data_dir: Path) -> Path:
    """Return the folder where every process writes its metrics file."""
    return data_dir / "metrics"


def install(app: FastAPI, *, data_dir: Path) -> None:
    """Serve /metrics, count every request, and share counts through ``data_dir``."""
    RECORDER.configure(metrics_folder(data_dir))
    app.include_router(metrics_router)
    app.add_middleware(RequestMetrics)
