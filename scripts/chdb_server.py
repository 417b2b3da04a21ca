#!/usr/bin/env python3
"""A small ClickHouse HTTP front end over chdb (the ClickHouse engine in-process).

Why: our tests must run against the real ClickHouse engine, but no clickhouse-server
binary or Docker is available. `chdb-core` embeds ClickHouse 26.9; this script speaks
enough of the HTTP protocol (the `clickhouse` Rust crate, including its LZ4 request
compression and RowBinaryWithNamesAndTypes validation, and curl) to stand in for a
server. Data persists in --data-dir, so it also works as a tiny local ClickHouse.

    python3 scripts/chdb_server.py --data-dir DIR [--host 127.0.0.1] [--port 0]
        [--user default] [--password ''] [--parent-pid PID] [--verbose]

Prints `READY http://HOST:PORT` on stdout once it accepts connections (https with --tls-cert).

Design notes (chdb 26.9 behaviour this relies on, checked by hand):
* One process hosts one embedded engine bound to one path, and `chdb.connect()` on that
  path opens a cheap (~0.5 ms), independent session. Each request gets a fresh session,
  so `USE`, `SET` and per-request settings never leak into later requests, exactly like
  a real server's session-less HTTP queries. A long-lived session keeps the engine up.
* Settings are applied with `SET` on the fresh session (`readonly` last, so it cannot
  forbid the others), which is what the real server does with URL settings.
* Request bodies carrying INSERT data are written to a temp file and run as
  `INSERT ... FROM INFILE '<tmp>' [SETTINGS ...] FORMAT <fmt>`: data may be binary.
  A large RowBinaryWithNamesAndTypes body whose header states the table's own types (the
  crate's validated inserts) runs as `INSERT ... SELECT FROM file()` reading LowCardinality
  columns as their plain type instead (see typed_rowbinary_insert): same rows, less CPU.
"""
import argparse
import base64
import hmac
import json
import os
import re
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import chdb

try:  # the C implementation is much faster; the pure-Python fallback is below
    import lz4.block as lz4_block
except ImportError:
    lz4_block = None


# --- ClickHouse compressed blocks (request bodies sent with `decompress=1`) ---------------

def _lz4_length(src: bytes, i: int, n: int):
    """LZ4 length extension: a nibble of 15 is followed by bytes added up until one < 255."""
    while True:
        b = src[i]
        i += 1
        n += b
        if b != 255:
            return i, n


