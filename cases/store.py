"""``CaseStore``: every read and write of cases, notes, the audit log and navigator accounts.

The store is synchronous (SQLAlchemy sessions from the factory it is given) and raises only the small
``CaseStoreError`` family; callers such as the web routes turn those into HTTP statuses. Every change a
navigator makes is written to the audit log in the same transaction as the change itself.

The action server calls ``CaseStore.from_settings(CaseSettings()).create_case(CaseCreate(...))`` at the end of
a handoff.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import case as sql_case
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from cases.db import make_engine, migrate, session_factory
from cases.models import OPEN_STATUSES, AuditEntry, Case, Navigator, NavigatorSession, Note
from cases.schemas import (
    STATUSES,
    AuditEntryPublic,
    CaseCreate,
    CasePublic,
    CaseSummaryPublic,
    CaseUpdate,
    NavigatorPublic,
    NoteCreate,
    NotePublic,
    Status,
    TranscriptMessage,
    clean_transcript,
)

logger = logging.getLogger(__name__)

# Unambiguous when read aloud or copied by hand: no 0/O, 1/I/L, no vowels-only words; 31^6 ≈ 8.9e8 references.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "NT-"
REFERENCE_LENGTH = 6
SYSTEM_ACTOR = "assistant"
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
EXPORT_FIELDS = (
    "reference", "trial_id", "channel", "status", "urgency", "contact_method", "contact_value",
    "preferred_language", "preferred_time", "consent_given_at", "consent_version", "screening_outcome",
    "screening_result", "unanswered_questions", "assigned_to", "created_at", "updated_at",
)


def queue_total(counts: dict[Status, int], status: Status | None) -> int:
    """How many cases a queue view shows from ``count_by_status``: one status's, or every status's."""
    return counts[status] if status else sum(counts.values())


class CaseStoreError(Exception):
    """Base of the store's errors."""


class CaseNotFound(CaseStoreError):
    """No case with that id."""


class CaseConflict(CaseStoreError):
    """The change would give one conversation two open cases, or someone else holds the conversation."""


class NavigatorExists(CaseStoreError):
    """A navigator with that username exists already."""


class UnknownNavigator(CaseStoreError):
    """No navigator with that username."""


class WeakPassword(CaseStoreError):
    """The password is empty, too short or too long."""


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _queue_conditions(trials: Iterable[str], status: Status | None, trial: str | None, channel: str | None
                      ) -> list[Any] | None:
    """The WHERE conditions of a queue query: the navigator's trials (a ``trial`` filter can only narrow them)
    and the optional filters; None when nothing can match."""
    allowed = [t for t in trials if trial is None or t == trial]
    if not allowed:
        return None
    conditions: list[Any] = [Case.trial_id.in_(allowed)]
    if status is not None:
        conditions.append(Case.status == status)
    if channel is not None:
        conditions.append(Case.channel == channel)
    return conditions


def _queue_order() -> tuple[Any, ...]:
    """Urgent first, then oldest first (the id breaks ties)."""
    return _urgency_order(), Case.created_at, Case.id


def _urgency_order() -> Any:
    return sql_case((Case.urgency == "urgent", 0), else_=1)


