"""In-app messages; the text is rendered at read time, in the reader's language."""
import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

NOTIFICATION_KINDS = ("promoted", "activity_cancelled", "activity_changed", "hours_approved", "hours_rejected", "message",
                      "case_accepted", "case_assigned", "case_for_you", "case_resolved", "case_escalated",
                      "case_closed", "case_rated", "case_reopened", "case_overdue", "case_passed_up",
                      "wish_approved", "wish_rejected", "wish_claimed", "wish_fulfilled", "wish_confirmed",
                      "reminder")
# The SMS delivery of a notification (app/services/deliveries.py); None on rows from before SMS notices.
SMS_STATES = ("pending", "sending", "sent", "failed", "skipped")


class Notification(db.Model):
    """A message to one person about one thing that happened."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),
                      Index("ix_notifications_sms_due", "sms_state", "sms_next_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    sms_state: Mapped[str | None] = mapped_column(String(10), default="pending")
    sms_tries: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    sms_next_at: Mapped[datetime | None]
    sms_sent_at: Mapped[datetime | None]

    activity = relationship("Activity")

    @property
    def params(self) -> dict:
        return json.loads(self.params_json or "{}")
