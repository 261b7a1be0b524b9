#!/usr/bin/env python3
"""httpd.py - loopback-only HTTP/1.1 file server for probe-builder's tests.

The crawler and downloader are tested against mirrors made by
tests/fixtures/mk-apt-mirror.sh and mk-rpm-mirror.sh, served by this server
on 127.0.0.1 only, with faults injected on demand (errors, resets, truncated
or corrupted bodies, slow or dead servers). Python standard library only. From shell tests, tests/lib/httpd.sh
starts, drives and stops it (pb_httpd_start, pb_httpd_faults, pb_httpd_idle,
pb_httpd_count, pb_httpd_stop).

Usage:
  httpd.py --root DIR [--port N] [--port-file F] [--faults FILE] [--log FILE]
           [--watch-pid PID]

  --root DIR      the files served: GET/HEAD /a/b gives DIR/a/b. Directories,
                  missing files and paths leaving DIR give 404 (no listings).
  --port N        port on 127.0.0.1 (default 0: a free one, see --port-file).
  --port-file F   once listening, the port number is written to F (atomically:
                  a reader sees nothing or the whole line).
  --faults FILE   JSON fault rules, re-read on every request (see below); a
                  missing or empty file means no faults.
  --log FILE      one line appended per request (see below).
  --watch-pid PID exit when process PID is gone (so a test that dies does not
                  leave its server behind).
Runs until SIGTERM or SIGINT (exit status 0). Prints nothing on stderr unless
the faults file is invalid or the server itself has a bug.

Requests: GET and HEAD, HTTP/1.1 with keep-alive, threaded (one thread per
connection). Responses carry Content-Length, Last-Modified, ETag and
Accept-Ranges: bytes. "Range: bytes=N-", "bytes=N-M" and "bytes=-N" give 206
with Content-Range, a start at or past the end gives 416 (Content-Range:
bytes */SIZE); multiple or malformed ranges are ignored (200, whole file).
If-Range (ETag or Last-Modified date) turns a stale Range into a 200;
If-None-Match / If-Modified-Since give 304.

Log lines (space separated, written when the request is finished):
  METHOD PATH RANGE STATUS BYTES FAULT OUTCOME MS
  PATH     the decoded path without query (%-escapes only for spaces, control
           characters and "%"), e.g. /pool/main/l/linux/x_1.0+b1_amd64.deb
  RANGE    the Range header without spaces, or "-"
  STATUS   the status sent, or "-" when none was ("down")
  BYTES    body bytes written to the socket
  FAULT    the applied rule's faults, e.g. "status=503", "delay=2,trickle=1000",
           or "-"
  OUTCOME  done | aborted (the client went away) | reset | truncated | down
  MS       milliseconds spent on the request
The line is written before the connection is closed or reset, but after the
last body byte was sent: a test that reads the log right after its client
returned first asks GET /__httpd/idle (below).

Control requests (never logged, never faulted):
  GET /__httpd/idle[?timeout=S]  waits until no other request is in progress
      (default 10 s); 200 "idle", or 503 "busy N" on timeout.

Faults file: a JSON list of rules, first active match wins:
  {"path": "/exact/path" | "glob": "*.deb",   (fnmatch, "*" also matches "/")
   "method": "GET",                           (optional: only this method)
   "times": N,                                (optional: the rule applies to
                                               N requests, then is inactive)
   "fault": {FAULTS}}
The faults may also be written directly in the rule ({"glob": "*", "down":
true}). FAULTS:
  "status": CODE        answer CODE with a small body
  "down": true          close the connection without answering
  "delay": SECONDS      sleep before answering (combines with anything)
  "reset_after": N      headers with the full Content-Length, N body bytes,
                        then a TCP reset (the N bytes are acknowledged by the
                        client's kernel before the reset)
  "truncate_after": N   headers with the full Content-Length, N body bytes,
                        then a clean close
  "trickle": BYTES_PER_S  send the body at about that rate
  "corrupt": true       flip (xor 0xff) the byte at offset LENGTH/2 of the
                        body sent (wrong content, right length)
  "redirect": URL       answer 302 with Location: URL ("{path}" in it is
                        replaced by the request's path), whether or not the
                        file exists
  "endless": true       answer 200 without Content-Length and send zeros
                        until the client goes away (whether or not the file
                        exists)
"down", "status", "redirect" and "endless" combine with "delay" only; "reset_after" and
"truncate_after" exclude each other; the other faults combine freely.
A rule whose faults are only body faults (reset_after, truncate_after,
trickle, corrupt) only matches requests that send a body (a GET answered 200
or 206): HEAD, 304, 404 and 416 answers do not use up its "times".
Use counts are kept in memory and start again from zero whenever the file
changes (its inode, mtime or content): rewrite it to re-arm rules. Write it
atomically (write a temporary file, then rename it) while the server runs.
An invalid faults file makes every request answer 500 (fault
"bad-faults-file") and is reported once on stderr.
"""

