"""Import every domain's models so metadata is complete (Alembic, tests)."""

from backend.alerts.models import Alert, AlertComment, AlertLabel, AlertTransition
from backend.db import Base
from backend.documents.models import Document, DocumentTag
from backend.events.models import Event
from backend.notify.models import Delivery, NotifyCursor, Silence, Subscription
from backend.observations.models import Observation
from backend.regions.models import Region, RegionAlias
from backend.rules.models import Judgement, ReferenceEpisode, Rule, RuleVersion
from backend.snapshots.models import Snapshot, SnapshotFile
from backend.sources.models import Indicator, IngestRun, JobLock, QuarantinedRow, Source
from backend.users.models import ApiToken, AuditEntry, Role, User

__all__ = [
    "Alert",
    "AlertComment",
    "AlertLabel",
    "AlertTransition",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Delivery",
    "Document",
    "DocumentTag",
    "Event",
    "Indicator",
    "IngestRun",
    "JobLock",
    "Judgement",
    "NotifyCursor",
    "Observation",
    "QuarantinedRow",
    "ReferenceEpisode",
    "Region",
    "RegionAlias",
    "Role",
    "Rule",
    "RuleVersion",
    "Silence",
    "Snapshot",
    "SnapshotFile",
    "Source",
    "Subscription",
    "User",
]
