"""Side effects that must follow the fate of the caller's transaction.

Services never commit (the caller owns the transaction), yet some effects belong after it: a
counter must not count a create that was rolled back, and a stored artifact must not outlive the
row that would have referenced it.
"""

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's current transaction commits (never on rollback)."""
    _on_outcome(session, committed=action)


def after_rollback(session: Session, action: Callable[[], None]) -> None:
    """Run `action` if the session's current transaction rolls back instead of committing."""
    _on_outcome(session, rolled_back=action)


def _on_outcome(
    session: Session,
    *,
    committed: Callable[[], None] | None = None,
    rolled_back: Callable[[], None] | None = None,
) -> None:
    done = False

    def on_commit(_session: Session) -> None:
        nonlocal done
        if not done:
            done = True
            if committed:
                committed()

    def on_rollback(_session: Session, transaction: SessionTransaction) -> None:
        nonlocal done
        # Only the outermost transaction decides; a released savepoint is not the outcome.
        if not done and transaction.parent is None:
            done = True
            if rolled_back:
                rolled_back()

    event.listen(session, "after_commit", on_commit)
    event.listen(session, "after_soft_rollback", on_rollback)
