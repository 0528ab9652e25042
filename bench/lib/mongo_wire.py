"""A tiny MongoDB client over the wire protocol (OP_MSG), Python stdlib only.

Enough for the benchmarks to read the server's database directly (pymongo is not installed):
`find` with a filter and a projection, on MongoDB 3.6+ and FerretDB alike. BSON covers the types
the server stores; anything else is decoded as None.
"""
import socket
import struct
import threading

OP_MSG = 2013


class ObjectId:
    __slots__ = ("raw",)

    def __init__(self, value):
        self.raw = bytes.fromhex(value) if isinstance(value, str) else bytes(value)
        if len(self.raw) != 12:
            raise ValueError("an ObjectId has 12 bytes")

    def __str__(self):
        return self.raw.hex()

    __repr__ = __str__

    def __eq__(self, other):
        return isinstance(other, ObjectId) and other.raw == self.raw

    def __hash__(self):
        return hash(self.raw)


class Int64(int):
    """An int that is always encoded as a BSON int64 (cursor ids)."""


def _cstring(s):
    b = s.encode()
    if b"\0" in b:
        raise ValueError("a BSON key cannot contain NUL")
    return b + b"\0"


def encode(doc):
    out = bytearray()
    for key, value in doc.items():
        k = _cstring(key)
        if isinstance(value, bool):  # before int: bool is an int
            out += b"\x08" + k + (b"\x01" if value else b"\x00")
        elif isinstance(value, Int64):
            out += b"\x12" + k + struct.pack("<q", value)
        elif isinstance(value, int):
            if -(2**31) <= value < 2**31:
                out += b"\x10" + k + struct.pack("<i", value)
            else:
                out += b"\x12" + k + struct.pack("<q", value)
        elif isinstance(value, float):
            out += b"\x01" + k + struct.pack("<d", value)
        elif isinstance(value, str):
            b = value.encode()
            out += b"\x02" + k + struct.pack("<i", len(b) + 1) + b + b"\0"
        elif isinstance(value, ObjectId):
            out += b"\x07" + k + value.raw
        elif isinstance(value, dict):
            out += b"\x03" + k + encode(value)
        elif isinstance(value, (list, tuple)):
            out += b"\x04" + k + encode({str(i): v for i, v in enumerate(value)})
        elif value is None:
            out += b"\x0a" + k
        else:
            raise TypeError(f"cannot encode {type(value).__name__} as BSON")
    return struct.pack("<i", len(out) + 5) + bytes(out) + b"\0"


def decode(data, pos=0):
    """The document at data[pos:], as a dict."""
    (size,) = struct.unpack_from("<i", data, pos)
    end = pos + size - 1
    pos += 4
    doc = {}
    while pos < end:
        kind = data[pos]
        pos += 1
        nul = data.index(b"\0", pos)
        key = data[pos:nul].decode()
        pos = nul + 1
        if kind == 0x01:
            (value,) = struct.unpack_from("<d", data, pos)
            pos += 8
        elif kind in (0x02, 0x0D, 0x0E):  # string, JavaScript, symbol
            (n,) = struct.unpack_from("<i", data, pos)
            value = data[pos + 4 : pos + 3 + n].decode()
            pos += 4 + n
        elif kind in (0x03, 0x04):
            (n,) = struct.unpack_from("<i", data, pos)
            value = decode(data, pos)
            if kind == 0x04:
                value = list(value.values())
            pos += n
        elif kind == 0x05:
            (n,) = struct.unpack_from("<i", data, pos)
            value = bytes(data[pos + 5 : pos + 5 + n])
            pos += 5 + n
        elif kind == 0x07:
            value = ObjectId(data[pos : pos + 12])
            pos += 12
        elif kind == 0x08:
            value = data[pos] != 0
            pos += 1
        elif kind in (0x09, 0x11, 0x12):  # datetime (ms), timestamp, int64
            (value,) = struct.unpack_from("<q", data, pos)
            pos += 8
        elif kind in (0x0A, 0x06, 0xFF, 0x7F):  # null, undefined, min/max key
            value = None
        elif kind == 0x0B:  # regex: two cstrings
            a = data.index(b"\0", pos)
            b = data.index(b"\0", a + 1)
            value = None
            pos = b + 1
        elif kind == 0x10:
            (value,) = struct.unpack_from("<i", data, pos)
            pos += 4
        elif kind == 0x13:
            value = None
            pos += 16
        else:
            raise ValueError(f"unsupported BSON type 0x{kind:02x}")
        doc[key] = value
    return doc


class MongoError(Exception):
    pass


class Connection:
    """One connection; one command at a time (a lock serializes callers)."""

    def __init__(self, host, port, timeout=10.0):
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._lock = threading.Lock()
        self._next_id = 1

    def close(self):
        self._sock.close()

    def _recv_exactly(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self._sock.recv(n - len(buf))
            if not chunk:
                raise MongoError("connection closed by the server")
            buf += chunk
        return bytes(buf)

    def command(self, db, cmd):
        body = dict(cmd)
        body["$db"] = db
        payload = struct.pack("<I", 0) + b"\x00" + encode(body)
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            header = struct.pack("<iiii", 16 + len(payload), request_id, 0, OP_MSG)
            self._sock.sendall(header + payload)
            length, _, response_to, opcode = struct.unpack("<iiii", self._recv_exactly(16))
            data = self._recv_exactly(length - 16)
        if opcode != OP_MSG or response_to != request_id:
            raise MongoError(f"unexpected reply (opcode {opcode}, responseTo {response_to})")
        if data[4] != 0:
            raise MongoError("reply without a body section")
        reply = decode(data, 5)
        if reply.get("ok") != 1 and reply.get("ok") != 1.0:
            raise MongoError(f"{cmd}: {reply.get('errmsg', reply)}")
        return reply

    def find(self, db, collection, flt, projection=None, batch_size=10_000):
        """Every matching document (follows the cursor with getMore)."""
        cmd = {"find": collection, "filter": flt, "batchSize": batch_size}
        if projection:
            cmd["projection"] = projection
        reply = self.command(db, cmd)
        cursor = reply["cursor"]
        docs = list(cursor["firstBatch"])
        while cursor.get("id"):
            reply = self.command(
                db, {"getMore": Int64(cursor["id"]), "collection": collection, "batchSize": batch_size}
            )
            cursor = reply["cursor"]
            docs += cursor["nextBatch"]
        return docs
