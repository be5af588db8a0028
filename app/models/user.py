"""People and the roles they hold over an org subtree."""
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..passwords import hash_password, password_matches
from ..pinyin import name_key
from .base import utcnow
from .org import Grid, Org

MEMBER_TYPES = ("community", "in_service", "retired", "flowing")
ROLES = ("admin", "organizer", "grid_worker")
ACCOUNT_STATES = ("placeholder", "active")


def mask_phone(phone: str) -> str:
    """138****0003: what people who may not call someone see of their number."""
    return f"{phone[:3]}****{phone[-4:]}"


class User(UserMixin, db.Model):
    """One person, signing in with a mainland mobile number."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    # The name in pinyin ("zhang san"), kept with every change of the name (see set_name_key): lists
    # of people page by ORDER BY on it, never by sorting thousands of names in Python.
    name_pinyin: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)
    # 工作单位: where an in-service member works (their branch is there; they serve where they live).
    employer: Mapped[str] = mapped_column(String(100), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # None: a resident who is not a party member.
    member_type: Mapped[str | None] = mapped_column(String(20))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"), index=True)
    # The community one lives in (在职党员 report there: 双报到).
    community_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"), index=True)
    # The grid one lives in (党员沉楼栋): a grid's page lists its members, a case preselects it.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # placeholder: made for someone else (a walk-in, an import), no password, never signed in; it becomes
    # a person's account only when they prove the phone.
    account_state: Mapped[str] = mapped_column(String(12), default="active", server_default="active")
    # The org whose organizer added a placeholder: its organizers find the person and may issue a code.
    added_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"), index=True)
    # Rotated on logout and deactivation: a copied cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The privacy notice the person agreed to at registration, and when.
    consent_version: Mapped[str | None] = mapped_column(String(20))
    consent_at: Mapped[datetime | None]
    # Set when the person closed their account: personal data is gone, hours stay as anonymous totals.
    closed_at: Mapped[datetime | None]
    # The secret in the personal calendar feed URL; rotating it revokes old subscriptions.
    calendar_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(24))
    # Notices also by SMS (codes always go by SMS, whatever this says).
    sms_notices: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    branch: Mapped[Org | None] = relationship(foreign_keys=[branch_id])
    community: Mapped[Org | None] = relationship(foreign_keys=[community_id])
    added_by_org: Mapped[Org | None] = relationship(foreign_keys=[added_by_org_id])
    grid: Mapped["Grid | None"] = relationship(foreign_keys=[grid_id])
    grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @validates("name")
    def set_name_key(self, _key: str, name: str) -> str:
        """Every way a name is set (registration, import, walk-in, closing) keeps its sort key."""
        self.name_pinyin = name_key(name)
        return name

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_placeholder(self) -> bool:
        return self.account_state == "placeholder"

    @property
    def is_member(self) -> bool:
        return self.member_type is not None

    @property
    def is_admin(self) -> bool:
        return any(g.role == "admin" for g in self.grants)

    @property
    def is_organizer(self) -> bool:
        return self.is_admin or any(g.role == "organizer" for g in self.grants)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return password_matches(self.password_hash, password)

    def rotate_session_token(self) -> None:
        self.session_token = secrets.token_hex(16)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name}>"


class RoleGrant(db.Model):
    """A role over an org subtree; `admin` has no org and reaches everything."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "org_id", name="uq_role_grants_user_role_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
    org: Mapped[Org | None] = relationship(lazy="joined")
