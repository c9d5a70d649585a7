"""Every component id of the dashboard, in one place, so callbacks and tests agree."""

from __future__ import annotations

# ruff: noqa: S105  (names like "admin-token-name" are component ids, not secrets)

# Shell (dashboard/layout.py)
URL = "url"
NAV = "nav"
HEALTH_POLL = "health-poll"
DEMO_BANNER = "demo-banner"
API_STATUS = "api-status"

# Overview page (dashboard/pages/overview.py)
OVERVIEW_TICK = "overview-tick"
OVERVIEW_NAV = "overview-nav"  # the page's dcc.Location for the map's drill-down
OVERVIEW_INBOX = "overview-inbox"  # and for opening an alert in the inbox: a page load
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

# Alerts page (dashboard/pages/alerts.py)
ALERTS_FOCUS = "alerts-focus"
ALERTS_REFRESH = "alerts-refresh"
ALERTS_PAGE = "alerts-page"
ALERTS_STATE = "alerts-state"
ALERTS_SEVERITY = "alerts-severity"
ALERTS_TRIAGE = "alerts-triage"
ALERTS_RULE = "alerts-rule"
ALERTS_REGION = "alerts-region"
ALERTS_PERIOD_FROM = "alerts-period-from"
ALERTS_PERIOD_TO = "alerts-period-to"
ALERTS_SORT = "alerts-sort"
ALERTS_GRID = "alerts-grid"
ALERTS_MESSAGE = "alerts-message"
ALERTS_PAGER = "alerts-pager"
ALERTS_PREV = "alerts-prev"
ALERTS_NEXT = "alerts-next"
ALERTS_ACTIONS = "alerts-actions"
ALERTS_ACTION = "alerts-action"  # pattern-matched: {"type": ALERTS_ACTION, "action": ...}
ALERTS_ASSIGNEE = "alerts-assignee"
ALERTS_LABEL = "alerts-label"
ALERTS_COMMENT = "alerts-comment"
ALERTS_RESULT = "alerts-result"
ALERTS_DETAIL = "alerts-detail"

# Overview timeline, headlines and live updates (dashboard/pages/overview.py, live.js)
TIMELINE = "overview-timeline"
TIMELINE_LANES = "overview-timeline-lanes"
TIMELINE_MESSAGE = "overview-timeline-message"
HEADLINE_NEW = "headline-new"
HEADLINE_STALE = "headline-stale"
LIVE_EVENTS = "live-events"  # a dcc.Store live.js bumps on every stream event
LIVE_NOTICE = "live-notice"
LIVE_SEEN = "live-seen"

# Rules workbench (dashboard/pages/rules.py)
RULES_SELECTED = "rules-selected"
RULES_DETAIL = "rules-detail"
RULES_FILTER = "rules-filter"
RULES_LIST = "rules-list"
RULES_HEADER = "rules-header"
RULES_EDITOR = "rules-editor"
RULES_YAML_SETTLED = "rules-yaml-settled"
RULES_VALIDATION = "rules-validation"
RULES_FORM_OPERATOR = "rules-form-operator"
RULES_FORM_PARAM = "rules-form-param"  # pattern-matching: {"type": RULES_FORM_PARAM, "param": name}
RULES_FORM_FIELD = "rules-form-field"  # the label around each parameter, same pattern
RULES_FORM_APPLY = "rules-form-apply"
RULES_FORM_MESSAGE = "rules-form-message"
RULES_PREVIEW = "rules-preview"
RULES_PREVIEW_SUMMARY = "rules-preview-summary"
RULES_PREVIEW_TIMELINE = "rules-preview-timeline"
RULES_PREVIEW_ROWS = "rules-preview-rows"  # dcc.Store: the preview's alerts, for the timeline
RULES_PREVIEW_LIST = "rules-preview-list"
RULES_SCORECARD = "rules-scorecard"
RULES_NOISE_MAX = "rules-noise-max"
RULES_NOISE_RUN = "rules-noise-run"
RULES_NOISE_RESULT = "rules-noise-result"
RULES_NOISE_SUGGESTION = "rules-noise-suggestion"
RULES_NOISE_APPLY = "rules-noise-apply"
RULES_REASON = "rules-reason"
RULES_SAVE = "rules-save"
RULES_SAVE_MESSAGE = "rules-save-message"
RULES_HISTORY = "rules-history"
RULES_DIFF_FROM = "rules-diff-from"
RULES_DIFF_TO = "rules-diff-to"
RULES_DIFF = "rules-diff"

# Sign-in (dashboard/pages/login.py) and the shell's user box (dashboard/layout.py)
LOGIN_FORM = "login-form"
LOGIN_USERNAME = "login-username"
LOGIN_PASSWORD = "login-password"
LOGIN_SUBMIT = "login-submit"
LOGIN_ERROR = "login-error"
LOGIN_NOTICE = "login-notice"
USER_BOX = "user-box"
LOGOUT_FORM = "logout-form"

# Administration (dashboard/pages/admin.py)
ADMIN_USER_MESSAGE = "admin-user-message"
ADMIN_USERS = "admin-users"
ADMIN_NEW_USERNAME = "admin-new-username"
ADMIN_NEW_PASSWORD = "admin-new-password"
ADMIN_NEW_EMAIL = "admin-new-email"
ADMIN_NEW_ROLE = "admin-new-role"
ADMIN_CREATE_USER = "admin-create-user"
ADMIN_EDIT_USER = "admin-edit-user"
ADMIN_EDIT_ROLE = "admin-edit-role"
ADMIN_SET_ROLE = "admin-set-role"
ADMIN_DISABLE = "admin-disable"
ADMIN_ENABLE = "admin-enable"
ADMIN_TOKEN_USER = "admin-token-user"
ADMIN_TOKEN_MESSAGE = "admin-token-message"
ADMIN_SECRET_BOX = "admin-secret-box"
ADMIN_SECRET = "admin-secret"
ADMIN_TOKENS = "admin-tokens"
ADMIN_TOKEN_NAME = "admin-token-name"
ADMIN_TOKEN_ROLE = "admin-token-role"
ADMIN_TOKEN_DAYS = "admin-token-days"
ADMIN_CREATE_TOKEN = "admin-create-token"
ADMIN_REVOKE_ID = "admin-revoke-id"
ADMIN_REVOKE = "admin-revoke"

# Snapshots (dashboard/pages/snapshots.py)
SNAPSHOT_QUARTER = "snapshot-quarter"
SNAPSHOT_CREATE = "snapshot-create"
SNAPSHOT_MESSAGE = "snapshot-message"
SNAPSHOT_LIST = "snapshot-list"
SNAPSHOT_PICK = "snapshot-pick"
SNAPSHOT_DIFF = "snapshot-diff"
