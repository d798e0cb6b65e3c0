#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""breaker_meter: times clients against floodgate's breakers, without a fork
per request. Used by tests/netns/test_daemon.sh and tests/bench/daemon.sh,
run in the client namespace with FG (the floodgate binary) and FG_PIN (the
pin dir) in the environment. Each command prints key=value lines.

  trip http|connect N ADDR PORT NAME WANT MAX_MS
      N GETs (or bare connects) one after the other; the CLOCK_MONOTONIC time
      of the Nth answer; then `floodgate upstream list --json` every ~10 ms
      until NAME is WANT, at most MAX_MS.
  until_ok ADDR PORT MAX_MS
      a connect every ~10 ms until one succeeds; when, and how the others
      failed.
  watch NAME UNTIL_NS READY STOP
      `floodgate upstream list --json` every ~10 ms until the file STOP exists
      or CLOCK_MONOTONIC UNTIL_NS (at most 1000 polls): NAME's states, and
      when it stopped; creates the file READY after the first poll.
  reaction TRIPS NFAIL ADDR PORT NAME TICK_MS OUT
      (FG_STATUS: the upstream's control file) TRIPS times: NAME closed, a
      random 0..1 tick pause, the upstream switched to 503, NFAIL GETs; the
      time of the last status line, when NAME shows open, its changed_ns in
      the map; then closed again through the daemon (upstream close, auto).
      One line per trip into OUT.
"""
import json
import os
import random
import socket
import subprocess
import sys
import time

FG, PIN = os.environ["FG"], os.environ["FG_PIN"]
GET = b"GET / HTTP/1.0\r\nHost: upstream\r\nConnection: close\r\n\r\n"


def now():
    return time.monotonic_ns()


def fg(*args):
    return subprocess.run([FG, *args, "--pin-dir", PIN], capture_output=True, text=True,
                          timeout=5)


def entry(name):
    """NAME's entry in `floodgate upstream list --json`, {} if none."""
    try:
        out = fg("upstream", "list", "--json").stdout
        return [u for u in json.loads(out)["upstreams"] if u["name"] == name][0]
    except (ValueError, KeyError, IndexError, subprocess.TimeoutExpired):
        return {}


def state_of(name):
    return entry(name).get("state", "none")


def changed_ns(name):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", PIN + "/upstreams"],
                         capture_output=True, text=True, timeout=5).stdout
    for e in json.loads(out):
        v = e.get("formatted", e).get("value", {})
        if isinstance(v, dict) and v.get("name") == name:
            return int(v["changed_ns"])
    return 0


