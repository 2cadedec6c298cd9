"""A stand-in for the SMS provider (the outside world, not our own services).

It appends each accepted message to the file named by SMS_TEST_OUTBOX, after waiting
SMS_TEST_DELAY seconds, so a test can kill a worker in the middle of sending; each send it
begins is noted first in SMS_TEST_OUTBOX + ".started", so the test knows when that is. Like
real providers it accepts a client message id once: a repeat of the same id is dropped.
"""

import fcntl
import os
import time


class FileSmsGateway:
    def send(self, *, phone: str, body: str, message_id: str) -> None:
        with open(os.environ["SMS_TEST_OUTBOX"] + ".started", "a") as started:
            started.write(f"{message_id}\n")
        time.sleep(float(os.environ.get("SMS_TEST_DELAY", "0")))
        with open(os.environ["SMS_TEST_OUTBOX"], "a+") as outbox:
            fcntl.flock(outbox, fcntl.LOCK_EX)
            outbox.seek(0)
            if any(line.split("\t", 1)[0] == message_id for line in outbox.read().splitlines()):
                return
            outbox.write(f"{message_id}\t{body}\n")


def started_ids(path) -> list[str]:
    """The message ids whose sending began, in order (repeats included)."""
    started = f"{path}.started"
    if not os.path.exists(started):
        return []
    with open(started) as lines:
        return lines.read().split()


def delivered_ids(path) -> list[str]:
    if not os.path.exists(path):
        return []
    with open(path) as outbox:
        return [line.split("\t", 1)[0] for line in outbox.read().splitlines()]
