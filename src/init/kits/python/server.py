#!/usr/bin/env python3
"""Starter server for dslab lab "{{LAB}}" ({{TITLE}}), written by `dslab init`.

What already works: it listens as the node contract says, reads record-marked ONC RPC
CALLs (RFC 5531) on DSLAB_PORT, checks their header, answers {{NULL_NAME}} and answers every
other procedure of {{PROGRAM_NAME}} with PROC_UNAVAIL. Each connection has its own thread, so a
stalled client never delays the others.

What is yours: every function marked TODO below (the lab's README says what each must do),
and everything the lab asks beyond one procedure at a time (see the lab's README: replay
cache, durability, consensus...). Nothing here is a solution.

Environment (the node contract): DSLAB_NODE_ID (n1..nN), DSLAB_PORT (clients),
DSLAB_PEER_PORT and DSLAB_PEERS (labs with several nodes), DSLAB_DATA_DIR (all that must
survive a crash goes there). Logs go to stderr; dslab records them in the trace.

Run it as dslab does:  dslab test {{LAB}} .
"""

import logging
import os
import socketserver
import struct
import sys
import threading

log = logging.getLogger("server")

PROGRAM = {{PROG}}  # {{PROGRAM_NAME}}
VERSION = {{VERS}}  # {{VERSION_NAME}}
RPC_VERSION = 2
MAX_RECORD_BYTES = 1 << 20  # the contract: records up to 1 MiB must be accepted

# accept_stat and the other RFC 5531 constants this server uses.
SUCCESS, PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR = range(6)
CALL, REPLY = 0, 1
MSG_ACCEPTED, MSG_DENIED = 0, 1
RPC_MISMATCH = 0
AUTH_NONE = 0


class GarbageArgs(Exception):
    """Raise it in a procedure when its arguments do not decode: the reply is GARBAGE_ARGS."""


# ---------------------------------------------------------------------------------------------
# The procedures. Each gets the call's credential (flavor, body) and its XDR-encoded arguments
# and returns the XDR-encoded results, or None while it is not implemented (PROC_UNAVAIL).
# XDR (RFC 4506): integers are 4 bytes big-endian, hypers 8; strings and opaques are a length
# and the bytes, padded with zeros to a multiple of 4. struct.pack(">I", n) and friends do it.
# ---------------------------------------------------------------------------------------------


def {{NULL_FUNCTION}}(cred: tuple[int, bytes], args: bytes) -> bytes | None:
    """{{NULL_SIGNATURE}}: does nothing and answers nothing, so clients can ping the server."""
    return b""


{{STUBS}}

PROCEDURES = {
{{TABLE}}
}


def answer_call(proc: int, cred: tuple[int, bytes], args: bytes) -> tuple[int, bytes]:
    """The accept_stat and results of one call of this program and version."""
    procedure = PROCEDURES.get(proc)
    if procedure is None:
        return PROC_UNAVAIL, b""
    try:
        results = procedure(cred, args)
    except GarbageArgs as error:
        log.info("procedure %d: garbage arguments (%s)", proc, error)
        return GARBAGE_ARGS, b""
    if results is None:
        return PROC_UNAVAIL, b""
    return SUCCESS, results


# ---------------------------------------------------------------------------------------------
# ONC RPC over TCP: record marking (RFC 5531 section 11) and the message header.
# ---------------------------------------------------------------------------------------------


