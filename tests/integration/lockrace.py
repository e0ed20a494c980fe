"""Run by ``test_redis_lock_store.py`` in Rasa's environment: two processes issue tickets for one conversation at
the same time, through a lock store class given by name; prints what they got as JSON."""

from __future__ import annotations

import json
import multiprocessing
import sys

TICKETS = 150


def issue(store_path: str, port: int, password: str, queue: multiprocessing.Queue, start: object) -> None:
    from rasa.shared.utils.common import class_from_module_path

    store = class_from_module_path(store_path)(host="127.0.0.1", port=port, password=password, db=1,
                                                key_prefix="race")
    start.wait(timeout=120)  # both processes begin together
    queue.put([store.issue_ticket("conversation", lock_lifetime=600) for _ in range(TICKETS)])


def main() -> None:
    store_path, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    queue: multiprocessing.Queue = multiprocessing.Queue()
    start = multiprocessing.Barrier(2)
    workers = [multiprocessing.Process(target=issue, args=(store_path, port, password, queue, start))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    issued = [number for _ in workers for number in queue.get(timeout=300)]
    for worker in workers:
        worker.join(timeout=60)
    from rasa.core.lock_store import RedisLockStore

    lock = RedisLockStore(host="127.0.0.1", port=port, password=password, db=1, key_prefix="race").get_lock(
        "conversation")
    print(json.dumps({"issued": issued, "held": [t.number for t in lock.tickets] if lock else []}))


if __name__ == "__main__":
    main()
