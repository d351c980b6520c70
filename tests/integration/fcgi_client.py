# SPDX-License-Identifier: MIT
"""A minimal FastCGI client, to talk to pgjob.fcgi without a web server.

A web server only ever sends well-formed requests; this client sends
whatever a test asks for, so the tests can forge what a buggy or hostile
web server might: no CONTENT_LENGTH with a body, a CONTENT_LENGTH larger
than the body, a huge or non-numeric one, no REQUEST_METHOD, a path with a
broken %-escape, a connection dropped halfway.

The protocol (FastCGI 1.0): every record is an 8-byte header (version 1,
type, request id, content length, padding length, reserved) and its
content.  A request is BEGIN_REQUEST (role RESPONDER), PARAMS records
holding name-value pairs and ended by an empty one, STDIN records ended by
an empty one; the application answers STDOUT and STDERR records (each
stream ended by an empty one) and one END_REQUEST.

  Connection(address)      one connection; address is (host, port) or a
                           Unix socket path; rcvbuf= a small receive
                           buffer (a client that reads slowly)
  request(address, params, body=b"", ...) -> Response
  http_params(method, uri, headers=None, body=b"", ...) -> the CGI
                           parameters a web server would send
  Response                 status, reason, headers, body, stderr,
                           app_status, protocol_status; header(), json()
"""

import json
import socket
import struct

VERSION = 1

# Record types.
BEGIN_REQUEST = 1
ABORT_REQUEST = 2
END_REQUEST = 3
PARAMS = 4
STDIN = 5
STDOUT = 6
STDERR = 7
DATA = 8
GET_VALUES = 9
GET_VALUES_RESULT = 10
UNKNOWN_TYPE = 11

RESPONDER = 1
KEEP_CONN = 1

# protocolStatus of END_REQUEST.
REQUEST_COMPLETE = 0

_HEADER = struct.Struct("!BBHHBB")
_MAX_CONTENT = 65535

# How long a test waits for an answer, in seconds.
DEFAULT_TIMEOUT = 15


class ProtocolError(AssertionError):
    """The application answered something that is not FastCGI, or closed
    the connection before END_REQUEST."""


def record(rtype, request_id, content=b""):
    """One record (content at most 65535 bytes), padded to 8 bytes."""
    assert len(content) <= _MAX_CONTENT
    padding = -len(content) % 8
    return (_HEADER.pack(VERSION, rtype, request_id, len(content), padding, 0)
            + content + b"\0" * padding)


def stream(rtype, request_id, data, end=True):
    """data as records of type rtype, split at 65535 bytes; with end, the
    empty record that ends the stream follows."""
    out = b"".join(record(rtype, request_id, data[i:i + _MAX_CONTENT])
                   for i in range(0, len(data), _MAX_CONTENT))
    return out + (record(rtype, request_id) if end else b"")


def _length(n):
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)


def encode_pairs(params):
    """Name-value pairs (a dict or a list of pairs; str or bytes)."""
    items = params.items() if isinstance(params, dict) else params
    out = b""
    for name, value in items:
        name = name.encode() if isinstance(name, str) else name
        value = value.encode() if isinstance(value, str) else value
        out += _length(len(name)) + _length(len(value)) + name + value
    return out


def begin_request(request_id=1, keep_conn=False, role=RESPONDER):
    body = struct.pack("!HB5x", role, KEEP_CONN if keep_conn else 0)
    return record(BEGIN_REQUEST, request_id, body)


def http_params(method, uri, headers=None, body=b"", content_length=True,
                content_type=None, extra=None):
    """The CGI parameters a web server would send for an HTTP request.

    method None leaves REQUEST_METHOD out.  uri is the raw request target
    (REQUEST_URI, escapes kept); QUERY_STRING is what follows its '?'.
    headers: {"X-API-Key": "..."} become HTTP_X_API_KEY.  content_length:
    True sends len(body) when there is a body (or for POST), False leaves
    CONTENT_LENGTH out, a str or int sends that value.  extra is merged in
    last (a value None removes the parameter).
    """
    path, _, query = uri.partition("?")
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "pgjob-tests-fcgi-client",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "REQUEST_URI": uri,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
    }
    if method is not None:
        params["REQUEST_METHOD"] = method
    if content_type is not None:
        params["CONTENT_TYPE"] = content_type
    if content_length is True:
        if body or method == "POST":
            params["CONTENT_LENGTH"] = str(len(body))
    elif content_length is not False:
        params["CONTENT_LENGTH"] = str(content_length)
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            params["CONTENT_TYPE"] = value
        else:
            params["HTTP_" + key] = value
    for name, value in (extra or {}).items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return params


