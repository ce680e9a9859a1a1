"""In the emulated Pi, beside the service's `dae live`: is the environment file's token the one in force,
and a viewer of the stream for a while. `python3 service_probe.py PORT TOKEN`; prints one JSON line and
always exits 0 (pi-check judges the line). Standard library only: it runs on the root's own Python."""

from __future__ import annotations

import http.client
import json
import sys
import time

WAIT_FOR_SERVER_S = 900  # dae's imports and model load take minutes under emulation
WATCH_S = 6.0  # three status lines at pi-check's 2 s


def status(port: int, path: str, headers: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def watch(port: int, token: str) -> int:
    """JPEGs of /stream.mjpg read in WATCH_S seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/stream.mjpg", headers={"Authorization": f"token {token}"})
    response = connection.getresponse()
    jpegs, until = 0, time.monotonic() + WATCH_S
    try:
        while time.monotonic() < until:
            line = response.readline()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                response.readline()
                response.read(int(line.split(b":")[1]))
                jpegs += 1
    finally:
        connection.close()
    return jpegs


def main(port: int, token: str) -> dict:
    deadline = time.monotonic() + WAIT_FOR_SERVER_S
    while True:
        try:
            without = status(port, "/stats", {})
            break
        except OSError:
            if time.monotonic() > deadline:
                return {"error": f"nothing listens on port {port} after {WAIT_FOR_SERVER_S} s"}
            time.sleep(0.2)
    found = {"without_token": without, "with_token": status(port, "/stats", {"Authorization": f"token {token}"})}
    found["jpegs"] = watch(port, token) if found["with_token"] == 200 else 0
    return found


if __name__ == "__main__":
    try:
        result = main(int(sys.argv[1]), sys.argv[2])
    except (OSError, http.client.HTTPException) as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)
