"""A burst of sign-ins: the people seed-scale hashed at the app's real scrypt cost all press "sign in" at once.

Each opens the login form first (its cookie and CSRF token), opens its connection, waits at a barrier,
then posts. Reported: the time from the barrier to the last answer, beside one sign-in alone (the
floor is the hash: with every core hashing, n sign-ins cannot end sooner than n × one / cores).
"""
import os
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from load import HOST, Session

FIRST_PHONE, PEOPLE = 14900000000, 50  # app/cli/scale_grids.py: FIRST_BURST_PHONE, BURST_PEOPLE


@dataclass
class Burst:
    people: int
    alone_ms: float
    last_ms: float
    errors: list[str]

    @property
    def floor_ms(self) -> float:
        """n sign-ins of one's cost each, spread over every core."""
        return self.people * self.alone_ms / (os.cpu_count() or 1)


def _request(session: Session, phone: str, password: str) -> bytes:
    body = urlencode({"phone": phone, "password": password, "csrf_token": session.csrf}).encode()
    headers = session.headers({"Content-Type": "application/x-www-form-urlencoded"})
    lines = ["POST /login HTTP/1.1", f"Host: {HOST}:{session.port}", "Connection: close",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _status(sock: socket.socket) -> int:
    chunks = []
    while chunk := sock.recv(65_536):
        chunks.append(chunk)
    return int(b"".join(chunks).split(b" ", 2)[1])


def burst(port: int, password: str, people: int = PEOPLE) -> Burst:
    """All `people` sign in at the same moment; every answer must be the 303 of a sign-in."""
    phones = [str(FIRST_PHONE + i) for i in range(people)]
    alone = Session(port)
    alone.get("/login")
    started = time.perf_counter()
    first = alone.post("/login", {"phone": phones[0], "password": password})
    alone_ms = (time.perf_counter() - started) * 1000
    errors = [] if first.status == 303 else [f"one sign-in alone answered {first.status}"]
    sessions = [Session(port) for _ in phones]
    for s in sessions:
        s.get("/login")
    barrier, answers, ends = threading.Barrier(people + 1), [None] * people, [0.0] * people

    def sign_in(i: int) -> None:
        request = _request(sessions[i], phones[i], password)
        with socket.create_connection((HOST, port), timeout=300) as sock:
            barrier.wait(timeout=60)
            sock.sendall(request)
            answers[i] = _status(sock)
        ends[i] = time.perf_counter()

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(people)]
    for t in threads:
        t.start()
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for t in threads:
        t.join()
    errors += [f"{phones[i]} answered {a}" for i, a in enumerate(answers) if a != 303]
    return Burst(people, alone_ms, (max(ends) - started) * 1000, errors)