class Response:
    """One answer: the CGI head parsed into status, reason and headers (a
    list of (name, value), names as sent), the body and stderr as bytes,
    END_REQUEST's appStatus and protocolStatus."""

    def __init__(self, stdout, stderr, app_status, protocol_status):
        self.raw = stdout
        self.stderr = stderr
        self.app_status = app_status
        self.protocol_status = protocol_status
        self.status, self.reason, self.headers, self.body = _parse_cgi(stdout)

    def header(self, name):
        """The value of header name (any case), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return (f"<Response {self.status} {self.reason} headers={self.headers} "
                f"body={self.body[:500]!r} stderr={self.stderr[:500]!r}>")


def _parse_cgi(stdout):
    """Split a CGI response into status, reason, headers and body."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        head, found, body = stdout.partition(sep)
        if found:
            break
    else:
        raise ProtocolError(f"no end of the CGI head in {stdout[:300]!r}")
    status, reason, headers = 200, "OK", []
    for line in head.decode("latin-1").replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ProtocolError(f"malformed CGI header line {line!r}")
        value = value.strip()
        if name.lower() == "status":
            code, _, reason = value.partition(" ")
            status = int(code)
        else:
            headers.append((name, value))
    return status, reason, headers, body


class Connection:
    """One FastCGI connection to address ((host, port) or a path)."""

    def __init__(self, address, timeout=DEFAULT_TIMEOUT, rcvbuf=None):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if rcvbuf is not None:
            # Before connect, so that TCP's window stays that small: a
            # peer that does not read then blocks the sender early.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(address)
        self._buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _read_exact(self, n):
        while len(self._buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ProtocolError(
                    f"connection closed after {len(self._buf)} of {n} bytes "
                    "of a record")
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def read_record(self):
        """(type, request_id, content) of the next record."""
        version, rtype, rid, length, padding, _ = _HEADER.unpack(
            self._read_exact(_HEADER.size))
        if version != VERSION:
            raise ProtocolError(f"record of version {version}")
        content = self._read_exact(length + padding)[:length]
        return rtype, rid, content

    def read_response(self, request_id=1):
        """Read records up to END_REQUEST of request_id; a Response."""
        out, err = [], []
        while True:
            rtype, rid, content = self.read_record()
            if rid != request_id:
                raise ProtocolError(f"record for request {rid}, expected {request_id}")
            if rtype == STDOUT:
                out.append(content)
            elif rtype == STDERR:
                err.append(content)
            elif rtype == END_REQUEST:
                app_status, protocol_status = struct.unpack("!IB3x", content)
                return Response(b"".join(out), b"".join(err), app_status,
                                protocol_status)
            else:
                raise ProtocolError(f"unexpected record type {rtype}")

    def request(self, params, body=b"", request_id=1, keep_conn=False,
                end_stdin=True, send_stdin=True):
        """Send one request and read its answer.  end_stdin=False leaves
        the input open (no empty STDIN record); send_stdin=False sends no
        STDIN record at all."""
        data = begin_request(request_id, keep_conn) + stream(
            PARAMS, request_id, encode_pairs(params))
        if send_stdin:
            data += stream(STDIN, request_id, body, end=end_stdin)
        self.send(data)
        return self.read_response(request_id)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def request(address, params, body=b"", timeout=DEFAULT_TIMEOUT, **kwargs):
    """One request on a connection of its own; the Response."""
    with Connection(address, timeout) as conn:
        return conn.request(params, body, **kwargs)


def http(address, method, uri, headers=None, body=b"", timeout=DEFAULT_TIMEOUT,
         **kwargs):
    """One well-formed HTTP request (http_params) on its own connection.
    body may be a dict or list, sent as JSON."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    return request(address, http_params(method, uri, headers, body, **kwargs),
                   body, timeout=timeout)
