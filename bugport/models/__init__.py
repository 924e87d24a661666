"""Every table, imported here so Alembic and the app see one metadata."""

from bugport.models.base import Base
from bugport.models.billing import BillingCheckoutSession, StripeEvent, WorkspaceBilling
from bugport.models.project import Project
from bugport.models.user import User
from bugport.models.workspace import Invite, Membership, Workspace

__all__ = [
    "Base",
    "BillingCheckoutSession",
    "Invite",
    "Membership",
    "Project",
    "StripeEvent",
    "User",
    "Workspace",
    "WorkspaceBilling",
]
