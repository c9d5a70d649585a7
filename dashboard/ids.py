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

# Region page (dashboard/pages/region.py)
REGION_CODE = "region-code"
REGION_HEADER = "region-header"
REGION_MESSAGE = "region-message"
REGION_SERIES = "region-series"
REGION_DOC_LINK = "region-doc-link"
REGION_DOCUMENTS = "region-documents"
REGION_SEIZURES = "region-seizures"
REGION_GDELT = "region-gdelt"
REGION_PROVENANCE = "region-provenance"

# Sources page (dashboard/pages/sources.py)
SOURCES_TICK = "sources-tick"
SOURCES_LIST = "sources-list"
COVERAGE = "sources-coverage"
COVERAGE_MESSAGE = "sources-coverage-message"
