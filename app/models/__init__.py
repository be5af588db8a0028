"""The domain model, one module per aggregate."""
from .org import Grid, Org, activity_units
from .user import RoleGrant, User
from .activity import Activity, ActivitySession, SessionAttendance, Signup
from .notification import Notification
from .audit import AuditEvent
from .post import PostClaim, ServicePost
from .record import Certificate, MonthlyHours, ServiceRecord
from .imports import ImportJob
from .counter import ChangeCounter
from .code import PhoneCode
from .case import Case, CaseCredit, CaseEvent, CasePhoto
from .points import PersonMonthHours, PointsAdjustment, PointsPublication, PointsRule
from .wish import Wish, WishPhoto

__all__ = [
    "Activity", "ActivitySession", "Case", "CaseCredit", "CaseEvent", "CasePhoto", "ChangeCounter", "AuditEvent", "ImportJob", "SessionAttendance", "Certificate", "Grid", "MonthlyHours", "Notification", "Org", "PersonMonthHours", "PointsAdjustment", "PointsPublication", "PointsRule", "PhoneCode", "PostClaim", "RoleGrant",
    "ServicePost", "ServiceRecord", "Signup", "User", "Wish", "WishPhoto", "activity_units",
]
from .sheet import SheetEvaluation
