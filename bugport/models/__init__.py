"""Every table, imported here so Alembic and the app see one metadata."""

from bugport.models.activity import Activity
from bugport.models.audit import AuditEntry
from bugport.models.base import Base
from bugport.models.billing import BillingCheckoutSession, StripeEvent, WorkspaceBilling
from bugport.models.bug import Bug, BugCaptures
from bugport.models.comment import Comment
from bugport.models.connector import Connector, ConnectorOAuthState, TrackerPush, TrackerTarget
from bugport.models.event import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from bugport.models.idempotency import IdempotencyRecord
from bugport.models.mcp_token import McpToken
from bugport.models.media import Media
from bugport.models.notification import BugWatcher, PendingEmail
from bugport.models.project import Project
from bugport.models.share_link import ShareLink
from bugport.models.user import User
from bugport.models.widget_key import WidgetKey
from bugport.models.workspace import Invite, Membership, Workspace

__all__ = [
    "Activity",
    "AuditEntry",
    "Base",
    "BillingCheckoutSession",
    "Bug",
    "BugCaptures",
    "BugWatcher",
    "Comment",
    "Connector",
    "Event",
    "ConnectorOAuthState",
    "IdempotencyRecord",
    "Invite",
    "McpToken",
    "Media",
    "Membership",
    "PendingEmail",
    "Project",
    "ShareLink",
    "StripeEvent",
    "TrackerPush",
    "TrackerTarget",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WidgetKey",
    "Workspace",
    "WorkspaceBilling",
]
