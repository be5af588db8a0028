"""A small closed-loop HTTP load driver for 127.0.0.1: raw sockets, one thread per connection.

gunicorn's sync workers close every connection after the response, so each request opens its own;
with `Connection: close` a response is simply everything read until the server hangs up.
"""
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import urlencode

HOST = "127.0.0.1"
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')
SERVER_TOTAL = re.compile(r"total;dur=([0-9.]+)")
SERVER_DB = re.compile(r"db;dur=([0-9.]+)")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2:]
    return b"".join(out)


def send(port: int, method: str, path: str, headers: dict | None = None, body: bytes = b"") -> Response:
    """One request to 127.0.0.1:port and the whole response."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close", "Accept-Encoding: identity",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection((HOST, port), timeout=60) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(262_144):
            chunks.append(chunk)
    head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found, cookies = {}, []
    for line in header_lines:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            cookies.append(value)
        found[name] = value
    if found.get("transfer-encoding") == "chunked":
        payload = _dechunk(payload)
    return Response(int(status_line.split()[1]), found, cookies, payload)


@dataclass
class Session:
    """A browser's cookies and CSRF token, for signed-in requests."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def headers(self, extra: dict | None = None) -> dict:
        jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**({"Cookie": jar} if jar else {}), **(extra or {})}

    def keep(self, response: Response) -> Response:
        for cookie in response.cookies:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        if match := CSRF.search(response.body.decode("utf-8", "replace")):
            self.csrf = match.group(1) or match.group(2)
        return response

    def get(self, path: str) -> Response:
        return self.keep(send(self.port, "GET", path, self.headers()))

    def post(self, path: str, form: dict, extra: dict | None = None) -> Response:
        body = urlencode({**form, "csrf_token": self.csrf}).encode()
        headers = self.headers({"Content-Type": "application/x-www-form-urlencoded", **(extra or {})})
        return self.keep(send(self.port, "POST", path, headers, body))


def sign_in(port: int, phone: str, password: str) -> Session:
    """Sign in through the login form (CSRF on), then load a page for a fresh token."""
    session = Session(port)
    session.get("/login")
    response = session.post("/login", {"phone": phone, "password": password})
    if response.status != 303:
        raise RuntimeError(f"sign-in of {phone} answered {response.status}")
    session.get("/")
    return session


@dataclass
class Sample:
    latency_ms: float
    server_ms: float | None
    db_ms: float | None
    status: int


@dataclass
class Run:
    samples: list[Sample]
    seconds: float
    cpu_ms: float | None = None  # the server's CPU time over the counted requests

    @property
    def rps(self) -> float:
        return len(self.samples) / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request(self) -> float | None:
        return self.cpu_ms / len(self.samples) if self.cpu_ms is not None and self.samples else None

    def __add__(self, other: "Run") -> "Run":
        cpu = None if self.cpu_ms is None or other.cpu_ms is None else self.cpu_ms + other.cpu_ms
        return Run(self.samples + other.samples, self.seconds + other.seconds, cpu)


def drive(port: int, make, concurrency: int, duration: float, max_requests: int, min_requests: int = 20,
          warmup: int = 10, on_start=lambda: None) -> Run:
    """Closed loop: `concurrency` connections send make(i) → (method, path, headers, body) until done.

    Stops at max_requests, or after `duration` seconds once min_requests are in; never after
    three times the duration. The first `warmup` requests (one at a time) are not counted;
    on_start() runs when the counted ones begin.
    """
    for i in range(min(warmup, max_requests)):
        send(port, *make(i))
    numbers, samples, lock = count(min(warmup, max_requests)), [], threading.Lock()
    on_start()
    started = time.perf_counter()

    def worker():
        while True:
            i, elapsed = next(numbers), time.perf_counter() - started
            if i >= max_requests or elapsed >= 3 * duration or (elapsed >= duration and len(samples) >= min_requests):
                return
            before = time.perf_counter()
            response = send(port, *make(i))
            latency = (time.perf_counter() - before) * 1000
            timing = response.headers.get("server-timing", "")
            total, db = SERVER_TOTAL.search(timing), SERVER_DB.search(timing)
            with lock:
                samples.append(Sample(latency, float(total.group(1)) if total else None,
                                      float(db.group(1)) if db else None, response.status))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Run(samples, time.perf_counter() - started)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
