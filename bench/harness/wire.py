"""The calls the benchmark makes, in each protocol, and the checks of their answers.

The binary request is encoded here (one string field needs no protobuf library); the binary
answer is taken from the mock at bench time and handed to the floor, so both write the same
message bytes.
"""

import http.client
import json
import os
import subprocess
import tempfile

SERVICE = "/gitpod.v1.RunnerConfigurationService/"
GET_PATH = SERVICE + "GetEnvironmentClass"
CLASS_ID = "d2c94c27-3b76-4a42-b88c-95a85e392c68"  # first class of the default fixtures
GET_JSON = json.dumps({"environmentClassId": CLASS_ID}, separators=(",", ":"))
BAD_JSON = json.dumps({"environmentClassId": "not-a-uuid"}, separators=(",", ":"))
# GetEnvironmentClassRequest's environment_class_id is field 2 (contract/gitpod/v1/
# runner_configuration.proto); the mock answering it with this class is the check.
ENVIRONMENT_CLASS_ID_FIELD = 2


def varint(n):
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def string_field(number, text):
    """A protobuf length-delimited field (wire type 2)."""
    raw = text.encode()
    return varint(number << 3 | 2) + varint(len(raw)) + raw


GET_PROTO = string_field(ENVIRONMENT_CLASS_ID_FIELD, CLASS_ID)


def envelope(message):
    """gRPC's framing: flag 0 (not compressed), 4 bytes of big-endian length, the message."""
    return b"\x00" + len(message).to_bytes(4, "big") + message


def unenvelope(body):
    if len(body) < 5 or body[0] != 0 or int.from_bytes(body[1:5], "big") != len(body) - 5:
        raise SystemExit(f"bench: not one uncompressed gRPC message: {body[:40]!r}")
    return body[5:]


def post(port, path, body, content_type="application/json", timeout=30):
    """One HTTP/1.1 POST; returns (status, headers with lower-case names, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body, {"Content-Type": content_type})
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        conn.close()


def expect(what, ok, detail):
    if not ok:
        raise SystemExit(f"bench: {what}: {detail}")


def connect_answer(name, port, content_type, body):
    """A Connect unary Get over HTTP/1.1 that must succeed; returns the answer's bytes."""
    status, headers, raw = post(port, GET_PATH, body, content_type)
    expect(f"{name} Get ({content_type})", status == 200, f"HTTP {status}: {raw[:200]!r}")
    answered = headers.get("content-type", "")
    expect(f"{name} Get ({content_type})", answered == content_type, f"content-type {answered!r}")
    return raw


def grpc_call(port, message, logs):
    """One gRPC call over h2c with prior knowledge. curl (7.88 shows no trailers) fetches the
    status, headers and body; nghttp, from the package that has h2load, shows each HEADERS
    block, so the trailers too. Returns (HTTP status, headers, trailers, message bytes)."""
    url = f"http://127.0.0.1:{port}{GET_PATH}"
    grpc_headers = ["-H", "content-type: application/grpc+proto", "-H", "te: trailers"]
    with tempfile.TemporaryDirectory(dir=logs) as tmp:
        request, head, body = (os.path.join(tmp, n) for n in ("request", "head", "body"))
        with open(request, "wb") as f:
            f.write(envelope(message))
        argv = ["curl", "-sS", "--http2-prior-knowledge", "--max-time", "10", *grpc_headers,
                "--data-binary", "@" + request, "-D", head, "-o", body, url]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        expect("curl (gRPC check)", out.returncode == 0, out.stderr.strip())
        with open(head, "rb") as f:
            status_line = f.read().decode("latin-1").split("\r\n", 1)[0]
        with open(body, "rb") as f:
            raw = f.read()
        argv = ["nghttp", "-nv", "-t", "10", "-d", request, *grpc_headers, url]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        expect("nghttp (gRPC check)", out.returncode == 0, (out.stdout + out.stderr)[-2000:])
    blocks = header_blocks(out.stdout)
    status = int(status_line.split()[1]) if status_line.startswith("HTTP/") else 0
    headers = blocks[0] if blocks else {}
    trailers = blocks[1] if len(blocks) > 1 else {}
    return status, headers, trailers, raw


def header_blocks(verbose):
    """The HEADERS blocks `nghttp -v` received, in order: each `recv (stream_id=N) name: value`
    line adds a field, each `recv HEADERS frame` line ends a block."""
    blocks, fields = [], {}
    for line in verbose.splitlines():
        text = line.split("] ", 1)[-1]
        if text.startswith("recv (stream_id="):
            name, _, value = text.split(") ", 1)[1].partition(": ")
            fields[name] = value
        elif text.startswith("recv HEADERS frame"):
            blocks.append(fields)
            fields = {}
    return blocks


def grpc_answer(name, port, message, logs):
    """A gRPC Get that must answer 200, application/grpc+proto and the trailer grpc-status 0;
    returns the message inside the answer's envelope."""
    status, headers, trailers, body = grpc_call(port, message, logs)
    what = f"{name} gRPC Get"
    expect(what, status == 200 and headers.get(":status") == "200", f"HTTP {status}, headers {headers}")
    expect(what, headers.get("content-type") == "application/grpc+proto", f"headers {headers}")
    expect(what, trailers.get("grpc-status") == "0", f"trailers {trailers}, headers {headers}")
    return unenvelope(body)
