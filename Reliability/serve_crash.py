"""Crash safety of `gantry serve` (RELIABILITY.md): a server under report load killed with SIGKILL
loses no report it acknowledged. Each round starts a release `gantry serve` on one store folder,
sends execution outcomes and selections (by a retrieval's id) from several threads, each report
marked by a user name of its own, notes which were answered 200, kills the server at a random
moment (SIGKILL: no drain), and checks — with a fresh server on the same store — that the event
log holds every acknowledged report. Prints one JSON object; exits 1 when one was lost.

    python3 Reliability/serve_crash.py --gantry .build/release/gantry --kills 5 [--json F]
"""

import argparse
import json
import os
import random
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

TOOLS = [{"name": "send_email", "description": "Send an email to a customer"},
         {"name": "refund_payment", "description": "Refund a payment to the customer's card"},
         {"name": "restart_service", "description": "Restart a production service"}]


def start(gantry, folder):
    process = subprocess.Popen([gantry, "serve", "--store", f"{folder}/stores", "--tokens", f"{folder}/tokens.json", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    if "listening on" not in line:
        raise SystemExit(f"gantry serve did not start: {line!r}")
    return process, line.split()[2]


def call(url, token, method, path, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode()


def round_of_load(url, token, round_number, threads=8):
    """Reports from `threads` threads until the server dies; the markers of those answered 200."""
    status, text = call(url, token, "POST", "/v1/retrieve", {"query": "email the customer about the refund", "limit": 3})
    retrieval = json.loads(text)["retrieval"]
    acknowledged, lock, stop = [], threading.Lock(), threading.Event()

    def worker(thread):
        n = 0
        while not stop.is_set():
            marker = f"k{round_number}_t{thread}_{n}"
            n += 1
            if n % 2:
                body, path = {"tool": "send_email", "outcome": "success", "latency_ms": 12, "user": marker}, "/v1/executions"
            else:
                body, path = {"retrieval": retrieval, "tool": "refund_payment", "user": marker}, "/v1/selections"
            try:
                status, _ = call(url, token, "POST", path, body, timeout=5)
            except OSError:
                return  # the server is gone: this report was not acknowledged
            if status == 200:
                with lock:
                    acknowledged.append(marker)

    workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    return workers, stop, acknowledged


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gantry", required=True)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json")
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    folder = tempfile.mkdtemp(prefix="gantry-serve-crash-")
    token = subprocess.run([arguments.gantry, "token", "--tenant", "crash", "--tokens", f"{folder}/tokens.json"],
                           check=True, capture_output=True, text=True).stdout.strip()
    all_acknowledged, rounds = [], []
    for round_number in range(arguments.kills):
        process, url = start(arguments.gantry, folder)
        if round_number == 0:
            call(url, token, "POST", "/v1/tools", {"tools": TOOLS})
        workers, stop, acknowledged = round_of_load(url, token, round_number)
        time.sleep(rng.uniform(0.3, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
        for w in workers:
            w.join()
        all_acknowledged += acknowledged
        rounds.append(len(acknowledged))
    process, url = start(arguments.gantry, folder)
    _, log = call(url, token, "GET", "/v1/events", timeout=60)
    process.send_signal(signal.SIGTERM)
    process.wait()
    stored = set()
    for line in log.splitlines():
        record = json.loads(line)
        if record.get("kind") in ("execution", "report") and "user" in record:
            stored.add(record["user"])
    lost = [marker for marker in all_acknowledged if marker not in stored]
    result = {"kills": arguments.kills, "acknowledged": len(all_acknowledged), "per_round": rounds, "lost": len(lost),
              "lost_examples": lost[:5], "store": folder}
    print(json.dumps(result))
    if arguments.json:
        with open(arguments.json, "w") as file:
            json.dump(result, file)
    if lost:
        raise SystemExit(1)
    subprocess.run(["rm", "-rf", folder])


if __name__ == "__main__":
    main()