def lz4_decompress(src: bytes, size: int) -> bytes:
    """Decodes one raw LZ4 block (no frame header): a sequence of
    (token, literals, 2-byte offset, match) groups; the last one has literals only."""
    dst, i, n = bytearray(), 0, len(src)
    while i < n:
        token = src[i]
        i, lit = _lz4_length(src, i + 1, 15) if token >> 4 == 15 else (i + 1, token >> 4)
        dst += src[i:i + lit]
        i += lit
        if i >= n:
            break
        off, i = src[i] | (src[i + 1] << 8), i + 2
        i, mlen = _lz4_length(src, i, 15) if token & 15 == 15 else (i, token & 15)
        mlen += 4  # the minimum match length
        start = len(dst) - off
        if off == 0 or start < 0:
            raise ValueError("bad LZ4 match offset")
        if off >= mlen:
            dst += dst[start:start + mlen]
        else:  # overlapping match: the output repeats the last `off` bytes
            pattern = dst[start:]
            dst += pattern * (mlen // off) + pattern[:mlen % off]
    if len(dst) != size:
        raise ValueError(f"LZ4 block decoded to {len(dst)} bytes, expected {size}")
    return bytes(dst)


def decompress_blocks(data: bytes) -> bytes:
    """Each block: 16-byte CityHash128 (not verified), method byte, u32 LE compressed size
    (including the 9-byte header), u32 LE uncompressed size, payload."""
    out, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 25:
            raise CHError(271, "Truncated compressed block header.", "CANNOT_DECOMPRESS")
        method = data[pos + 16]
        csize, usize = struct.unpack_from("<II", data, pos + 17)
        payload = data[pos + 25:pos + 16 + csize]
        if csize < 9 or len(payload) != csize - 9:
            raise CHError(271, "Truncated compressed block.", "CANNOT_DECOMPRESS")
        if method == 0x82:
            try:
                out.append(lz4_block.decompress(payload, uncompressed_size=usize)
                           if lz4_block else lz4_decompress(payload, usize))
            except Exception as e:  # ValueError/IndexError here, LZ4BlockError from lz4
                raise CHError(271, f"Cannot decompress LZ4 block: {e}.", "CANNOT_DECOMPRESS") from e
        elif method == 0x02:
            out.append(payload)
        else:
            raise CHError(432, f"Unknown codec family code: {method}.", "UNKNOWN_CODEC")
        pos += 16 + csize
    return b"".join(out)


# --- Errors ------------------------------------------------------------------------------

class CHError(Exception):
    def __init__(self, code: int, message: str, name: str = ""):
        super().__init__(message)
        self.code, self.message, self.name = code, message, name

    @classmethod
    def from_chdb(cls, exc: Exception) -> "CHError":
        text = str(exc).strip()
        # chdb sometimes nests the prefix: "Code: 108. DB::Exception: Code: 108. DB::Exception: ..."
        text = re.sub(r"^(Code: \d+\. DB::Exception: )\1", r"\1", text)
        m = re.match(r"Code: (\d+)\. (?:DB::\w*Exception: )?(.*)", text, re.S)
        if not m:
            return cls(1001, text or type(exc).__name__, "STD_EXCEPTION")
        body = m.group(2)
        name = re.search(r"\(([A-Z][A-Z0-9_]+)\)\s*$", body)
        if name:
            body = body[:name.start()].rstrip()
        # nested messages carry an inner "(NAME) (version x)." suffix too: drop it
        body = re.sub(r" \([A-Z0-9_]+\) \(version [^()]*\)\.$", "", body)
        return cls(int(m.group(1)), body, name.group(1) if name else "")


# Status codes as clickhouse-server maps exception codes (exceptionCodeToHTTPStatus.cpp).
_STATUS_NAMES = {
    401: "REQUIRED_PASSWORD",
    403: "AUTHENTICATION_FAILED UNKNOWN_USER WRONG_PASSWORD SET_NON_GRANTED_ROLE ACCESS_DENIED",
    400: "BAD_ARGUMENTS CANNOT_COMPILE_REGEXP CANNOT_PARSE_TEXT CANNOT_PARSE_ESCAPE_SEQUENCE "
         "CANNOT_PARSE_QUOTED_STRING CANNOT_PARSE_DATE CANNOT_PARSE_DATETIME CANNOT_PARSE_NUMBER "
         "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING CANNOT_PARSE_IPV4 CANNOT_PARSE_IPV6 "
         "CANNOT_PARSE_INPUT_ASSERTION_FAILED CANNOT_PARSE_UUID DUPLICATE_COLUMN ILLEGAL_COLUMN "
         "UNKNOWN_ELEMENT_IN_AST UNKNOWN_TYPE_OF_AST_NODE THERE_IS_NO_COLUMN TOO_DEEP_AST "
         "TOO_BIG_AST UNEXPECTED_AST_STRUCTURE SYNTAX_ERROR INCORRECT_DATA TYPE_MISMATCH "
         "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
    404: "UNKNOWN_TABLE UNKNOWN_FUNCTION UNKNOWN_IDENTIFIER UNKNOWN_TYPE UNKNOWN_STORAGE "
         "UNKNOWN_DATABASE UNKNOWN_SETTING UNKNOWN_DIRECTION_OF_SORTING UNKNOWN_AGGREGATE_FUNCTION "
         "UNKNOWN_FORMAT UNKNOWN_DATABASE_ENGINE UNKNOWN_TYPE_OF_QUERY UNKNOWN_ROLE",
    413: "QUERY_IS_TOO_LARGE",
    501: "NOT_IMPLEMENTED",
    503: "SOCKET_TIMEOUT CANNOT_OPEN_FILE CANNOT_SCHEDULE_TASK",
    411: "HTTP_LENGTH_REQUIRED",
    408: "TIMEOUT_EXCEEDED",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
STATUS_BY_NAME = {n: s for s, names in _STATUS_NAMES.items() for n in names.split()}


# --- Query text helpers ------------------------------------------------------------------

# URL parameters the real server consumes itself; everything else is a setting.
RESERVED = {"query", "database", "default_format", "compress", "decompress", "user", "password",
            "quota_key", "query_id", "session_id", "session_timeout", "session_check",
            "close_session", "stacktrace", "role", "buffer_size", "wait_end_of_query",
            "client_protocol_version", "enable_http_compression"}
LEADING = r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*"  # whitespace and comments
IS_INSERT = re.compile(LEADING + r"INSERT\b", re.I | re.S)
# An INSERT whose data follows the query: `... [SETTINGS ...] FORMAT <fmt>` or `... VALUES`.
INSERT_TAIL = re.compile(r"(?P<head>.*?)(?:\s+SETTINGS\s+(?P<settings>.+?))?"
                         r"\s+(?:FORMAT\s+(?P<fmt>\w+)|(?P<values>VALUES))\s*;?\s*", re.I | re.S)
INLINE_INSERT = re.compile(rb"\s*INSERT\b.*?\b(?:FORMAT\s+\w+|VALUES\b)", re.I | re.S)
OUTPUT_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.I)
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_ident(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def split_inline_insert(body: bytes):
    """Without a `query` parameter the body is the query; for `INSERT ... FORMAT x` the data
    starts after the format name, past spaces and one newline (as ParserInsertQuery does)."""
    m = INLINE_INSERT.match(body)
    if not m or m.group(0).upper().endswith(b"VALUES"):
        return body.decode("utf-8", "replace"), b""
    rest = body[m.end():].lstrip(b" \t")
    rest = rest[1:] if rest.startswith(b"\r") else rest
    rest = rest[1:] if rest.startswith(b"\n") else rest
    return m.group(0).decode("utf-8", "replace"), rest


def read_varint(data: bytes, at: int):
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        b = data[at]
        at += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, at


def rowbinary_header(data: bytes):
    """Column names and types of a RowBinaryWithNamesAndTypes body, or None if malformed."""
    try:
        n, at = read_varint(data, 0)
        fields = []
        for _ in range(2 * n):
            size, at = read_varint(data, at)
            if at + size > len(data):
                return None
            fields.append(data[at:at + size].decode())
            at += size
        return list(zip(fields[:n], fields[n:]))
    except (ValueError, UnicodeDecodeError):
        return None


INSERT_INTO_COLUMNS = re.compile(r"\s*INSERT\s+INTO\s+(?P<table>(?:`(?:[^`\\]|\\.)*`|\w+)"
                                 r"(?:\.(?:`(?:[^`\\]|\\.)*`|\w+))?)\s*\((?P<cols>[^)]*)\)\s*",
                                 re.I | re.S)
LOW_CARDINALITY = re.compile(r"LowCardinality\((.*)\)")
def typed_rowbinary_insert(head, fmt, data, path, extra, conn, min_bytes):
    """A large `INSERT INTO t(cols) FORMAT RowBinaryWithNamesAndTypes` whose header states the
    table's own types, as `INSERT ... SELECT FROM file()` reading LowCardinality columns as
    their plain type (the same bytes in RowBinary), then converted column by column: the
    row-format parser otherwise builds a dictionary value by value (~35% of such an insert
    in chdb). Same rows stored; None (the plain path, with the engine's own checks and
    errors) for anything else, and for bodies under `min_bytes` (the check costs a DESCRIBE)."""
    if fmt != "RowBinaryWithNamesAndTypes" or len(data) < min_bytes:
        return None
    m = INSERT_INTO_COLUMNS.fullmatch(head)
    header = rowbinary_header(data)
    if not m or not header or not any(LOW_CARDINALITY.fullmatch(t) for _, t in header):
        return None
    columns = [quote_ident(name) for name, _ in header]
    # The statement names the header's columns, in order (as the crate writes it).
    if re.sub(r"\s+", "", m.group("cols")) != ",".join(columns):
        return None
    try:
        described = conn.query("DESCRIBE TABLE " + m.group("table"), "JSONEachRow").bytes().decode()
    except Exception:  # e.g. no such table: the plain path reports it as the server would
        return None
    table_types = {c["name"]: c["type"] for c in map(json.loads, described.splitlines())}
    if any(table_types.get(name) != typ for name, typ in header):
        return None

    def plain(typ):
        lc = LOW_CARDINALITY.fullmatch(typ)
        return lc.group(1) if lc else typ
    structure = ", ".join(f"{col} {plain(typ)}" for col, (_, typ) in zip(columns, header))
    listed = ", ".join(columns)
    settings = (extra + ", " if extra else " SETTINGS ") + "input_format_with_types_use_header = 0"
    return (f"INSERT INTO {m.group('table')} ({listed}) SELECT {listed} FROM file("
            f"{quote_string(path)}, 'RowBinaryWithNamesAndTypes', {quote_string(structure)}){settings}")


def parse_multipart(body: bytes, content_type: str) -> dict:
    """The crate sends queries with server-side parameters as multipart/form-data
    (fields `query` and `param_*`)."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        raise CHError(36, "multipart/form-data without boundary.", "BAD_ARGUMENTS")
    fields = {}
    for part in body.split(b"--" + m.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, value = part.partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if name:
            fields[name.group(1).decode()] = value[:-2].decode("utf-8") if value.endswith(b"\r\n") \
                else value.decode("utf-8")
    return fields


def content_type_for(fmt: str) -> str:
    f = fmt.lower()
    if f.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if f.startswith("csv"):
        return "text/csv; charset=UTF-8; header=" + ("present" if "withnames" in f else "absent")
    if f in ("json", "jsoncompact", "jsonstrings", "jsoncolumns", "jsoncompactcolumns"):
        return "application/json; charset=UTF-8"
    if f.startswith("json") or f == "ndjson":
        return "application/x-ndjson; charset=UTF-8"
    if f.startswith(("rowbinary", "native", "parquet", "arrow", "orc", "avro", "protobuf",
                     "capnproto", "msgpack", "bson", "npy")):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


# --- Engine ------------------------------------------------------------------------------

class Engine:
    def __init__(self, data_dir: str):
        self.uri = "file:" + os.path.abspath(data_dir)
        # Held for the process lifetime: the embedded engine shuts down (dropping Memory
        # tables) when its last session closes.
        self.main = chdb.connect(self.uri)
        # Queries are serialized: simple and predictable under parallel test binaries.
        self.lock = threading.Lock()
        self.tmp = tempfile.mkdtemp(prefix="chdb_server_")
        row = self.main.query("SELECT version(), timezone()", "TSV").bytes().decode().split("\t")
        self.version, self.timezone = row[0], row[1].strip()

    def execute(self, sql, fmt, settings, params, database, data=None):
        """With `data`, `sql` is a function of the data file's path and the session."""
        path = None
        if data is not None:
            fd, path = tempfile.mkstemp(dir=self.tmp, suffix=".data")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        try:
            with self.lock:
                conn = chdb.connect(self.uri)  # a fresh session per request
                try:
                    if database:
                        conn.query("USE " + quote_ident(database), "TSV")
                    # readonly goes last: once set, it forbids changing any other setting
                    for group in ([k for k in settings if k != "readonly"],
                                  [k for k in settings if k == "readonly"]):
                        if group:
                            conn.query("SET " + ", ".join(
                                f"{k} = {quote_string(settings[k])}" for k in group), "TSV")
                    if path is not None:
                        sql = sql(path, conn)
                    return conn.query(sql, fmt, params=params)
                finally:
                    conn.close()
        except Exception as e:  # chdb raises ChdbError/RuntimeError with the server's text
            raise CHError.from_chdb(e) from e
        finally:
            if path:
                os.unlink(path)

    def close(self):
        if self.lock.acquire(timeout=10):  # let an in-flight query finish
            self.main.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- HTTP --------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: hyper pools connections
    server_version = "chdb_server"
    timeout = 30  # idle keep-alive connections (the crate's pool drops them after 2 s)
    # TCP_NODELAY, as the server sets it: a reply goes out as headers, then body, and without
    # it the body waits for the client's delayed ACK of the headers (~40 ms on Linux).
    disable_nagle_algorithm = True

    def do_GET(self):
        self.handle_request("GET")

    def do_POST(self):
        self.handle_request("POST")

    def log_request(self, code="-", size="-"):
        pass  # the default line has the full URL, which may carry a password

    def log_message(self, fmt, *args):
        if self.server.cfg.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():  # the crate's INSERTs
            chunks = []
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunk = self.rfile.read(size)
                if len(chunk) != size:
                    raise ConnectionError("truncated chunk")
                chunks.append(chunk)
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            raise ConnectionError("truncated body")
        return body

    def reply(self, status: int, body: bytes, headers: dict):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Keep-Alive", f"timeout={self.timeout}")
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout, a killed agent)

    def authenticate(self, params):
        """Same precedence as the server: X-ClickHouse-* headers, Basic auth, then params."""
        user, password = self.headers.get("X-ClickHouse-User"), self.headers.get("X-ClickHouse-Key")
        source = "X-ClickHouse HTTP headers"
        auth = self.headers.get("Authorization", "")
        if not (user or password) and auth[:6].lower() == "basic ":
            source = "Authorization HTTP header"
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                user = ""
        elif not (user or password):
            user, password = params.get("user", "default"), params.get("password", "")
        if not user:  # e.g. the crate with a password but no user: a real server refuses it
            raise CHError(516, f"Got an empty user name from {source}.", "AUTHENTICATION_FAILED")
        cfg = self.server.cfg
        if not (hmac.compare_digest(user.encode(), cfg.user.encode())
                and hmac.compare_digest((password or "").encode(), cfg.password.encode())):
            raise CHError(516, f"{user}: Authentication failed: password is incorrect, "
                               "or there is no user with such name.", "AUTHENTICATION_FAILED")

    def handle_request(self, method: str):
        started = time.monotonic()
        url = urlsplit(self.path)
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True  # framing is lost; a keep-alive reuse would desync
            return
        if url.path == "/ping":
            return self.reply(200, b"Ok.\n", {"Content-Type": "text/plain; charset=UTF-8"})
        if url.path not in ("", "/"):
            return self.reply(404, f"There is no handle {url.path}\n".encode(),
                              {"Content-Type": "text/plain; charset=UTF-8"})
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        query_id = params.get("query_id") or str(uuid.uuid4())
        headers = {"X-ClickHouse-Server-Display-Name": self.server.cfg.display_name,
                   "X-ClickHouse-Query-Id": query_id,
                   "X-ClickHouse-Timezone": self.server.engine.timezone}
        status = 200
        try:
            if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
                params.update(parse_multipart(body, self.headers["Content-Type"]))
                body = b""
            if "query" not in params and not body:  # a health check, no auth (like the server)
                return self.reply(200, b"Ok.\n", {**headers, "Content-Type": "text/plain; charset=UTF-8"})
            self.authenticate(params)
            if params.get("decompress") in ("1", "true"):
                body = decompress_blocks(body)
            result, fmt = self.run_query(method, params, body)
            payload = result.bytes()
            is_insert = fmt is None
            fmt = fmt or "TabSeparated"
            headers.update({
                "Content-Type": content_type_for(fmt), "X-ClickHouse-Format": fmt,
                "X-ClickHouse-Summary": json.dumps({k: str(v) for k, v in {
                    "read_rows": result.storage_rows_read(), "read_bytes": result.storage_bytes_read(),
                    "written_rows": result.rows_written(), "written_bytes": result.bytes_written(),
                    "total_rows_to_read": result.storage_rows_read(),
                    "result_rows": result.rows_written() if is_insert else result.rows_read(),
                    "result_bytes": result.bytes_written() if is_insert else len(payload),
                    "elapsed_ns": int(result.elapsed() * 1e9)}.items()}, separators=(",", ":"))})
        except Exception as e:  # anything unexpected still gets a well-formed error reply
            if not isinstance(e, CHError):
                e = CHError(1001, f"{type(e).__name__}: {e}", "STD_EXCEPTION")
            status = STATUS_BY_NAME.get(e.name, 500)
            name = f" ({e.name})" if e.name else ""
            payload = (f"Code: {e.code}. DB::Exception: {e.message}{name} "
                       f"(version {self.server.engine.version} (official build))\n").encode()
            headers.update({"Content-Type": "text/plain; charset=UTF-8",
                            "X-ClickHouse-Exception-Code": str(e.code)})
            if status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="ClickHouse server HTTP API"'
        self.reply(status, payload, headers)
        if self.server.cfg.verbose:
            q = params.get("query", "") or "<body>"
            path = getattr(self, "insert_path", None)
            self.insert_path = None
            self.log_message("%s %d %d bytes %.1f ms %s%s", method, status, len(payload),
                             (time.monotonic() - started) * 1000,
                             f"[{path}] " if path else "", " ".join(q.split())[:200])

    def run_query(self, method, params, body):
        """Returns (chdb result, output format or None for an INSERT with data)."""
        if "query" in params:
            query, data = params["query"], body
            if data and not IS_INSERT.match(query):  # the body continues the query text
                query, data = query + "\n" + data.decode("utf-8", "replace"), b""
        else:
            query, data = split_inline_insert(body)
        if not query.strip():  # chdb returns nothing; the server refuses it
            raise CHError(62, "Empty query.", "SYNTAX_ERROR")
        settings = {k: v for k, v in params.items() if k not in RESERVED and not k.startswith("param_")}
        for name in settings:
            if not IDENT.fullmatch(name):
                raise CHError(115, f"Unknown setting '{name}'.", "UNKNOWN_SETTING")
        if method == "GET" and settings.get("readonly", "0") in ("0", ""):
            settings["readonly"] = "2"  # like the server: GET runs read-only queries only
        qparams = {k[6:]: v for k, v in params.items() if k.startswith("param_")}
        engine, database = self.server.engine, params.get("database") or None

        tail = INSERT_TAIL.fullmatch(query) if IS_INSERT.match(query) else None
        if tail:
            # The data (possibly empty) goes through a file: it may be binary, e.g. RowBinary.
            extra = " SETTINGS " + tail.group("settings") if tail.group("settings") else ""
            fmt = tail.group("fmt") or "Values"

            def sql(path, conn):
                typed = typed_rowbinary_insert(tail.group("head"), fmt, data, path, extra, conn,
                                               self.server.cfg.typed_insert_min_bytes)
                self.insert_path = "typed" if typed else "infile"
                return typed or f"{tail.group('head')} FROM INFILE {quote_string(path)}{extra} FORMAT {fmt}"
            return engine.execute(sql, "TabSeparated", settings, qparams, database, data), None
        m = OUTPUT_FORMAT.search(query)
        fmt = m.group(1) if m else params.get("default_format") or "TabSeparated"
        return engine.execute(query, fmt, settings, qparams, database), fmt


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # parallel test binaries open many connections at once
    tls = None  # ssl.SSLContext when serving https

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so a slow or broken
        # client cannot stall the accept loop.
        if self.tls is not None:
            import ssl
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--user", default="default")
    ap.add_argument("--password", default="")
    ap.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    ap.add_argument("--typed-insert-min-bytes", type=int, default=1 << 20,
                    help="RowBinaryWithNamesAndTypes inserts from this size read LowCardinality "
                         "columns as their plain type (see typed_rowbinary_insert)")
    ap.add_argument("--tls-cert", help="serve https with this PEM certificate (chain)")
    ap.add_argument("--tls-key", help="the certificate's PEM private key")
    cfg = ap.parse_args()
    cfg.display_name = socket.gethostname()
    os.makedirs(cfg.data_dir, exist_ok=True)

    engine = Engine(cfg.data_dir)
    if ":" in cfg.host:
        Server.address_family = socket.AF_INET6
    server = Server((cfg.host, cfg.port), Handler)
    server.engine, server.cfg = engine, cfg
    scheme = "http"
    if cfg.tls_cert:
        import ssl
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(cfg.tls_cert, cfg.tls_key)
        scheme = "https"
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    was_parent = cfg.parent_pid == os.getppid()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
    print(f"READY {scheme}://{host}:{server.server_address[1]}", flush=True)
    while not stop.wait(1.0):
        if cfg.parent_pid and parent_gone(cfg.parent_pid, was_parent):
            break
    server.shutdown()
    server.server_close()
    engine.close()


def parent_gone(pid: int, was_parent: bool) -> bool:
    if was_parent and os.getppid() != pid:
        return True  # re-parented: it exited, even if it is an unreaped zombie
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


if __name__ == "__main__":
    main()
