"""Open-loop load on `gantry serve`: requests sent at fixed times, each latency counted from the
time the request was scheduled (a server that stalls shows as latency, not as a lower rate —
wrk's closed loop cannot hold a rate). Retrievals at --rate per second over the queries of
--queries (one JSON object per line with "text"), cycling; with --reports R, R linked reports a
second as well (a selection and an execution outcome, by the id of a retrieval answered before:
no encoding), whose latencies are kept apart. Keep-alive HTTP/1.1 over --connections sockets,
on asyncio (one thread). Prints one JSON object: per kind, the count, errors, p50/p90/p99/max in
milliseconds, and the rate reached; and how late the client itself sent requests
(client_send_lag_ms: its timer and event loop's share of every latency).

    python3 http_load.py --url http://127.0.0.1:8080 --token T --queries queries.jsonl --rate 300 --seconds 30 [--reports 1000]
"""

import argparse
import asyncio
import itertools
import json
import time
from urllib.parse import urlparse


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, host, port, token):
        self.host, self.port, self.token = host, port, token
        self.reader = self.writer = None

    async def request(self, path, body):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
        self.writer.write(head + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length) if length else b""
        return status, payload


async def run(arguments):
    url = urlparse(arguments.url)
    queries = [json.loads(line)["text"] for line in open(arguments.queries) if line.strip()]
    pool = asyncio.Queue()
    for _ in range(arguments.connections):
        pool.put_nowait(Connection(url.hostname, url.port, arguments.token))
    results = {"retrieve": [], "report": []}
    errors = {"retrieve": 0, "report": 0}
    lags = []  # how late the client itself sent each request: its share of the latencies
    retrievals = []  # (id, first tool) of answered retrievals, for the reports
    tasks = []

    async def call(kind, scheduled, path, body):
        connection = await pool.get()
        lags.append((time.perf_counter() - scheduled) * 1000)
        try:
            status, payload = await connection.request(path, body)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            connection.writer = None
            status, payload = 0, b""
        finally:
            pool.put_nowait(connection)
        results[kind].append((time.perf_counter() - scheduled) * 1000)
        if status != 200:
            errors[kind] += 1
        elif kind == "retrieve":
            answer = json.loads(payload)
            if answer["matches"]:
                retrievals.append((answer["retrieval"], answer["matches"][0]["exported_name"]))

    kinds = arguments.report_kinds.split(",")

    def report_body(n):
        retrieval, tool = retrievals[-1 - (n % min(len(retrievals), 500))]
        if kinds[n % len(kinds)] == "selection":
            return "/v1/selections", {"retrieval": retrieval, "tool": tool}
        return "/v1/executions", {"retrieval": retrieval, "tool": tool, "outcome": "success", "latency_ms": 25}

    start = time.perf_counter() + 0.05
    schedule = []
    for i in range(int(arguments.rate * arguments.seconds)):
        schedule.append((start + i / arguments.rate, "retrieve", i))
    for i in range(int(arguments.reports * arguments.seconds)):
        schedule.append((start + 0.5 + i / arguments.reports, "report", i))  # after the first retrievals
    schedule.sort()
    query = itertools.cycle(queries)
    for at, kind, n in schedule:
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if kind == "retrieve":
            tasks.append(asyncio.create_task(call(kind, at, "/v1/retrieve", {"query": next(query), "limit": 5})))
        elif retrievals:
            path, body = report_body(n)
            tasks.append(asyncio.create_task(call(kind, at, path, body)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start

    def summary(kind):
        values = sorted(results[kind])
        if not values:
            return None
        pick = lambda p: round(values[min(len(values) - 1, int(len(values) * p))], 3)
        return {"count": len(values), "errors": errors[kind], "p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99),
                "max_ms": round(values[-1], 3), "rate": round(len(values) / elapsed, 1)}

    lags.sort()
    print(json.dumps({"label": arguments.label, "rate": arguments.rate, "reports_rate": arguments.reports, "seconds": arguments.seconds,
                      "retrieve": summary("retrieve"), "report": summary("report"),
                      "client_send_lag_ms": {"p50": round(lags[len(lags) // 2], 3), "p99": round(lags[int(len(lags) * 0.99)], 3)} if lags else None,
                      "load": open("/proc/loadavg").read().split()[:3]}))
    return errors["retrieve"] + errors["report"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--reports", type=float, default=0)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--label", default="", help="a name for the run in the output")
    parser.add_argument("--report-kinds", default="selection,execution",
                        help="the reports sent in turn: selection, execution (a linked success), or both")
    parser.add_argument("--allow-errors", action="store_true", help="exit 0 even when requests failed")
    arguments = parser.parse_args()
    failed = asyncio.run(run(arguments))
    raise SystemExit(0 if failed == 0 or arguments.allow_errors else 1)
