"""Every table, imported here so Alembic and the app see one metadata."""

from bugport.models.activity import Activity
from bugport.models.base import Base
from bugport.models.billing import BillingCheckoutSession, StripeEvent, WorkspaceBilling
from bugport.models.bug import Bug, BugLog, BugNetwork
from bugport.models.comment import Comment
from bugport.models.idempotency import IdempotencyRecord
from bugport.models.project import Project
from bugport.models.share_link import ShareLink
from bugport.models.user import User
from bugport.models.widget_key import WidgetKey
from bugport.models.workspace import Invite, Membership, Workspace

__all__ = [
    "Activity",
    "Base",
    "BillingCheckoutSession",
    "Bug",
    "BugLog",
    "BugNetwork",
    "Comment",
    "IdempotencyRecord",
    "Invite",
    "Membership",
    "Project",
    "ShareLink",
    "StripeEvent",
    "User",
    "WidgetKey",
    "Workspace",
    "WorkspaceBilling",
]
