"""`make bench`: the seed-scale data set under gunicorn on 127.0.0.1, a bounded load per page, the table of BENCHMARKS.md.

Each page is driven on its own by `--concurrency` connections (default: one per core, so the
server is busy but requests do not queue for a CPU) for `--seconds` or `--requests`, whichever
comes first. The budgets of docs/contracts.md are checked on SQLite; the exit status says whether all hold.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import BIN, ROOT, STREET_ORGANIZER, machine, pick, seed  # noqa: E402
from load import Run, drive, percentile, send, sign_in  # noqa: E402

PASSWORD = "demo1234"
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
LIST_MS, REPORT_MS, CEILING_SHARE, WORKER_MB = 50, 200, 0.5, 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with `workers` sync workers on 127.0.0.1, stopped on exit."""

    def __init__(self, target: str, env: dict, workers: int, pythonpath: str = str(ROOT)):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--pythonpath", pythonpath, "--chdir", str(ROOT), "--log-level", "warning", target], env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if send(self.port, "GET", "/healthz").status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{target} did not answer /healthz within 60 s")

    def workers(self) -> list[str]:
        pid = self.process.pid
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()

    def worker_peaks_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker process."""
        return [int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{w}/status").read_text()).group(1)) / 1024
                for w in self.workers()]

    def cpu_ms(self) -> float:
        """CPU time the workers have used so far (user and system)."""
        ticks = 0
        for w in self.workers():
            fields = Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks * 1000 / os.sysconf("SC_CLK_TCK")

    def drive(self, make, args, limit: int | None = None, warmup: int = 10) -> Run:
        """A bounded closed-loop load, with the CPU the workers spent on the counted requests."""
        marks = []
        run = drive(self.port, make, args.concurrency, args.seconds, limit or args.requests, warmup=warmup,
                    on_start=lambda: marks.append(self.cpu_ms()))
        run.cpu_ms = self.cpu_ms() - marks[0]
        return run

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def scenarios(f, port: int) -> list[tuple[str, object, int, int | None]]:
    """(page, make(i) → request, expected status, p95 budget in ms) for every page under load."""
    member = sign_in(port, f.member_phone, PASSWORD)
    organizer = sign_in(port, STREET_ORGANIZER, PASSWORD)
    people = {phone: None for phone, _a in f.signup_pairs}
    for phone in people:
        people[phone] = sign_in(port, phone, PASSWORD)
    query = "&".join(f"{k}={v}" for k, v in f.period.items())
    report = f"/reports/orgs/{f.street_id}"

    def get(path_of, session=None, headers=None):
        return lambda i: ("GET", path_of(i), session.headers(headers) if session else dict(headers or {}), b"")

    def signup(i):
        phone, activity = f.signup_pairs[i]
        s = people[phone]
        body = f"csrf_token={s.csrf}".encode()
        return ("POST", f"/activities/{activity}/signup",
                s.headers({**HTMX, "Content-Type": "application/x-www-form-urlencoded"}), body)

    return [
        ("activity list, anonymous", get(lambda i: "/activities"), 200, LIST_MS),
        ("activity list, signed in", get(lambda i: "/activities", member), 200, LIST_MS),
        ("activity detail", get(lambda i: f"/activities/{f.upcoming[i % len(f.upcoming)]}", member), 200, LIST_MS),
        ("signup POST (htmx)", signup, 200, None),
        ("roster of 200 people", get(lambda i: f"/manage/activities/{f.roster_activity}/roster", organizer), 200,
         LIST_MS),
        ("approval queue", get(lambda i: "/manage/hours", organizer), 200, LIST_MS),
        (f"street report, {f.period['from'][:4]}", get(lambda i: f"{report}?{query}", organizer), 200, REPORT_MS),
        ("street report XLSX", get(lambda i: f"{report}.xlsx?{query}", organizer), 200, REPORT_MS),
    ]


def measure(args, f, env) -> tuple[list[tuple], list[float], Run, int]:
    """Every page against the app, and the ceiling app right before and after the activity list."""
    app = Server("wsgi:app", env, args.workers)
    ceiling = None
    try:
        page_bytes = len(send(app.port, "GET", "/activities").body)
        ceiling = Server("ceiling:app", {**env, "CEILING_PAGE_BYTES": str(page_bytes)}, args.workers,
                         pythonpath=str(ROOT / "bench"))
        ceiling_page = lambda i: ("GET", "/activities", {}, b"")  # noqa: E731
        results = []
        for k, (name, make, expected, budget) in enumerate(scenarios(f, app.port)):
            signups = name.startswith("signup")
            # Beside the list, so their share compares runs under the same load from elsewhere on the machine.
            if k == 0:
                ceiling_run = ceiling.drive(ceiling_page, args)
            run = app.drive(make, args, len(f.signup_pairs) if signups else None, warmup=0 if signups else 10)
            if k == 0:
                ceiling_run += ceiling.drive(ceiling_page, args)
            results.append((name, run, expected, budget))
            print(f"  {name}: {len(run.samples)} requests, {run.rps:.1f}/s", file=sys.stderr)
        peaks = app.worker_peaks_mb()
    finally:
        app.stop()
        if ceiling:
            ceiling.stop()
    return results, peaks, ceiling_run, page_bytes


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def table(results, peaks, ceiling: Run, check: bool) -> tuple[str, list[str]]:
    """The Markdown table and the budgets missed."""
    rows = ["| page | requests | req/s | share of ceiling | p50 ms | p95 ms | p99 ms | client p95 ms | db p95 ms "
            "| CPU ms/request | budget (p95) | |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"]
    missed = []
    for name, run, expected, budget in [*results, ("ceiling: minimal Flask app, one SQL query", ceiling, 200, None)]:
        server = [s.server_ms for s in run.samples if s.server_ms is not None]
        wrong = sum(1 for s in run.samples if s.status != expected)
        p95 = percentile(server, 95)
        share = run.rps / ceiling.rps if ceiling.rps else 0
        ok = wrong == 0 and (budget is None or (p95 is not None and p95 <= budget))
        if name == "activity list, anonymous" and share < CEILING_SHARE:
            ok = False
            missed.append(f"{name}: {share:.0%} of the ceiling (budget ≥ {CEILING_SHARE:.0%})")
        if budget is not None and not (p95 is not None and p95 <= budget):
            missed.append(f"{name}: p95 {ms(p95)} ms (budget ≤ {budget} ms)")
        if wrong:
            missed.append(f"{name}: {wrong} answers other than {expected}")
        limits = f"≤ {budget} ms" + (f", ≥ {CEILING_SHARE:.0%} of ceiling" if name.startswith("activity list, a") else "")
        rows.append(f"| {name} | {len(run.samples)} | {run.rps:.1f} | {share:.0%} | {ms(percentile(server, 50))} | "
                    f"{ms(p95)} | {ms(percentile(server, 99))} | {ms(percentile([s.latency_ms for s in run.samples], 95))}"
                    f" | {ms(percentile([s.db_ms for s in run.samples if s.db_ms is not None], 95))} | "
                    f"{ms(run.cpu_per_request)} | {limits if budget else '–'} | {('✅' if ok else '❌') if check else ''} |")
    peak = max(peaks)
    if peak > WORKER_MB:
        missed.append(f"peak memory per worker {peak:.0f} MB (budget ≤ {WORKER_MB} MB)")
    rows.append("")
    rows.append(f"Peak memory per worker (VmHWM): {', '.join(f'{p:.0f}' for p in sorted(peaks))} MB "
                f"(budget ≤ {WORKER_MB} MB) {('✅' if peak <= WORKER_MB else '❌') if check else ''}")
    return "\n".join(rows), missed if check else []


def record(path: Path, engine: str, text: str) -> None:
    """Replace the engine's block of BENCHMARKS.md with this run."""
    start, end = f"<!-- bench:{engine}:start -->", f"<!-- bench:{engine}:end -->"
    content = path.read_text()
    if start not in content or end not in content:
        raise SystemExit(f"{path} has no {start} … {end} block")
    before, rest = content.split(start, 1)
    path.write_text(f"{before}{start}\n{text}\n{end}{rest.split(end, 1)[1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=10.0, help="per page")
    parser.add_argument("--requests", type=int, default=3000, help="at most, per page")
    parser.add_argument("--signups", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--record", type=Path, help="write the result into this file (BENCHMARKS.md)")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'bench.db'}"
    engine = "sqlite" if url.startswith("sqlite") else "postgresql"
    env = {**os.environ, "DATABASE_URL": url, "FLASK_SECRET_KEY": os.environ.get("FLASK_SECRET_KEY", "bench-only"),
           "FLASK_RATELIMIT_ENABLED": "false"}
    env.pop("HONGXIN_DEV", None)
    info = machine()
    print(f"== seeding {url} (once)", file=sys.stderr)
    seed(env, args.users, args.records)
    f = pick(env, args.signups)
    print(f"== load: {args.concurrency} connections, {args.workers} gunicorn workers", file=sys.stderr)
    results, peaks, ceiling, page_bytes = measure(args, f, env)
    body, missed = table(results, peaks, ceiling, check=engine == "sqlite")
    info.update({f"{'SQLite' if engine == 'sqlite' else 'PostgreSQL'}": f.server_version,
                 "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")})
    header = (f"{engine} · {', '.join(f'{v:,} {k}' for k, v in f.counts.items())} · {args.workers} gunicorn sync "
              f"workers · {args.concurrency} connections · up to {args.seconds:g} s or {args.requests} requests "
              f"per page · activity list {page_bytes:,} bytes\n\n"
              + "\n".join(f"- {k}: {v}" for k, v in info.items()))
    verdict = ("\n\n" + "\n".join(f"- budget missed: {line}" for line in missed)) if missed else (
        "\n\nAll budgets hold." if engine == "sqlite" else "\n\nThe budgets are checked on SQLite.")
    text = f"{header}\n\n{body}{verdict}"
    print(text)
    if args.record:
        record(args.record, engine, text)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