import argparse
import email.utils
import fcntl
import fnmatch
import json
import os
import re
import signal
import socket
import struct
import sys
import termios
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 256 * 1024
CONTROL = "/__httpd/"
BODY_FAULTS = ("reset_after", "truncate_after", "trickle", "corrupt")
FAULT_KEYS = ("status", "down", "delay", "redirect", "endless") + BODY_FAULTS
RULE_KEYS = ("path", "glob", "method", "times", "fault")
# log field escaping: everything printable but space and "%" stays as is
LOG_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")
RANGE_RE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$", re.ASCII)


class FaultFileError(Exception):
    pass


def _check_number(name, value, minimum, integer):
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or value < minimum:
        kind = "an integer" if integer else "a number"
        raise FaultFileError(f'"{name}" must be {kind} >= {minimum}, not {value!r}')


def parse_rules(text):
    """Parse and validate the faults file; returns a list of rules."""
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except ValueError as e:
        raise FaultFileError(f"not JSON: {e}") from None
    if not isinstance(data, list):
        raise FaultFileError("the top level must be a list of rules")
    rules = []
    for i, raw in enumerate(data):
        try:
            rules.append(parse_rule(raw))
        except FaultFileError as e:
            raise FaultFileError(f"rule {i}: {e}") from None
    return rules


def parse_rule(raw):
    """One rule of the faults file, validated."""
    if not isinstance(raw, dict):
        raise FaultFileError("not an object")
    fault = {}
    if "fault" in raw:
        if not isinstance(raw["fault"], dict):
            raise FaultFileError('"fault" must be an object')
        fault.update(raw["fault"])
    for k, v in raw.items():
        if k in FAULT_KEYS:
            fault[k] = v
        elif k not in RULE_KEYS:
            raise FaultFileError(f'unknown key "{k}"')
    for k in fault:
        if k not in FAULT_KEYS:
            raise FaultFileError(f'unknown fault "{k}"')
    if not fault:
        raise FaultFileError("no fault")
    if ("path" in raw) == ("glob" in raw):
        raise FaultFileError('needs exactly one of "path" and "glob"')
    pattern = raw.get("path", raw.get("glob"))
    if not isinstance(pattern, str) or not pattern:
        raise FaultFileError("path/glob must be a non-empty string")
    if "status" in fault:
        _check_number("status", fault["status"], 100, True)
        if fault["status"] > 599:
            raise FaultFileError('"status" must be below 600')
    for k in ("reset_after", "truncate_after"):
        if k in fault:
            _check_number(k, fault[k], 0, True)
    if "delay" in fault:
        _check_number("delay", fault["delay"], 0, False)
    if "trickle" in fault:
        _check_number("trickle", fault["trickle"], 1, False)
    if "redirect" in fault and (not isinstance(fault["redirect"], str) or not fault["redirect"]):
        raise FaultFileError('"redirect" must be a non-empty string')
    for k in ("down", "corrupt", "endless"):
        if k in fault and not isinstance(fault[k], bool):
            raise FaultFileError(f'"{k}" must be true or false')
    # false booleans are no faults at all
    fault = {k: v for k, v in fault.items() if v is not False}
    active = set(fault) - {"delay"}
    if "down" in active and len(active) > 1:
        raise FaultFileError('"down" combines with "delay" only')
    for k in ("status", "redirect", "endless"):
        if k in active and len(active) > 1:
            raise FaultFileError(f'"{k}" combines with "delay" only')
    if "reset_after" in fault and "truncate_after" in fault:
        raise FaultFileError('"reset_after" and "truncate_after" exclude each other')
    times = raw.get("times")
    if times is not None:
        _check_number("times", times, 0, True)
    method = raw.get("method")
    if method is not None:
        if not isinstance(method, str):
            raise FaultFileError('"method" must be a string')
        method = method.upper()
    return {
        "exact": "path" in raw,
        "pattern": pattern,
        "method": method,
        "times": times,
        "fault": fault,
        "body_only": bool(fault) and all(k in BODY_FAULTS for k in fault),
    }