class CaseStore:
    """Cases, notes, audit log and navigator accounts over one SQLAlchemy ``sessionmaker``."""

    def __init__(self, sessions: sessionmaker[Session], *, hasher: PasswordHasher | None = None,
                 clock: Callable[[], datetime] = _now) -> None:
        self._sessions = sessions
        self._hasher = hasher or PasswordHasher()
        self._clock = clock
        # Verified against when a username does not exist, so both cases cost the same time.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> CaseStore:
        """Migrate the database at ``url`` to the newest schema, then open a store on it."""
        engine = make_engine(url)
        migrate(engine)
        return cls(session_factory(engine), **kwargs)

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> CaseStore:
        """``settings`` is a ``trialbot.settings.CaseSettings`` (or anything with ``database_url``)."""
        return cls.from_url(settings.database_url, **kwargs)

    def now(self) -> datetime:
        """The store's clock (UTC), which also dates cases and audit entries."""
        return self._clock()

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        bind = self._sessions.kw.get("bind")
        if bind is not None:
            bind.dispose()

    # ---- cases ---------------------------------------------------------------------------------------

    def create_case(self, data: CaseCreate) -> CasePublic:
        """Open a case for a handoff. A conversation that already has an open case for this trial gets that
        case updated (new contact details, screening, transcript) and returned, not a second case."""
        for _attempt in range(5):
            try:
                with self._sessions.begin() as session:
                    existing = session.scalars(
                        select(Case).where(Case.trial_id == data.trial_id, Case.sender_id == data.sender_id,
                                           Case.status.in_(OPEN_STATUSES))
                    ).first()
                    if existing is not None:
                        self._refresh_from_handoff(existing, data)
                        self._audit(session, SYSTEM_ACTOR, "case_updated_by_handoff", existing)
                        session.flush()
                        return self._public(session, existing)
                    now = self._clock()
                    case = Case(reference=new_reference(), status="new", created_at=now, updated_at=now,
                                **self._handoff_fields(data))
                    session.add(case)
                    session.flush()
                    self._audit(session, SYSTEM_ACTOR, "case_created", case, f"urgency: {case.urgency}")
                    return self._public(session, case)
            except IntegrityError:
                # A reference collision, or the same conversation handed off twice at the same moment: the
                # next attempt draws a new reference or finds the other open case.
                logger.info("case insert collided; retrying")
        raise CaseStoreError("could not store the case after several attempts")

    @staticmethod
    def _handoff_fields(data: CaseCreate) -> dict[str, Any]:
        fields = data.model_dump(mode="python", exclude={"screening_result"})
        fields["screening_result"] = (
            data.screening_result.model_dump(mode="json") if data.screening_result is not None else None
        )
        fields["transcript"] = [dict(m) for m in data.transcript]
        return fields

    def _refresh_from_handoff(self, case: Case, data: CaseCreate) -> None:
        fields = self._handoff_fields(data)
        if case.urgency == "urgent":  # a second, calmer handoff does not make an urgent case normal
            fields["urgency"] = "urgent"
        if fields.get("channel") == "unknown":
            fields.pop("channel")
        for name, value in fields.items():
            if name in ("unanswered_questions",):
                merged = list(dict.fromkeys([*case.unanswered_questions, *value]))
                setattr(case, name, merged)
            elif value is not None or name in ("contact_value",):
                setattr(case, name, value)
        case.updated_at = self._clock()

    def list_cases(self, trials: Iterable[str], status: Status | None = None, trial: str | None = None,
                   channel: str | None = None) -> list[CasePublic]:
        """Cases of the given trials (only those), urgent first, then oldest first; optionally filtered."""
        conditions = _queue_conditions(trials, status, trial, channel)
        if conditions is None:
            return []
        query = select(Case).where(*conditions).order_by(*_queue_order()).options(selectinload(Case.notes))
        with self._sessions() as session:
            return [CasePublic.model_validate(c) for c in session.scalars(query)]

    def list_summaries(self, trials: Iterable[str], status: Status | None = None, trial: str | None = None,
                       channel: str | None = None, limit: int | None = None, offset: int = 0
                       ) -> list[CaseSummaryPublic]:
        """The queue: like ``list_cases`` (same scope, filters and order) but only the summary columns, so a
        long queue does not load and decode every transcript, screening result and note; ``limit`` and
        ``offset`` give one page of it."""
        conditions = _queue_conditions(trials, status, trial, channel)
        if conditions is None:
            return []
        columns = [getattr(Case, name) for name in CaseSummaryPublic.model_fields]
        query = select(*columns).where(*conditions).order_by(*_queue_order()).offset(offset).limit(limit)
        with self._sessions() as session:
            return [CaseSummaryPublic.model_validate(row._asdict()) for row in session.execute(query)]

    def count_by_status(self, trials: Iterable[str], trial: str | None = None, channel: str | None = None
                        ) -> dict[Status, int]:
        """How many cases of each status the queue holds (same scope and filters as ``list_summaries``)."""
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        conditions = _queue_conditions(trials, None, trial, channel)
        if conditions is None:
            return counts
        query = select(Case.status, func.count()).where(*conditions).group_by(Case.status)
        with self._sessions() as session:
            counts.update({status: int(number) for status, number in session.execute(query)})
        return counts

    def channels(self, trials: Iterable[str]) -> list[str]:
        """The channels that the given trials' cases came from (for the queue's filter)."""
        with self._sessions() as session:
            rows = session.scalars(select(Case.channel).where(Case.trial_id.in_(list(trials))).distinct())
            return sorted(rows)

    def get_case(self, case_id: int) -> CasePublic | None:
        with self._sessions() as session:
            case = session.get(Case, case_id, options=[selectinload(Case.notes)])
            return CasePublic.model_validate(case) if case is not None else None

    def update(self, case_id: int, changes: CaseUpdate, actor: str) -> CasePublic:
        """Change status and/or urgency; each change is audited. Reopening a closed case while the same
        conversation has another open case raises ``CaseConflict``."""
        try:
            with self._sessions.begin() as session:
                case = self._load(session, case_id)
                for name, value in changes.model_dump(exclude_none=True).items():
                    before = getattr(case, name)
                    if before == value:
                        continue
                    setattr(case, name, value)
                    self._audit(session, actor, f"{name}_changed", case, f"{name}: {before} -> {value}")
                case.updated_at = self._clock()
                session.flush()
                return self._public(session, case)
        except IntegrityError as exc:
            raise CaseConflict("this conversation already has another open case") from exc

    def add_note(self, case_id: int, note: NoteCreate, author: str) -> NotePublic:
        with self._sessions.begin() as session:
            case = self._load(session, case_id)
            row = Note(case_id=case.id, author=author, text=note.text, created_at=self._clock())
            session.add(row)
            case.updated_at = self._clock()
            session.flush()
            self._audit(session, author, "note_added", case, f"note {row.id}")
            return NotePublic.model_validate(row)

    def assign(self, case_id: int, username: str | None, actor: str) -> CasePublic:
        """Assign the case to a navigator who may see its trial (or to nobody with ``None``)."""
        with self._sessions.begin() as session:
            case = self._load(session, case_id)
            if username is not None:
                navigator = session.scalars(select(Navigator).where(Navigator.username == username)).first()
                if navigator is None or case.trial_id not in navigator.trials:
                    raise UnknownNavigator(f"no navigator {username!r} for this trial")
            if case.assigned_to != username:
                self._audit(session, actor, "assigned", case, f"assigned_to: {case.assigned_to} -> {username}")
                case.assigned_to = username
                case.updated_at = self._clock()
            session.flush()
            return self._public(session, case)

    def set_held_by(self, case_id: int, username: str | None, actor: str, *,
                    only_if_free: bool = False) -> CasePublic:
        """Record who holds the live conversation (``None``: the bot again). With ``only_if_free``, refuse
        (``CaseConflict``) when another navigator holds it."""
        with self._sessions.begin() as session:
            case = self._load(session, case_id, for_update=True)
            if only_if_free and case.held_by not in (None, username):
                raise CaseConflict(f"the conversation is held by {case.held_by}")
            if case.held_by != username:
                action = "conversation_taken" if username else "conversation_handed_back"
                self._audit(session, actor, action, case, f"held_by: {case.held_by} -> {username}")
                case.held_by = username
                case.updated_at = self._clock()
            session.flush()
            return self._public(session, case)

    def append_transcript(self, case_id: int, messages: Sequence[TranscriptMessage]) -> CasePublic:
        with self._sessions.begin() as session:
            case = self._load(session, case_id, for_update=True)
            case.transcript = [dict(m) for m in clean_transcript([*case.transcript, *messages])]
            case.updated_at = self._clock()
            session.flush()
            return self._public(session, case)

    def set_transcript(self, case_id: int, transcript: Sequence[TranscriptMessage]) -> CasePublic:
        """Replace the transcript (with the conversation as Rasa's tracker holds it now), if it changed."""
        with self._sessions.begin() as session:
            case = self._load(session, case_id, for_update=True)
            fresh = [dict(m) for m in clean_transcript(transcript)]
            if fresh != case.transcript:
                case.transcript = fresh
                case.updated_at = self._clock()
            session.flush()
            return self._public(session, case)

    def erase_case(self, case_id: int, actor: str) -> str:
        """Delete the case and its notes. The audit log keeps who erased which reference and when, and the
        earlier entries (which hold no patient data). Returns the erased case's reference."""
        with self._sessions.begin() as session:
            case = self._load(session, case_id)
            reference = case.reference
            self._audit(session, actor, "case_erased", case)
            session.delete(case)
            return reference

    def erase_cases_of_sender(self, sender_id: str, actor: str) -> list[str]:
        """A patient's own erasure request: delete every case of that conversation (audited, no patient data
        in the audit entry). Returns the erased references."""
        with self._sessions.begin() as session:
            cases = list(session.scalars(select(Case).where(Case.sender_id == sender_id)))
            for case in cases:
                self._audit(session, actor, "case_erased", case, "erased at the patient's request")
                session.delete(case)
            return [case.reference for case in cases]

    def withdraw_consent(self, sender_id: str, actor: str) -> list[str]:
        """The patient withdrew consent: drop the health data and contact details from their cases, mark
        them closed, and record the withdrawal (with its time) in the audit log. Returns the references."""
        with self._sessions.begin() as session:
            cases = list(session.scalars(select(Case).where(Case.sender_id == sender_id)))
            for case in cases:
                case.screening_facts = None
                case.screening_result = None
                case.screening_outcome = None
                case.contact_value = None
                case.transcript = []
                case.unanswered_questions = []
                case.status = "closed"
                case.updated_at = self._clock()
                self._audit(session, actor, "consent_withdrawn", case, "health data and contact details removed")
            return [case.reference for case in cases]

    def cases_updated_before(self, cutoff: datetime) -> list[CasePublic]:
        """Cases not updated since ``cutoff`` (what a purge would erase)."""
        with self._sessions() as session:
            query = select(Case).where(Case.updated_at < cutoff).options(selectinload(Case.notes))
            return [CasePublic.model_validate(c) for c in session.scalars(query)]

    def purge_cases_before(self, cutoff: datetime, actor: str) -> list[str]:
        """Retention: erase cases not updated since ``cutoff`` (audited). Returns the erased references."""
        with self._sessions.begin() as session:
            cases = list(session.scalars(select(Case).where(Case.updated_at < cutoff)))
            for case in cases:
                self._audit(session, actor, "case_purged", case, "retention period ended")
                session.delete(case)
            return [case.reference for case in cases]

    def export(self, trials: Iterable[str]) -> list[dict[str, Any]]:
        """The cases of the given trials as plain dicts (``EXPORT_FIELDS``; no transcript, no sender id),
        in queue order. The caller audits the export (it knows who asked and in which format)."""
        rows = []
        for case in self.list_cases(trials):
            data = case.model_dump(mode="json")
            rows.append({name: data[name] for name in EXPORT_FIELDS})
        return rows

    # ---- audit ---------------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, case_id: int | None = None, detail: str = "") -> None:
        """Record an action; with a ``case_id``, the case's reference and trial are recorded with it."""
        with self._sessions.begin() as session:
            case = session.get(Case, case_id) if case_id is not None else None
            entry = AuditEntry(at=self._clock(), actor=actor[:64], action=action[:48], case_id=case_id,
                               case_reference=case.reference if case else None,
                               trial_id=case.trial_id if case else None, detail=detail[:500])
            session.add(entry)

    def list_audit(self, trials: Iterable[str], actor: str | None = None, limit: int = 500) -> list[AuditEntryPublic]:
        """Newest first: entries about the given trials' cases, and (with ``actor``) that actor's own entries
        such as sign-ins and exports."""
        condition = AuditEntry.trial_id.in_(list(trials))
        if actor is not None:
            condition = or_(condition, AuditEntry.actor == actor)
        query = select(AuditEntry).where(condition).order_by(AuditEntry.id.desc()).limit(limit)
        with self._sessions() as session:
            return [AuditEntryPublic.model_validate(e) for e in session.scalars(query)]

    def _audit(self, session: Session, actor: str, action: str, case: Case, detail: str = "") -> None:
        session.add(AuditEntry(at=self._clock(), actor=actor[:64], action=action[:48], case_id=case.id,
                               case_reference=case.reference, trial_id=case.trial_id, detail=detail[:500]))

    # ---- navigators ----------------------------------------------------------------------------------

    def add_navigator(self, username: str, password: str, trials: Sequence[str]) -> NavigatorPublic:
        check_password(password)
        navigator = Navigator(username=username, password_hash=self._hasher.hash(password),
                              trials=list(dict.fromkeys(trials)), created_at=self._clock())
        try:
            with self._sessions.begin() as session:
                session.add(navigator)
                session.flush()
                entry = AuditEntry(at=self._clock(), actor=SYSTEM_ACTOR, action="navigator_added",
                                   detail=f"{username}: trials {', '.join(navigator.trials)}"[:500])
                session.add(entry)
                return NavigatorPublic.model_validate(navigator)
        except IntegrityError as exc:
            raise NavigatorExists(f"navigator {username!r} exists already") from exc

    def list_navigators(self) -> list[NavigatorPublic]:
        with self._sessions() as session:
            rows = session.scalars(select(Navigator).order_by(Navigator.username))
            return [NavigatorPublic.model_validate(n) for n in rows]

    def get_navigator(self, username: str) -> NavigatorPublic | None:
        with self._sessions() as session:
            row = session.scalars(select(Navigator).where(Navigator.username == username)).first()
            return NavigatorPublic.model_validate(row) if row is not None else None

    def verify_navigator(self, username: str, password: str) -> NavigatorPublic | None:
        """The navigator if the password is right, else ``None`` (same work whether or not the user exists).
        A hash made with older parameters is upgraded on success."""
        if not password or len(password) > MAX_PASSWORD_CHARS:
            return None
        with self._sessions.begin() as session:
            row = session.scalars(select(Navigator).where(Navigator.username == username)).first()
            stored = row.password_hash if row is not None else self._dummy_hash
            try:
                self._hasher.verify(stored, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return None
            if row is None:
                return None
            if self._hasher.check_needs_rehash(stored):
                row.password_hash = self._hasher.hash(password)
            return NavigatorPublic.model_validate(row)

    # ---- console sessions ----------------------------------------------------------------------------

    def open_session(self, username: str) -> str:
        """A new session for ``username``; returns the token for the cookie (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions.begin() as session:
            session.add(NavigatorSession(token_hash=token_hash(token), username=username, created_at=now,
                                         last_seen_at=now))
        return token

    def session_user(self, token: str, idle_timeout: timedelta, absolute_timeout: timedelta,
                     touch_after: timedelta = timedelta(seconds=30)) -> NavigatorPublic | None:
        """The navigator of a live session, or ``None``. A session idle for longer than ``idle_timeout`` or
        older than ``absolute_timeout`` is deleted. ``last_seen_at`` is refreshed at most every ``touch_after``."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.get(NavigatorSession, token_hash(token))
            if row is None:
                return None
            if now - row.last_seen_at > idle_timeout or now - row.created_at > absolute_timeout:
                session.delete(row)
                return None
            if now - row.last_seen_at > touch_after:
                row.last_seen_at = now
            navigator = session.scalars(select(Navigator).where(Navigator.username == row.username)).first()
            return NavigatorPublic.model_validate(navigator) if navigator is not None else None

    def close_session(self, token: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(NavigatorSession).where(NavigatorSession.token_hash == token_hash(token)))

    # ---- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _load(session: Session, case_id: int, for_update: bool = False) -> Case:
        case = session.get(Case, case_id, with_for_update=for_update or None)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        return case

    @staticmethod
    def _public(session: Session, case: Case) -> CasePublic:
        session.refresh(case, attribute_names=["notes"])
        return CasePublic.model_validate(case)


def check_password(password: str) -> None:
    """Raise ``WeakPassword`` for an empty, too short or too long password."""
    if not password or not password.strip():
        raise WeakPassword("the password is empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"the password must have at most {MAX_PASSWORD_CHARS} characters")
