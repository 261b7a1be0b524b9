#!/usr/bin/env python3
"""A webhook receiver for the newswatch tests, on 127.0.0.1.

    webhook.py --port-file F --out F.jsonl [--fail-until FILE] [--port P]

Listens on 127.0.0.1 (a free port unless --port is given) and writes the port
to --port-file once it accepts connections (atomically: write then rename),
so a test can wait for that file.  Every request gets one JSON line in --out,
written and flushed before the answer is sent:

    {"received_at": time.time(), "method": "POST", "path": "/hook",
     "status": 200, "refused": false, "content_type": "...",
     "idempotency_key": <the Idempotency-Key header, or null>,
     "body": <the parsed JSON body>}

* POST with a JSON body: 200 {"ok": true}.
* POST whose body is not JSON: 400, recorded with "body_raw" and "error".
* While the file named by --fail-until exists: 503 for every POST, recorded
  with "refused": true (and the body, parsed if possible), to simulate an
  outage the test switches on and off with touch/rm.  --fail-status changes
  the code (e.g. 500 or 429); --retry-after adds a Retry-After header.
* While the file named by --slow-while exists: every 2xx answer waits
  0.2 s after its request is recorded (a POST is then in flight most of
  the time: a kill of the sender lands in that window).
* GET /health: 200 "ok", not recorded.  Other methods: 405, recorded.

Runs until SIGTERM/SIGINT; to simulate a receiver that is down, stop it.
"""

import argparse
import json
import socket
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, args):
        super().__init__(addr, handler)
        self.args = args
        self.lock = threading.Lock()
        self.out = open(args.out, "a", encoding="utf-8")
        self.counts = {"ok": 0, "refused": 0, "bad": 0}

    def record(self, rec):
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self.lock:
            self.out.write(line)
            self.out.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # keep-alive, as libcurl expects

    def setup(self):
        super().setup()
        # headers and body go out in separate writes: without this, Nagle
        # and the client's delayed ACK stall every kept-alive request 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server_version = "newswatch-webhook/1"

    def log_message(self, fmt, *args):
        if self.server.args.verbose:
            sys.stderr.write("webhook.py: %s\n" % (fmt % args))

    def reply(self, status, body, ctype="application/json", extra=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            return self.rfile.read(n)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def do_POST(self):
        received_at = time.time()
        args = self.server.args
        raw = self.read_body()
        rec = {
            "received_at": received_at,
            "method": "POST",
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "idempotency_key": self.headers.get("Idempotency-Key"),
        }
        try:
            body = json.loads(raw.decode("utf-8"))
            err = None
        except (UnicodeDecodeError, ValueError) as e:
            body, err = None, str(e)

        if args.fail_until and os.path.exists(args.fail_until):
            rec.update(status=args.fail_status, refused=True)
            if err is None:
                rec["body"] = body
            else:
                rec.update(body_raw=raw.decode("utf-8", "replace"), error=err)
            self.server.record(rec)
            self.server.counts["refused"] += 1
            extra = [("Retry-After", str(args.retry_after))] if args.retry_after is not None else []
            self.reply(args.fail_status, '{"ok": false, "error": "simulated outage"}', extra=extra)
            return

        if err is not None:
            rec.update(status=400, refused=False, body_raw=raw.decode("utf-8", "replace"), error=err)
            self.server.record(rec)
            self.server.counts["bad"] += 1
            self.reply(400, json.dumps({"ok": False, "error": "body is not JSON: " + err}))
            return

        rec.update(status=200, refused=False, body=body)
        self.server.record(rec)
        if args.slow_while and os.path.exists(args.slow_while):
            time.sleep(0.2)
        self.server.counts["ok"] += 1
        self.reply(200, '{"ok": true}')

    def do_GET(self):
        if self.path.rstrip("/") in ("/health", ""):
            self.reply(200, "ok\n", "text/plain")
        else:
            self.other()

    def other(self):
        self.server.record({"received_at": time.time(), "method": self.command,
                            "path": self.path, "status": 405, "refused": False})
        self.reply(405, '{"ok": false, "error": "POST only"}')

    do_PUT = do_DELETE = do_PATCH = other


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port-file", required=True, help="where to write the port once listening")
    p.add_argument("--out", required=True, help="JSON lines, one per request (appended)")
    p.add_argument("--fail-until", help="answer --fail-status while this file exists")
    p.add_argument("--slow-while", help="answer 2xx 0.2 s late while this file exists")
    p.add_argument("--fail-status", type=int, default=503)
    p.add_argument("--retry-after", type=int, help="Retry-After seconds sent with refusals")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()

    try:
        srv = Server((args.host, args.port), Handler, args)
    except OSError as e:
        print("webhook.py: cannot listen on %s:%d: %s" % (args.host, args.port, e), file=sys.stderr)
        return 1
    port = srv.server_address[1]
    tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        srv.out.close()
        if args.verbose:
            print("webhook.py: %(ok)d accepted, %(refused)d refused, %(bad)d bad" % srv.counts,
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