class Faults:
    """The faults file, re-read on each request, with per-rule use counts."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.generation = None
        self.rules = []
        self.error = None
        self.used = {}

    def _read(self):
        try:
            st = os.stat(self.path)
            with open(self.path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return None, b""
        return (st.st_ino, st.st_mtime_ns, data), data

    def _refresh(self):
        gen, data = self._read()
        if gen == self.generation:
            return
        try:
            rules = parse_rules(data.decode("utf-8", "replace"))
        except FaultFileError:
            # perhaps caught in the middle of a non-atomic write: once more
            time.sleep(0.05)
            gen, data = self._read()
            try:
                rules = parse_rules(data.decode("utf-8", "replace"))
            except FaultFileError as e:
                if gen != self.generation:
                    print(f"httpd.py: invalid faults file {self.path}: {e}",
                          file=sys.stderr, flush=True)
                self.generation, self.rules, self.error = gen, [], str(e)
                self.used = {}
                return
        self.generation, self.rules, self.error = gen, rules, None
        self.used = {}

    def take(self, method, path, sends_body):
        """The fault dict for this request (its use counted), or None."""
        if not self.path:
            return None
        with self.lock:
            self._refresh()
            if self.error is not None:
                raise FaultFileError(self.error)
            for i, rule in enumerate(self.rules):
                if rule["times"] is not None and self.used.get(i, 0) >= rule["times"]:
                    continue
                if rule["method"] is not None and rule["method"] != method:
                    continue
                if rule["body_only"] and not sends_body:
                    continue
                if rule["exact"]:
                    if path != rule["pattern"]:
                        continue
                elif not fnmatch.fnmatchcase(path, rule["pattern"]):
                    continue
                self.used[i] = self.used.get(i, 0) + 1
                return rule["fault"]
        return None


def describe(fault):
    if not fault:
        return "-"
    parts = []
    for k in FAULT_KEYS:
        if k in fault:
            v = fault[k]
            parts.append(k if v is True else f"{k}={v}")
    return ",".join(parts)


def parse_range(value, size):
    """None: ignore the header (200); "416": unsatisfiable; else (first, last)."""
    m = RANGE_RE.match(value.replace(" ", "").replace("\t", ""))
    if not m:
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0 or size == 0:
            return "416"
        return (max(0, size - n), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        return "416"
    end = int(last) if last else size - 1
    return (start, min(end, size - 1))


class Activity:
    """Counts requests in progress, for /__httpd/idle."""

    def __init__(self):
        self.cond = threading.Condition()
        self.active = 0

    def enter(self):
        with self.cond:
            self.active += 1

    def leave(self):
        with self.cond:
            self.active -= 1
            self.cond.notify_all()

    def wait_idle(self, timeout):
        with self.cond:
            self.cond.wait_for(lambda: self.active == 0, timeout)
            return self.active


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pb-httpd"
    sys_version = ""
    timeout = 60  # idle keep-alive connections

    def version_string(self):
        return self.server_version

    # --- quiet: no per-request stderr output -------------------------------
    def log_message(self, format, *args):  # noqa: A002 (base class name)
        pass

    def do_GET(self):
        self._request()

    def do_HEAD(self):
        self._request()

    # --- helpers ----------------------------------------------------------
    def _headers(self, status, length, extra=()):
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.st_status = str(status)

    def _small(self, status, text, extra=()):
        body = text.encode()
        if status in (204, 304) or status < 200:
            self._headers(status, None, extra)
            return
        self._headers(status, len(body),
                      (("Content-Type", "text/plain; charset=utf-8"),) + tuple(extra))
        if self.command != "HEAD":
            self.wfile.write(body)
            self.st_sent = len(body)

    def _fs_path(self, path):
        root = self.server.root
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts) or "\0" in path:
            return None
        full = os.path.join(root, *parts)
        real = os.path.realpath(full)
        if real != root and not real.startswith(root + os.sep):
            return None
        return real if os.path.isfile(real) else None

    def _control(self, path, query):
        if path == CONTROL + "idle":
            try:
                timeout = float(urllib.parse.parse_qs(query).get("timeout", ["10"])[0])
            except ValueError:
                timeout = 10.0
            busy = self.server.activity.wait_idle(timeout)
            if busy:
                self._small(503, f"busy {busy}\n")
            else:
                self._small(200, "idle\n")
        else:
            self._small(404, "no such control request\n")

    # --- one request --------------------------------------------------------
    def _request(self):
        t0 = time.monotonic()
        target = self.path
        if target.startswith(("http://", "https://")):
            target = urllib.parse.urlsplit(target).path or "/"
        raw_path, _, query = target.partition("?")
        raw_path = raw_path.partition("#")[0]
        path = urllib.parse.unquote(raw_path)
        if path.startswith(CONTROL):
            self._control(path, query)
            return

        self.st_status, self.st_sent, self.st_outcome = "-", 0, "done"
        self.st_fault = None
        after = None
        self.server.activity.enter()
        try:
            try:
                after = self._respond(path)
            except FaultFileError:
                self.st_fault = {"bad-faults-file": True}
                self._small(500, "httpd.py: invalid faults file\n")
            except (ConnectionError, TimeoutError):
                self.st_outcome = "aborted"
                self.close_connection = True
                after = None
        finally:
            self._log(path, self.st_fault, t0)
            self.server.activity.leave()
            if after == "reset":
                self._reset()

    def _respond(self, path):
        """Answers the request; returns what to do after logging."""
        head = self.command == "HEAD"
        fs = self._fs_path(path)
        plan = {"status": 404}
        if fs is not None:
            try:
                fh = open(fs, "rb")
            except OSError:
                fh = None
            if fh is not None:
                st = os.fstat(fh.fileno())
                plan = self._plan(st)
                plan["fh"] = fh
        try:
            sends_body = not head and plan["status"] in (200, 206)
            fault = self.server.faults.take(self.command, path, sends_body) or {}
            self.st_fault = fault
            if fault.get("delay"):
                time.sleep(fault["delay"])
            if fault.get("down"):
                self.st_outcome = "down"
                self.close_connection = True
                return None
            if "status" in fault:
                self._small(fault["status"], f"injected fault: status {fault['status']}\n")
                return None
            if "redirect" in fault:
                self._small(302, "injected fault: redirect\n",
                            (("Location", fault["redirect"].replace("{path}", path)),))
                return None
            if fault.get("endless"):
                return self._endless()
            status = plan["status"]
            if status == 404:
                self._small(404, "not found\n")
                return None
            if status == 416:
                self._small(416, "range not satisfiable\n",
                            (("Content-Range", f"bytes */{plan['size']}"),))
                return None
            if status == 304:
                self._headers(304, None, plan["validators"])
                return None
            first, length = plan["first"], plan["length"]
            extra = [("Content-Type", "application/octet-stream"),
                     ("Accept-Ranges", "bytes")] + plan["validators"]
            if status == 206:
                extra.append(("Content-Range",
                              f"bytes {first}-{first + length - 1}/{plan['size']}"))
            self._headers(status, length, extra)
            if head:
                return None
            return self._body(plan["fh"], first, length, fault)
        finally:
            if plan.get("fh") is not None:
                plan["fh"].close()

    def _plan(self, st):
        size = st.st_size
        lastmod = email.utils.formatdate(st.st_mtime, usegmt=True)
        etag = f'"{st.st_ino:x}-{size:x}-{st.st_mtime_ns:x}"'
        validators = [("Last-Modified", lastmod), ("ETag", etag)]
        plan = {"size": size, "validators": validators}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            if "*" in tags or etag in tags or "W/" + etag in tags:
                plan["status"] = 304
                return plan
        elif ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                since = None
            if since is not None and int(st.st_mtime) <= since:
                plan["status"] = 304
                return plan
        rng = self.headers.get("Range")
        use_range = rng is not None
        if use_range and self.headers.get("If-Range") is not None:
            cond = self.headers["If-Range"].strip()
            use_range = cond == etag if cond.startswith(('"', "W/")) else cond == lastmod
        parsed = parse_range(rng, size) if use_range else None
        if parsed == "416":
            plan["status"] = 416
        elif parsed is None:
            plan.update(status=200, first=0, length=size)
        else:
            plan.update(status=206, first=parsed[0], length=parsed[1] - parsed[0] + 1)
        return plan

    def _body(self, fh, first, length, fault):
        cut, after = length, None
        if "reset_after" in fault:
            cut, after = min(length, fault["reset_after"]), "reset"
        elif "truncate_after" in fault:
            cut, after = min(length, fault["truncate_after"]), "truncate"
        flip = length // 2 if fault.get("corrupt") and length > 0 else -1
        rate = fault.get("trickle")
        step = CHUNK if not rate else max(1, min(CHUNK, int(rate / 10)))
        fh.seek(first)
        pos = 0
        while pos < cut:
            data = fh.read(min(step, cut - pos))
            if not data:  # the file shrank under us: what was promised is not sent
                after = after or "truncate"
                break
            if pos <= flip < pos + len(data):
                data = bytearray(data)
                data[flip - pos] ^= 0xFF
            self.wfile.write(data)
            pos += len(data)
            self.st_sent = pos
            if rate:
                time.sleep(len(data) / rate)
        if after == "truncate":
            self.st_outcome = "truncated"
            self.close_connection = True
            return None
        if after == "reset":
            self.st_outcome = "reset"
            self.close_connection = True
            return "reset"
        return None

    def _endless(self):
        """200, no length, zeros until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.st_status = "200"
        self.close_connection = True
        if self.command == "HEAD":
            return None
        zeros = bytes(CHUNK)
        try:
            while True:
                self.wfile.write(zeros)
                self.st_sent += len(zeros)
        except (ConnectionError, TimeoutError):
            self.st_outcome = "aborted"
        return None

    def _reset(self):
        """Abortive close: wait until the client's kernel has acknowledged
        what was sent, then close with SO_LINGER 0 (TCP RST)."""
        sock = self.connection
        deadline = time.monotonic() + 2.0
        buf = struct.pack("i", 0)
        try:
            while time.monotonic() < deadline:
                unacked = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf))[0]
                if unacked == 0:
                    break
                time.sleep(0.005)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            sock.close()
        except OSError:
            pass

    def _log(self, path, fault, t0):
        log = self.server.log
        if log is None:
            return
        ms = int((time.monotonic() - t0) * 1000)
        rng = self.headers.get("Range")
        rng = "-" if rng is None else (rng.replace(" ", "").replace("\t", "") or "-")
        rng = urllib.parse.quote(rng, safe=LOG_SAFE)
        if fault and "bad-faults-file" in fault:
            fdesc = "bad-faults-file"
        else:
            fdesc = describe(fault)
        line = (f"{self.command} {urllib.parse.quote(path, safe=LOG_SAFE)} {rng} "
                f"{self.st_status} {self.st_sent} {fdesc} {self.st_outcome} {ms}\n")
        with self.server.log_lock:
            log.write(line)
            log.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # a client that went away: not worth a word
        traceback.print_exc(file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="loopback-only HTTP/1.1 file server for tests")
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--faults")
    ap.add_argument("--log")
    ap.add_argument("--watch-pid", type=int)
    args = ap.parse_args()

    root = os.path.realpath(args.root)
    if not os.path.isdir(root):
        ap.error(f"--root {args.root}: not a directory")

    try:
        server = Server(("127.0.0.1", args.port), Handler)
    except OSError as e:
        print(f"httpd.py: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr)
        return 1
    server.root = root
    server.faults = Faults(os.path.abspath(args.faults) if args.faults else None)
    server.activity = Activity()
    server.log_lock = threading.Lock()
    server.log = open(args.log, "a", encoding="utf-8") if args.log else None

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.watch_pid:
        def watch(pid):
            while True:
                time.sleep(0.5)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                except PermissionError:
                    pass
        threading.Thread(target=watch, args=(args.watch_pid,), daemon=True).start()

    port = server.server_address[1]
    if args.port_file:
        tmp = f"{args.port_file}.tmp.{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        server.server_close()
        if server.log is not None:
            server.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
