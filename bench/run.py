"""`make bench`: the seed-scale data set under gunicorn on 127.0.0.1, a bounded load per page, the table of BENCHMARKS.md.

Each page is driven on its own by `--concurrency` connections (default: one per core, so the
server is busy but requests do not queue for a CPU) for `--seconds` or `--requests`, whichever
comes first; then a burst of sign-ins. The budgets of docs/contracts.md (p95 times and shares of the
ceiling) are checked on either engine; the exit status says whether all hold. `--only` measures a
few pages (the ceiling still around them); `--compare` sets the recorded PostgreSQL run beside SQLite's.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from burst import Burst, burst  # noqa: E402
from compare import compare  # noqa: E402
from data import BIN, ROOT, STREET_ORGANIZER, machine, pick, seed  # noqa: E402
from load import Run, drive, percentile, send, sign_in  # noqa: E402

PASSWORD = "demo1234"
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
LIST_MS, REPORT_MS, STREET_REPORT_MS, WORKER_MB = 50, 200, 20, 150
# Shares of the ceiling (docs/contracts.md, issue 17); each new page at least as fast as the detail.
DETAIL_SHARE = 0.35


@dataclass
class Page:
    """A page under load: its `--only` key, its name in the table, make(i) → request, and its budgets."""

    key: str
    name: str
    make: object
    expected: int = 200
    p95_ms: int | None = None
    share: float | None = None


# The pages in the order they run; `--only` takes their keys.
KEYS = ("list-anonymous", "list", "detail", "signup", "roster", "queue", "report", "report-xlsx", "desk", "cases",
        "wishes", "points")


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


def scenarios(f, port: int, only: set[str]) -> list[Page]:
    """The pages under load (those of `only`, else all), signed in as whom each needs."""
    member = sign_in(port, f.member_phone, PASSWORD)
    organizer = sign_in(port, STREET_ORGANIZER, PASSWORD)
    people = {phone: None for phone, _a in f.signup_pairs} if "signup" in only else {}
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

    pages = [
        Page("list-anonymous", "activity list, anonymous", get(lambda i: "/activities"), p95_ms=LIST_MS, share=0.5),
        Page("list", "activity list, signed in", get(lambda i: "/activities", member), p95_ms=LIST_MS, share=0.5),
        Page("detail", "activity detail", get(lambda i: f"/activities/{f.upcoming[i % len(f.upcoming)]}", member),
             p95_ms=LIST_MS, share=DETAIL_SHARE),
        Page("signup", "signup POST (htmx)", signup, share=0.25),
        Page("roster", "roster of 200 people", get(lambda i: f"/manage/activities/{f.roster_activity}/roster", organizer),
             p95_ms=LIST_MS, share=0.15),
        Page("queue", "approval queue", get(lambda i: "/manage/hours", organizer), p95_ms=LIST_MS, share=0.15),
        Page("report", f"street report, {f.period['from'][:4]}", get(lambda i: f"{report}?{query}", organizer),
             p95_ms=STREET_REPORT_MS, share=0.10),
        Page("report-xlsx", "street report XLSX", get(lambda i: f"{report}.xlsx?{query}", organizer), p95_ms=REPORT_MS),
        Page("desk", "desk of a street's organizer", get(lambda i: "/manage", organizer), p95_ms=LIST_MS,
             share=DETAIL_SHARE),
        Page("cases", "case list of a street", get(lambda i: "/cases", organizer), p95_ms=LIST_MS, share=DETAIL_SHARE),
        Page("wishes", "wish wall", get(lambda i: "/wishes", member), p95_ms=LIST_MS, share=DETAIL_SHARE),
        Page("points", "points list of a branch, a month",
             get(lambda i: f"/reports/orgs/{f.points_branch}/points?month={f.points_month}", organizer), p95_ms=LIST_MS,
             share=DETAIL_SHARE),
    ]
    return [page for page in pages if page.key in only]


def measure(args, f, env) -> tuple[list[tuple], list[float], Run, int, Burst | None]:
    """The pages asked for against the app, the ceiling app right before and after the first of them,
    then (after the memory peaks are read: scrypt takes 128 MiB) the burst of sign-ins."""
    app = Server("wsgi:app", env, args.workers)
    ceiling, signed_in = None, None
    try:
        page_bytes = len(send(app.port, "GET", "/activities").body)
        ceiling = Server("ceiling:app", {**env, "CEILING_PAGE_BYTES": str(page_bytes)}, args.workers,
                         pythonpath=str(ROOT / "bench"))
        ceiling_page = lambda i: ("GET", "/activities", {}, b"")  # noqa: E731
        results = []
        for k, page in enumerate(scenarios(f, app.port, args.only)):
            signups = page.key == "signup"
            # Beside the first page, so the shares compare runs under the same load from elsewhere on the machine.
            if k == 0:
                ceiling_run = ceiling.drive(ceiling_page, args)
            run = app.drive(page.make, args, len(f.signup_pairs) if signups else None, warmup=0 if signups else 10)
            if k == 0:
                ceiling_run += ceiling.drive(ceiling_page, args)
            results.append((page, run))
            print(f"  {page.name}: {len(run.samples)} requests, {run.rps:.1f}/s", file=sys.stderr)
        if not results:  # the burst alone: the ceiling still heads the table
            ceiling_run = ceiling.drive(ceiling_page, args)
        peaks = app.worker_peaks_mb()
        if "burst" in args.only:
            signed_in = burst(app.port, PASSWORD)
            print(f"  sign-in burst: {signed_in.people} in {signed_in.last_ms:.0f} ms", file=sys.stderr)
    finally:
        app.stop()
        if ceiling:
            ceiling.stop()
    return results, peaks, ceiling_run, page_bytes, signed_in


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def limits(page: Page) -> str:
    parts = ([f"≤ {page.p95_ms} ms"] if page.p95_ms else []) + ([f"≥ {page.share:.0%} of ceiling"] if page.share else [])
    return ", ".join(parts) or "–"


def table(results, peaks, ceiling: Run, signed_in: Burst | None) -> tuple[str, list[str]]:
    """The Markdown table and the budgets missed."""
    rows = ["| page | requests | req/s | share of ceiling | p50 ms | p95 ms | p99 ms | client p95 ms | db p95 ms "
            "| CPU ms/request | budget | |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"]
    missed = []
    for page, run in [*results, (Page("ceiling", "ceiling: minimal Flask app, one SQL query", None), ceiling)]:
        server = [s.server_ms for s in run.samples if s.server_ms is not None]
        wrong = sum(1 for s in run.samples if s.status != page.expected)
        p95 = percentile(server, 95)
        share = run.rps / ceiling.rps if ceiling.rps else 0
        page_missed = []
        if page.share is not None and share < page.share:
            page_missed.append(f"{page.name}: {share:.0%} of the ceiling (budget ≥ {page.share:.0%})")
        if page.p95_ms is not None and not (p95 is not None and p95 <= page.p95_ms):
            page_missed.append(f"{page.name}: p95 {ms(p95)} ms (budget ≤ {page.p95_ms} ms)")
        if wrong:
            page_missed.append(f"{page.name}: {wrong} answers other than {page.expected}")
        missed += page_missed
        rows.append(f"| {page.name} | {len(run.samples)} | {run.rps:.1f} | {share:.0%} | {ms(percentile(server, 50))} | "
                    f"{ms(p95)} | {ms(percentile(server, 99))} | {ms(percentile([s.latency_ms for s in run.samples], 95))}"
                    f" | {ms(percentile([s.db_ms for s in run.samples if s.db_ms is not None], 95))} | "
                    f"{ms(run.cpu_per_request)} | {limits(page)} | {'❌' if page_missed else '✅'} |")
    peak = max(peaks)
    if peak > WORKER_MB:
        missed.append(f"peak memory per worker {peak:.0f} MB (budget ≤ {WORKER_MB} MB)")
    rows.append("")
    rows.append(f"Peak memory per worker (VmHWM): {', '.join(f'{p:.0f}' for p in sorted(peaks))} MB "
                f"(budget ≤ {WORKER_MB} MB) {'✅' if peak <= WORKER_MB else '❌'}")
    if signed_in:
        missed += [f"sign-in burst: {e}" for e in signed_in.errors[:5]]
        rows.append("")
        rows.append(f"Sign-in burst: {signed_in.people} people at once over the workers, the real scrypt cost: the last "
                    f"signed in after {signed_in.last_ms:,.0f} ms (one alone: {signed_in.alone_ms:.0f} ms; the floor, "
                    f"{signed_in.people} × one over {os.cpu_count()} cores: {signed_in.floor_ms:,.0f} ms); "
                    f"{len(signed_in.errors)} errors {'❌' if signed_in.errors else '✅'}")
    return "\n".join(rows), missed


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
    parser.add_argument("--only", type=lambda v: set(v.split(",")), default=set(KEYS) | {"burst"},
                        help=f"comma-separated pages to measure, of: {', '.join(KEYS)}, burst (the sign-in burst); "
                             "the ceiling is measured around the first")
    parser.add_argument("--record", type=Path, help="write the result into this file (BENCHMARKS.md)")
    parser.add_argument("--compare", type=Path, metavar="BENCHMARKS.md",
                        help="measure nothing: compare the recorded PostgreSQL block with the SQLite one, page by page")
    args = parser.parse_args()
    if args.compare:
        text, missed = compare(args.compare)
        print(text + "".join(f"\n- not within 1.3×: {line}" for line in missed))
        return 1 if missed else 0
    if unknown := args.only - set(KEYS) - {"burst"}:
        parser.error(f"--only: no page {', '.join(sorted(unknown))} (pages: {', '.join(KEYS)}, burst)")

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
    results, peaks, ceiling, page_bytes, signed_in = measure(args, f, env)
    body, missed = table(results, peaks, ceiling, signed_in)
    info.update({f"{'SQLite' if engine == 'sqlite' else 'PostgreSQL'}": f.server_version,
                 "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")})
    header = (f"{engine} · {', '.join(f'{v:,} {k}' for k, v in f.counts.items())} · {args.workers} gunicorn sync "
              f"workers · {args.concurrency} connections · up to {args.seconds:g} s or {args.requests} requests "
              f"per page · activity list {page_bytes:,} bytes\n\n"
              + "\n".join(f"- {k}: {v}" for k, v in info.items()))
    verdict = ("\n\n" + "\n".join(f"- budget missed: {line}" for line in missed)) if missed else "\n\nAll budgets hold."
    text = f"{header}\n\n{body}{verdict}"
    print(text)
    if args.record:
        record(args.record, engine, text)
        comparison, slower = compare(args.record)
        print(f"\n{comparison}" + "".join(f"\n- not within 1.3×: {line}" for line in slower))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
