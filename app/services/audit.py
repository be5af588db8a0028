"""Writing the append-only audit log, inside the transaction of the action it records."""
import json

from ..extensions import db
from ..models import AuditEvent, User


def record_event(actor: User | None, action: str, obj, **detail) -> AuditEvent:
    """Append one audit row for `action` on `obj` by `actor`."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        detail=json.dumps(detail, ensure_ascii=False, default=str),
    )
    db.session.add(event)
    return event