def attempt(addr, port, get, timeout=2.0):
    """A connect (and a GET when get): (result, start, when the status line
    or the connect's outcome arrived). result: the status, "ok" (connect
    only), "refused", or the error's name."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    t0 = now()
    try:
        s.connect((addr, port))
        if not get:
            return "ok", t0, now()
        s.sendall(GET)
        buf = b""
        while b"\n" not in buf:
            d = s.recv(256)
            if not d:
                break
            buf += d
        t1 = now()
        code = buf.split(b" ")[1].decode() if buf.startswith(b"HTTP/") else "000"
        while d and len(buf) < 65536:  # the rest, so the server is not reset
            d = s.recv(4096)
            buf += d
        return code, t0, t1
    except ConnectionRefusedError:
        return "refused", t0, now()
    except OSError as e:
        return type(e).__name__, t0, now()
    finally:
        s.close()


def trip(mode, n, addr, port, name, want, max_ms):
    got = []
    for _ in range(int(n)):
        r, _, last = attempt(addr, int(port), mode == "http")
        got.append(r)
    polls, seen, gap, prev = 0, 0, 0, last
    while True:
        st = state_of(name)
        t = now()
        polls += 1
        gap, prev = max(gap, t - prev), t
        if st == want:
            seen = t
            break
        if t - last > int(max_ms) * 1000000:
            break
        time.sleep(0.01)
    print("got=%s last_ns=%d seen_ns=%d ms=%s polls=%d max_gap_ms=%.1f state=%s" % (
        ",".join(got), last, seen, "%.1f" % ((seen - last) / 1e6) if seen else "never",
        polls, gap / 1e6, st))


def until_ok(addr, port, max_ms):
    port, max_ms = int(port), int(max_ms)
    start, tries, slow, other, ok_ns, worst = now(), 0, 0, [], 0, 0
    while now() - start < max_ms * 1000000 and tries < 2000:
        r, t0, t1 = attempt(addr, port, False, 0.3)
        tries += 1
        if r == "ok":
            ok_ns = t1
            break
        if r != "refused":
            other.append(r)
        elif t1 - t0 > 50 * 1000000:
            slow += 1
        worst = max(worst, t1 - t0)
        time.sleep(0.01)
    print("ok_ns=%d tries=%d slow_refusals=%d other=%s worst_refusal_ms=%.1f" % (
        ok_ns, tries, slow, ",".join(other) or "none", worst / 1e6))


def watch(name, until, ready, stop):
    until = int(until)
    polls, states = 0, []
    while (now() < until or polls == 0) and polls < 1000 and not os.path.exists(stop):
        st = state_of(name)
        polls += 1
        if st not in states:
            states.append(st)
        if polls == 1:
            open(ready, "w").close()
        time.sleep(0.01)
    print("states=%s polls=%d end_ns=%d" % (",".join(states), polls, now()))


def wait_for(name, want_state, want_forced, max_ms, step_s=0.005):
    end = now() + max_ms * 1000000
    for _ in range(2000):
        e = entry(name)
        if e.get("state") == want_state and (want_forced is None or e.get("forced") == want_forced):
            return now()
        if now() > end:
            return 0
        time.sleep(step_s)
    return 0


def reaction(trips, nfail, addr, port, name, tick_ms, out):
    trips, nfail, port, tick_ms = int(trips), int(nfail), int(port), int(tick_ms)
    status = os.environ["FG_STATUS"]

    def write_status(s):
        with open(status + ".new", "w") as f:
            f.write(s + "\n")
        os.replace(status + ".new", status)

    with open(out, "w") as log:
        for i in range(trips):
            write_status("200")
            if not wait_for(name, "closed", False, 2000):
                print("trip=%d ok=0 why=not_closed_before" % i, file=log, flush=True)
                continue
            time.sleep(0.15 + random.random() * tick_ms / 1000.0)
            write_status("503")
            t0 = now()
            codes, last = [], 0
            for _ in range(nfail):
                c, _, last = attempt(addr, port, True)
                codes.append(c)
            seen = wait_for(name, "open", None, 2000)
            ch = changed_ns(name) if seen else 0
            write_status("200")
            ok = int(codes == ["503"] * nfail and seen > 0 and ch > t0)
            print("trip=%d ok=%d codes=%s t0_ns=%d last_ns=%d changed_ns=%d seen_ns=%d "
                  "react_ms=%.3f seen_ms=%.3f" % (i, ok, ",".join(codes), t0, last, ch, seen,
                  (ch - last) / 1e6 if ch else -1, (seen - last) / 1e6 if seen else -1),
                  file=log, flush=True)
            # Close it through the daemon, then hand it back.
            r1, r2 = fg("upstream", "close", name), fg("upstream", "auto", name)
            if r1.returncode or r2.returncode or "via floodgated" not in r1.stdout + r2.stdout:
                print("trip=%d ok=0 why=close_failed %s %s" % (i, (r1.stdout + r1.stderr).strip(),
                      (r2.stdout + r2.stderr).strip()), file=log, flush=True)


COMMANDS = {"trip": (trip, 7), "until_ok": (until_ok, 3), "watch": (watch, 4),
            "reaction": (reaction, 7)}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or \
            len(sys.argv) - 2 != COMMANDS[sys.argv[1]][1]:
        sys.exit("usage: breaker_meter.py trip|until_ok|watch|reaction ARGS (see its header)")
    fn = COMMANDS[sys.argv[1]][0]
    fn(*sys.argv[2:])
