"""Every component id of the dashboard, in one place, so callbacks and tests agree."""

from __future__ import annotations

# Shell (dashboard/layout.py)
URL = "url"
NAV = "nav"
HEALTH_POLL = "health-poll"
DEMO_BANNER = "demo-banner"
API_STATUS = "api-status"

# Overview page (dashboard/pages/overview.py)
OVERVIEW_TICK = "overview-tick"
HEADLINE_ALERTS = "headline-alerts"
HEADLINE_COVERAGE = "headline-coverage"
INDICATOR = "overview-indicator"
INDICATOR_MESSAGE = "overview-indicator-message"
PERIOD = "overview-period"
PERIOD_LABEL = "overview-period-label"
PERIOD_CONTROL = "overview-period-control"
PERIODS = "overview-periods"
MAP = "overview-map"
MAP_MESSAGE = "overview-map-message"
ALERT_LIST = "overview-alert-list"