def read_exactly(stream, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def read_record(stream) -> bytes | None:
    """One whole record (its fragments joined), or None when the connection ended."""
    fragments = []
    total = 0
    while True:
        header = read_exactly(stream, 4)
        if header is None:
            return None
        (word,) = struct.unpack(">I", header)
        size = word & 0x7FFFFFFF
        total += size
        if total > MAX_RECORD_BYTES:
            raise ValueError(f"record over {MAX_RECORD_BYTES} bytes")
        fragment = read_exactly(stream, size)
        if fragment is None:
            return None
        fragments.append(fragment)
        if word & 0x80000000:
            return b"".join(fragments)


def framed(payload: bytes) -> bytes:
    """The payload as one last fragment."""
    return struct.pack(">I", 0x80000000 | len(payload)) + payload


def read_opaque_auth(record: bytes, offset: int) -> tuple[tuple[int, bytes], int]:
    """An opaque_auth (flavor, body of at most 400 bytes) at offset, and the offset after it."""
    flavor, size = struct.unpack_from(">II", record, offset)
    if size > 400:
        raise ValueError(f"auth body of {size} bytes")
    start = offset + 8
    end = start + size
    if end > len(record):
        raise ValueError("auth body past the end of the record")
    return (flavor, record[start:end]), start + (size + 3) // 4 * 4


def accepted(xid: int, stat: int, body: bytes = b"") -> bytes:
    # xid, REPLY, MSG_ACCEPTED, verifier AUTH_NONE (flavor, empty body), accept_stat, body
    return struct.pack(">IIIIII", xid, REPLY, MSG_ACCEPTED, AUTH_NONE, 0, stat) + body


def answer_record(record: bytes) -> bytes | None:
    """The reply to one record, or None when it is not a decodable CALL (no reply is sent)."""
    if len(record) < 24:
        return None
    xid, message_type, rpc_version, program, version, proc = struct.unpack_from(">6I", record)
    if message_type != CALL:
        return None
    if rpc_version != RPC_VERSION:
        return struct.pack(">IIIIII", xid, REPLY, MSG_DENIED, RPC_MISMATCH, 2, 2)
    try:
        cred, offset = read_opaque_auth(record, 24)
        _verifier, offset = read_opaque_auth(record, offset)
    except (ValueError, struct.error) as error:
        log.info("xid %d: undecodable header (%s): no reply", xid, error)
        return None
    if program != PROGRAM:
        return accepted(xid, PROG_UNAVAIL)
    if version != VERSION:
        return accepted(xid, PROG_MISMATCH, struct.pack(">II", VERSION, VERSION))
    stat, results = answer_call(proc, cred, record[offset:])
    return accepted(xid, stat, results if stat == SUCCESS else b"")


class ClientConnection(socketserver.StreamRequestHandler):
    """One client connection: read a CALL, answer it, repeat (a thread per connection)."""

    def handle(self) -> None:
        peer = "%s:%d" % self.client_address
        try:
            while (record := read_record(self.rfile)) is not None:
                reply = answer_record(record)
                if reply is not None:
                    self.wfile.write(framed(reply))
        except (ValueError, OSError) as error:
            log.info("%s: closing the connection: %s", peer, error)


class PeerConnection(socketserver.StreamRequestHandler):
    """A connection from another node. TODO: the protocol between your nodes is yours."""

    def handle(self) -> None:
        while self.rfile.read(4096):
            pass


class Listener(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # a restarted node reuses its port at once
    daemon_threads = True


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        sys.exit(f"server.py: {name} is not set; run me with dslab test {{LAB}} .")
    return value


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    node = os.environ.get("DSLAB_NODE_ID", "n1")
    port = int(required_env("DSLAB_PORT"))
    data_dir = required_env("DSLAB_DATA_DIR")
    peers = [entry for entry in os.environ.get("DSLAB_PEERS", "").split(",") if entry]
    # TODO: recover what is in data_dir before listening: once the port accepts connections,
    # dslab counts the node as ready.
    listeners = [Listener(("0.0.0.0", port), ClientConnection)]
    peer_port = os.environ.get("DSLAB_PEER_PORT")
    if peer_port:
        listeners.append(Listener(("0.0.0.0", int(peer_port)), PeerConnection))
    log.info(
        "%s listening on %d (peer port %s, peers %s, data in %s)",
        node, port, peer_port or "none", ",".join(peers) or "none", data_dir,
    )
    for listener in listeners[1:]:
        threading.Thread(target=listener.serve_forever, daemon=True).start()
    listeners[0].serve_forever()


if __name__ == "__main__":
    main()
