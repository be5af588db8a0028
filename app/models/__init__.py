"""The domain model, one module per aggregate."""
from .org import Grid, Org, activity_units
from .user import RoleGrant, User
from .activity import Activity, Signup
from .notification import Notification
from .audit import AuditEvent

__all__ = [
    "Activity", "AuditEvent", "Grid", "Notification", "Org", "RoleGrant", "Signup", "User",
    "activity_units",
]
