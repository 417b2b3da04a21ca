#!/usr/bin/env python3
"""A fault-injection TCP proxy for ccsync's fault tests (tests/it/faults.rs). Loopback only.

    python3 scripts/fault_proxy.py --upstream 127.0.0.1:PORT [--port 0] [--parent-pid PID]

Prints `READY <proxy port> <control port>` once both listen on 127.0.0.1. Traffic to the proxy
port is forwarded to the upstream (a ClickHouse HTTP endpoint); the control port takes one
command per connection (a line) and answers one JSON line:

    status                       counters, state and a log of the requests seen
    reset                        back to plain forwarding; counters and rules cleared
    mode pass|refuse|down        refuse: accept then reset each connection (RST);
                                 down: close the listening socket (connection refused);
                                 pass: forward (listening again on the same port)
    upstream HOST:PORT           forward new connections there (a restarted server)
    hold_req TERMS K OFFSET      the K-th request whose head contains every comma-separated
                                 term of TERMS (`*`: any request) is forwarded up to OFFSET
                                 bytes (head included), then held until `release`
    cut_req TERMS K OFFSET       same, but both sides are closed at that point
    hold_resp TERMS K            that request is forwarded whole, its response held
    delay TERMS SECONDS          responses to matching requests start SECONDS late
    release                      held traffic continues
    drop                         closes every open connection

Requests are framed with HTTP/1.1 keep-alive in mind, without parsing bodies: a client sends the
next request on a connection only after it has received the previous response (hyper does not
pipeline), so the first client bytes after response bytes start a new request.

Why a proxy: the fault tests must stop the real binary at chosen points of a real sync (between
the bytes of an insert, after the server applied it but before the acknowledgement arrived...)
without any test hook in ccsync itself.
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time

HEAD_END = b"\r\n\r\n"
MAX_HEAD = 1 << 20
LOG_KEEP = 2000


class Request:
    def __init__(self, n, line, matched):
        self.n = n
        self.line = line
        self.sent = 0
        self.limit = None  # hold or cut after this many bytes
        self.cut = False
        self.hold_resp = False
        self.delay = 0.0
        self.responded = False
        self.matched = matched

    def as_dict(self):
        return {"n": self.n, "line": self.line, "bytes": self.sent,
                "responded": self.responded, "matched": self.matched}


class Conn:
    def __init__(self, client, upstream):
        self.client = client
        self.upstream = upstream
        self.new_request = True
        self.req = None
        self.closed = False

    def close(self):
        self.closed = True
        for s in (self.client, self.upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass


class Proxy:
    def __init__(self, host, port, upstream):
        self.host = host
        self.port = port
        self.upstream = upstream
        self.cv = threading.Condition()
        self.listener = None
        self.reset_state()

    def reset_state(self):
        self.mode = "pass"
        self.rules = []  # dicts: kind, terms, k, offset, seconds, seen, fired
        self.requests = 0
        self.log = []
        self.held = 0
        self.hold_hits = 0
        self.cuts = 0
        self.release_gen = getattr(self, "release_gen", 0) + 1
        self.connections = 0
        self.refused = 0
        self.upstream_failures = 0
        self.conns = set()

    # --- listening ---------------------------------------------------------------------------

    def listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(128)
        self.port = s.getsockname()[1]
        self.listener = s
        threading.Thread(target=self.accept_loop, args=(s,), daemon=True).start()

    def accept_loop(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by `mode down`
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.cv:
                mode = self.mode
                self.connections += 1
            if mode == "refuse":
                with self.cv:
                    self.refused += 1
                reset(client)
                continue
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
            upstream.settimeout(None)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            with self.cv:
                self.upstream_failures += 1
            reset(client)
            return
        conn = Conn(client, upstream)
        with self.cv:
            self.conns.add(conn)
        down = threading.Thread(target=self.pump_down, args=(conn,), daemon=True)
        down.start()
        try:
            self.pump_up(conn)
        finally:
            down.join()
            conn.close()
            with self.cv:
                self.conns.discard(conn)

    # --- client -> upstream --------------------------------------------------------------------

    def pump_up(self, conn):
        pending = b""
        while True:
            try:
                data = conn.client.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    conn.upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if conn.new_request:
                pending += data
                if HEAD_END not in pending and len(pending) < MAX_HEAD:
                    continue  # decide on the whole head
                self.start_request(conn, pending)
                data, pending = pending, b""
            if not self.forward_up(conn, data):
                return

    def start_request(self, conn, data):
        head = data.split(HEAD_END, 1)[0].decode("latin-1")
        line = head.split("\r\n", 1)[0][:300]
        with self.cv:
            self.requests += 1
            req = Request(self.requests, line, False)
            for rule in self.rules:
                if not matches(rule["terms"], head):
                    continue
                req.matched = True
                rule["seen"] += 1
                if rule["kind"] == "delay":
                    req.delay = max(req.delay, rule["seconds"])
                elif not rule["fired"] and rule["seen"] == rule["k"]:
                    rule["fired"] = True
                    if rule["kind"] == "hold_resp":
                        req.hold_resp = True
                    else:
                        req.limit = rule["offset"]
                        req.cut = rule["kind"] == "cut_req"
            self.log.append(req)
            del self.log[:-LOG_KEEP]
        conn.req = req
        conn.new_request = False

    def forward_up(self, conn, data):
        req = conn.req
        if req.limit is not None and req.sent + len(data) >= req.limit:
            room = max(0, req.limit - req.sent)
            if not send(conn.upstream, data[:room]):
                return False
            req.sent += room
            data = data[room:]
            req.limit = None
            if req.cut:
                with self.cv:
                    self.cuts += 1
                conn.close()
                return False
            self.wait_release()
            if conn.closed:
                return False
        if data:
            if not send(conn.upstream, data):
                return False
            req.sent += len(data)
        return True

    # --- upstream -> client --------------------------------------------------------------------

    def pump_down(self, conn):
        while True:
            try:
                data = conn.upstream.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    conn.client.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            req = conn.req
            if req is not None and not req.responded:
                if req.hold_resp:
                    self.wait_release()
                if req.delay:
                    time.sleep(req.delay)
                req.responded = True
            # Set before the bytes leave: the client's next request must be seen as new.
            conn.new_request = True
            if conn.closed or not send(conn.client, data):
                return

    def wait_release(self):
        with self.cv:
            gen = self.release_gen
            self.held += 1
            self.hold_hits += 1
            self.cv.notify_all()
            while self.release_gen == gen:
                self.cv.wait()
            self.held -= 1

    # --- control -------------------------------------------------------------------------------

    def command(self, line):
        words = line.split()
        if not words:
            raise ValueError("empty command")
        cmd, args = words[0], words[1:]
        if cmd == "status":
            with self.cv:
                return {"mode": self.mode, "requests": self.requests, "held": self.held,
                        "hold_hits": self.hold_hits, "cuts": self.cuts,
                        "connections": self.connections, "active": len(self.conns),
                        "refused": self.refused, "upstream_failures": self.upstream_failures,
                        "port": self.port, "log": [r.as_dict() for r in self.log]}
        if cmd == "reset":
            self.release()
            self.drop()
            with self.cv:
                self.reset_state()
            self.set_mode("pass")
            return {"ok": True}
        if cmd == "mode":
            self.set_mode(args[0])
            return {"ok": True}
        if cmd == "upstream":
            host, port = args[0].rsplit(":", 1)
            self.upstream = (host, int(port))
            return {"ok": True}
        if cmd in ("hold_req", "cut_req", "hold_resp", "delay"):
            rule = {"kind": cmd, "terms": args[0], "k": 0, "offset": 0, "seconds": 0.0,
                    "seen": 0, "fired": False}
            if cmd == "delay":
                rule["seconds"] = float(args[1])
            else:
                rule["k"] = int(args[1])
                if cmd != "hold_resp":
                    rule["offset"] = int(args[2])
            with self.cv:
                self.rules.append(rule)
            return {"ok": True}
        if cmd == "release":
            self.release()
            return {"ok": True}
        if cmd == "drop":
            self.drop()
            return {"ok": True}
        raise ValueError(f"unknown command {cmd!r}")

    def release(self):
        with self.cv:
            self.release_gen += 1
            self.cv.notify_all()

    def drop(self):
        with self.cv:
            conns = list(self.conns)
        for c in conns:
            c.close()

    def set_mode(self, mode):
        if mode not in ("pass", "refuse", "down"):
            raise ValueError(f"unknown mode {mode!r}")
        with self.cv:
            self.mode = mode
        if mode == "down" and self.listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            try:
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
            self.drop()
        elif mode != "down" and self.listener is None:
            self.listen()


def matches(terms, head):
    return terms == "*" or all(t in head for t in terms.split(","))


def send(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def reset(sock):
    """Closes with RST, as a crashed server's kernel would."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


def control_loop(proxy, listener):
    while True:
        try:
            c, _ = listener.accept()
        except OSError:
            return
        with c:
            try:
                line = c.makefile("rb").readline().decode().strip()
                try:
                    reply = proxy.command(line)
                except (ValueError, IndexError) as e:
                    reply = {"error": str(e)}
                c.sendall(json.dumps(reply).encode() + b"\n")
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True, help="HOST:PORT to forward to")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    cfg = ap.parse_args()
    if not cfg.host.startswith("127.") and cfg.host not in ("localhost", "::1"):
        sys.exit("fault_proxy: loopback addresses only")
    host, port = cfg.upstream.rsplit(":", 1)
    proxy = Proxy(cfg.host, cfg.port, (host, int(port)))
    proxy.listen()
    control = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    control.bind((cfg.host, 0))
    control.listen(16)
    threading.Thread(target=control_loop, args=(proxy, control), daemon=True).start()
    print(f"READY {proxy.port} {control.getsockname()[1]}", flush=True)
    while True:
        time.sleep(1.0)
        if cfg.parent_pid:
            try:
                os.kill(cfg.parent_pid, 0)
            except ProcessLookupError:
                return
            except PermissionError:
                pass


if __name__ == "__main__":
    main()
