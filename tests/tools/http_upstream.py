#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""http_upstream: a real HTTP/1.0 server whose response status can be switched.

    http_upstream.py --port PORT --control FILE --log FILE --ready FILE [--bind ADDR]
                     [--timeout S]

Listens on ADDR (default "::", dual stack: IPv4 and IPv6; an IPv4 address
such as 198.18.2.11 listens on that address only, IPv4) port PORT. Every
request is answered with the status read from the control file at that
moment (one number, 200..599; 200 when the file is missing or unreadable),
one response per connection (HTTP/1.0, "Connection: close"), so each request
is exactly one TCP connection. The status line and headers leave in one
write, so the first payload segment starts with "HTTP/1.0 NNN".

"down" in the control file makes the server close each accepted connection
without answering (an upstream that accepts but does not serve).

--timeout S gives up a connection that sends nothing for S seconds (default:
wait forever). The server is one thread: under a flood that drops a
client's packets, a connection whose client is gone would block it for good.

Appends one line per request to the log file: "STATUS METHOD PATH CLIENT".
Creates the ready file once it listens. Stops on SIGTERM/SIGINT.
"""
import argparse
import http.server
import signal
import socket
import socketserver
import sys


def read_status(path):
    try:
        with open(path) as f:
            word = f.read().strip()
    except OSError:
        return 200
    if word == "down":
        return "down"
    try:
        code = int(word)
    except ValueError:
        return 200
    return code if 200 <= code <= 599 else 200


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "http_upstream"
    sys_version = ""

    def answer(self, body):
        status = read_status(self.server.control)
        client = self.client_address[0]
        with open(self.server.log, "a") as f:
            f.write(f"{status} {self.command} {self.path} {client}\n")
        if status == "down":
            self.close_connection = True
            return
        payload = f"status {status}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()  # status line + headers: one write
        if body:
            self.wfile.write(payload)
        self.close_connection = True

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)

    def log_message(self, fmt, *args):
        pass  # the request log above is the record


class Server(http.server.HTTPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        # TCPServer's bind, without HTTPServer's socket.getfqdn(): a reverse
        # lookup would send DNS queries out of the test namespace.
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]


class Server4(Server):
    address_family = socket.AF_INET


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="::")
    ap.add_argument("--control", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--timeout", type=float, default=None)
    a = ap.parse_args()

    def stop(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    cls = Server if ":" in a.bind else Server4
    # StreamRequestHandler applies its class attribute timeout to each socket.
    handler = type("Handler", (Handler,), {"timeout": a.timeout})
    srv = cls((a.bind, a.port), handler)
    srv.control = a.control
    srv.log = a.log
    open(a.log, "a").close()
    with open(a.ready, "w") as f:
        f.write("ready\n")
    srv.serve_forever()


if __name__ == "__main__":
    main()
