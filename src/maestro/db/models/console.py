"""Web console sessions: a random token in an HttpOnly cookie, only its hash stored here."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from maestro.db.base import Base, IdMixin, UTCDateTime, utcnow


class ConsoleSession(IdMixin, Base):
    """One signed-in browser. It hangs off the API key that opened it: revoking the key or deleting
    the user deletes the session by cascade, and the lookup also refuses a disabled user."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    api_key_id: Mapped[str] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True, nullable=False
    )
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True, nullable=False)
