"""Rasa's Redis lock store, with every change to a conversation's lock made atomically.

Rasa 3.6's ``RedisLockStore`` changes a lock by reading it (GET), changing it in Python and writing it back (SET).
Two Rasa servers taking messages of the same conversation at the same moment can interleave those steps: both
issue the same ticket number, or one overwrites the other's ticket, and both process a message at once. Both then
save the conversation, and the SQL tracker store keeps only the events of one of them: the other message's events
are lost (RasaHQ/rasa#9213; the atomic ``ConcurrentRedisLockStore`` is Rasa Pro only). ``tests/e2e/test_scale_out.py``
sends simultaneous messages to two servers and sees exactly that with the stock store.

:class:`AtomicRedisLockStore` keeps Rasa's store as it is (same keys, same JSON, same ticket algorithm, same
settings in ``endpoints.yml``) and makes each read-change-write one Redis transaction (WATCH/MULTI/EXEC, retried
when another server changed the lock in between): issuing a ticket, dropping expired tickets, finishing a ticket,
and deleting the lock when nobody waits. Configure it as ``lock_store: type: stores.redis_lock.AtomicRedisLockStore``
with the ``redis`` store's keys (``url``, ``port``, ``password``, ``db``, ``key_prefix`` ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import WatchError

T = TypeVar("T")
# What a change returns: the lock to write (None: delete it), whether to write at all, and a result.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, bool, T]]


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose lock changes are Redis transactions (see the module docstring)."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # Rasa builds a custom lock store from its endpoints.yml section
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _atomically(self, conversation_id: str, change: Change[T]) -> T:
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, write, result = change(lock)
                    pipe.multi()
                    if write and new_lock is None:
                        pipe.delete(key)
                    elif write:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except WatchError:  # another server changed this lock in between: read it again
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: TicketLock | None) -> tuple[TicketLock | None, bool, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, True, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, change)
        except Exception as error:  # as Rasa's own issue_ticket does
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: TicketLock | None) -> tuple[TicketLock | None, bool, None]:
            if lock is None:
                return None, False, None
            lock.remove_expired_tickets()
            return lock, True, None

        self._atomically(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def change(lock: TicketLock | None) -> tuple[TicketLock | None, bool, None]:
            if lock is None:
                return None, False, None
            lock.remove_ticket_for(ticket_number)
            return lock, True, None

        self._atomically(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish the ticket and, in the same transaction, delete the lock if nobody else holds a ticket."""

        def change(lock: TicketLock | None) -> tuple[TicketLock | None, bool, None]:
            if lock is None:
                return None, False, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), True, None

        self._atomically(conversation_id, change)
