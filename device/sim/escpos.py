"""A simulated ESC/POS printer that speaks the protocol: a TCP server on 127.0.0.1 for the real driver.

It reads what it receives command by command (``ESC @``, ``GS v 0`` raster bands, ``LF``/``ESC d``/``ESC J``
feeds, ``GS V`` cuts, ``DLE EOT n`` real-time status, ``GS r n`` status in turn, ``GS I n`` identity, and skips
the other common commands and plain text), assembles each job's bands into an image and, at the cut, saves it as
``jobs_dir/NNNN.png`` (black on white, one pixel per dot). Status replies follow Epson's bit layout, so the
driver (device.escpos) and the real printer are told apart only by the model name it gives.

Faults, set at start (``faults="paper_near_end,cover_open"``) or at run time with :meth:`set_fault`:

``paper_near_end``  the roll's near-end sensor: status says so, printing goes on.
``paper_out``       no paper: status says so, ``GS r`` goes unanswered, a job received is not saved.
``paper_out_mid_job`` the roll runs out after ``out_after_bands`` bands of the next job: that job is not
                    saved, and from then on the paper is out (``paper_out`` turns on) until :meth:`refill`.
``cover_open``      the cover is open: offline, status says why, a job received is not saved.
``no_status_reply`` the printer never answers anything (DLE EOT, GS r, GS I): a broken return channel.
``drop_connection`` a job's connection is closed (reset) at its first raster band, for as long as it is on.

Run alone for a demo or a technician: ``python -m device.sim.escpos --port 9100 --jobs DIR``.
"""

from __future__ import annotations

import argparse
import logging
import os
import selectors
import socket
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL = "TM-T88VI (simulated)"
#: the demo's simulated ESC/POS printer's jobs folder under the data directory (PNGs of what printed)
DEMO_JOBS = "demo-escpos-jobs"
FAULT_NAMES = ("paper_near_end", "paper_out", "paper_out_mid_job", "cover_open", "no_status_reply",
               "drop_connection")
DEFAULT_LINE_DOTS = 30  # ESC 2: the default line spacing, 1/6 inch at 180 vertical units ~ 30 dots

# ESC commands skipped with their argument count (the printer's modes do not change a raster).
_ESC_ARGS = {ord(c): n for c, n in {
    "!": 1, "-": 1, "2": 0, "3": 1, "E": 1, "G": 1, "M": 1, "R": 1, "V": 1, "a": 1, "c": 2, "p": 3, "r": 1,
    "t": 1, "{": 1, "U": 1, "S": 0, "L": 0, "T": 1, " ": 1, "=": 1, "<": 0, "J": 1, "d": 1, "e": 1, "$": 2,
    "\\": 2, "D": 0, "%": 1, "?": 1, "&": 0,
}.items()}
# GS commands skipped with their argument count.
_GS_ARGS = {ord(c): n for c, n in {
    "!": 1, "B": 1, "H": 1, "L": 2, "W": 2, "a": 1, "b": 1, "f": 1, "h": 1, "w": 1, "P": 2, "r": 1, "I": 1,
    "$": 2, "\\": 2, "^": 3, "T": 1, "E": 1,
}.items()}


@dataclass
class _Connection:
    sock: socket.socket
    buffer: bytearray = field(default_factory=bytearray)
    rows: list[np.ndarray] = field(default_factory=list)  # the job so far: packed rows, or None for feeds
    width_bytes: int = 0
    bands: int = 0
    ruined: str = ""  # why this job will not be saved
    line_dots: int = DEFAULT_LINE_DOTS


class EscposSimulator:
    """A simulated ESC/POS printer on ``host``:``port`` (0: a free port), saving jobs into ``jobs_dir``."""

    def __init__(self, jobs_dir: Path | str, *, host: str = "127.0.0.1", port: int = 0,
                 model: str = DEFAULT_MODEL, maker: str = "EPSON", faults: str = "", out_after_bands: int = 2,
                 width_dots: int = 576) -> None:
        self.jobs_dir = Path(jobs_dir)
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.model = model
        self.maker = maker
        self.out_after_bands = out_after_bands
        self.width_dots = width_dots
        self._port = port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._faults: set[str] = set()
        for name in filter(None, (part.strip() for part in faults.split(","))):
            self.set_fault(name, True)
        existing = [int(p.stem) for p in self.jobs_dir.glob("[0-9][0-9][0-9][0-9].png")]
        self._next_job = max(existing, default=0) + 1
        self._jobs: list[Path] = []
        #: jobs received and not saved, with the reason (paper out, cover open, connection dropped, ...)
        self.refused: list[str] = []
        #: counters: connections, status requests answered and ignored, bands, cuts, bytes
        self.counts = {"connections": 0, "status_replies": 0, "status_ignored": 0, "bands": 0, "cuts": 0,
                       "bytes": 0, "max_open_connections": 0}
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False
        self._connections: dict[socket.socket, _Connection] = {}

    # -- control --

    @property
    def port(self) -> int:
        return self._server.getsockname()[1] if self._server is not None else self._port

    @property
    def address(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def jobs(self) -> list[Path]:
        with self._lock:
            return list(self._jobs)

    @property
    def faults(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._faults)

    def set_fault(self, name: str, on: bool = True) -> None:
        if name not in FAULT_NAMES:
            raise ValueError(f"unknown ESC/POS printer fault {name!r}; known: {', '.join(FAULT_NAMES)}")
        with self._changed:
            (self._faults.add if on else self._faults.discard)(name)
            self._changed.notify_all()

    def refill(self) -> None:
        """A new roll: paper out, near end and an armed mid-job run-out are over."""
        with self._changed:
            self._faults -= {"paper_out", "paper_near_end", "paper_out_mid_job"}
            self._changed.notify_all()

    def wait_for_jobs(self, count: int, timeout: float) -> bool:
        """Whether at least ``count`` jobs were saved within ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._jobs) >= count, timeout)

    def start(self) -> EscposSimulator:
        if self._thread is not None:
            return self
        if self._stopping:
            raise RuntimeError("a stopped simulator does not start again: make a new one")
        server = socket.create_server((self.host, self._port))
        server.setblocking(False)
        self._server = server
        self._thread = threading.Thread(target=self._serve, name=f"escpos-sim:{self.port}", daemon=True)
        self._thread.start()
        log.info("simulated ESC/POS printer listening on %s, jobs in %s", self.address, self.jobs_dir)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: the thread ends and every socket is closed."""
        if self._thread is None:
            return
        self._stopping = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> EscposSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the server loop --

    def _serve(self) -> None:
        selector = selectors.DefaultSelector()
        assert self._server is not None
        selector.register(self._server, selectors.EVENT_READ, "accept")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self._stopping:
                for key, _ in selector.select():
                    if key.data == "wake":
                        continue
                    if key.data == "accept":
                        try:
                            sock, _peer = self._server.accept()
                        except (BlockingIOError, InterruptedError):
                            continue
                        sock.setblocking(False)
                        self._connections[sock] = _Connection(sock)
                        selector.register(sock, selectors.EVENT_READ, "conn")
                        with self._lock:
                            self.counts["connections"] += 1
                            self.counts["max_open_connections"] = max(self.counts["max_open_connections"],
                                                                      len(self._connections))
                        continue
                    sock = key.fileobj
                    conn = self._connections[sock]
                    try:
                        data = sock.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if data:
                        with self._lock:
                            self.counts["bytes"] += len(data)
                        conn.buffer += data
                        keep = self._process(conn)
                    else:
                        keep = False
                    if not keep:
                        self._end(conn, selector, abort=bool(data))
        finally:
            for conn in list(self._connections.values()):
                self._end(conn, selector, abort=False)
            selector.close()
            self._server.close()
            self._wake_r.close()
            self._wake_w.close()

    def _end(self, conn: _Connection, selector: selectors.BaseSelector, *, abort: bool) -> None:
        """Close a connection; a job begun and not cut is lost with it."""
        if conn.bands and not conn.ruined:
            self._refuse("connection closed before the cut")
        self._connections.pop(conn.sock, None)
        try:
            selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        if abort:  # a reset, as when a printer drops the link: the client's next send or read fails
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sock.close()

    def _refuse(self, why: str) -> None:
        with self._changed:
            self.refused.append(why)
            self._changed.notify_all()
        log.info("simulated ESC/POS printer: job not printed (%s)", why)

    def _reply(self, conn: _Connection, data: bytes, what: str) -> None:
        if self._fault("no_status_reply"):
            with self._lock:
                self.counts["status_ignored"] += 1
            return
        try:
            conn.sock.send(data)
        except OSError:
            return
        log.debug("simulated ESC/POS printer answered %s: %s", what, data.hex())
        with self._lock:
            self.counts["status_replies"] += 1

    def _fault(self, name: str) -> bool:
        with self._lock:
            return name in self._faults

    # -- the protocol --

    def _process(self, conn: _Connection) -> bool:
        """Run every complete command in the buffer; False to drop the connection."""
        buf = conn.buffer
        pos = 0
        keep = True
        while pos < len(buf):
            used = self._command(conn, buf, pos)
            if used == 0:
                break  # incomplete: wait for more bytes
            if used < 0:
                keep = False
                break
            pos += used
        del buf[:pos]
        return keep

    def _command(self, conn: _Connection, buf: bytearray, pos: int) -> int:
        """Handle the command at ``pos``: the bytes it took, 0 if incomplete, -1 to drop the connection."""
        have = len(buf) - pos
        b = buf[pos]
        if b == 0x10:  # DLE
            if have < 3:
                return 0
            if buf[pos + 1] == 0x04:  # DLE EOT n
                n = buf[pos + 2]
                if n in (7, 8):  # DLE EOT 7/8 a: ink status (not a thermal head's)
                    return 4 if have >= 4 else 0
                reply = self._realtime_status(n)
                if reply is not None:
                    self._reply(conn, bytes([reply]), f"DLE EOT {n}")
                return 3
            if buf[pos + 1] == 0x14:  # DLE DC4 fn ...: real-time requests (pulse, clear buffer)
                return 5 if have >= 5 else 0
            return 3 if buf[pos + 1] == 0x05 else 2  # DLE ENQ n; others: skip
        if b == 0x1B:  # ESC
            if have < 2:
                return 0
            c = buf[pos + 1]
            if c == ord("@"):
                conn.line_dots = DEFAULT_LINE_DOTS
                return 2
            if c == ord("*"):  # ESC * m nL nH d...: bit image in line mode (not rendered)
                if have < 5:
                    return 0
                m, count = buf[pos + 2], buf[pos + 3] | buf[pos + 4] << 8
                size = 5 + count * (3 if m in (32, 33) else 1)
                return size if have >= size else 0
            args = _ESC_ARGS.get(c, 0)
            if have < 2 + args:
                return 0
            if c == ord("d"):
                self._feed(conn, buf[pos + 2] * conn.line_dots)
            elif c == ord("J"):
                self._feed(conn, buf[pos + 2])
            elif c == ord("2"):
                conn.line_dots = DEFAULT_LINE_DOTS
            elif c == ord("3"):
                conn.line_dots = buf[pos + 2]
            return 2 + args
        if b == 0x1D:  # GS
            if have < 2:
                return 0
            c = buf[pos + 1]
            if c == ord("v"):  # GS v 0 m xL xH yL yH d...
                if have < 8:
                    return 0
                width_bytes = buf[pos + 4] | buf[pos + 5] << 8
                rows = buf[pos + 6] | buf[pos + 7] << 8
                size = 8 + width_bytes * rows
                if have < size:
                    return 0
                band = np.frombuffer(bytes(buf[pos + 8:pos + size]), dtype=np.uint8).reshape(rows, width_bytes)
                return size if self._band(conn, band) else -1
            if c == ord("V"):  # GS V m [n]: cut
                if have < 3:
                    return 0
                m = buf[pos + 2]
                if m in (65, 66, 97, 98, 103, 104):
                    if have < 4:
                        return 0
                    self._feed(conn, buf[pos + 3])
                    self._cut(conn)
                    return 4
                self._cut(conn)
                return 3
            if c == ord("("):  # GS ( fn pL pH ...
                if have < 5:
                    return 0
                size = 5 + (buf[pos + 3] | buf[pos + 4] << 8)
                return size if have >= size else 0
            args = _GS_ARGS.get(c, 0)
            if have < 2 + args:
                return 0
            if c == ord("I"):
                reply = self._identity(buf[pos + 2])
                if reply is not None:
                    self._reply(conn, reply, "GS I")
            elif c == ord("r") and buf[pos + 2] in (1, 49):
                if not (self._fault("paper_out") or self._fault("cover_open")):  # offline: held, not answered
                    self._reply(conn, bytes([self._paper_sensor_status()]), "GS r 1")
            return 2 + args
        if b == 0x0A:  # LF: print (nothing) and feed a line
            self._feed(conn, conn.line_dots)
        return 1  # CR, FF, HT, text and anything unknown: one byte

    def _realtime_status(self, n: int) -> int | None:
        with self._lock:
            faults = set(self._faults)
        out, cover = "paper_out" in faults, "cover_open" in faults
        byte = 0x12  # 0xx1xx10b
        if n == 1:
            byte |= 0x08 if (out or cover) else 0  # bit 3: offline
        elif n == 2:
            byte |= (0x04 if cover else 0) | (0x20 if out else 0)  # bit 2: cover open; bit 5: paper-end stop
        elif n == 3:
            pass  # no mechanical, cutter or unrecoverable error
        elif n == 4:
            near = "paper_near_end" in faults or out
            byte |= (0x0C if near else 0) | (0x60 if out else 0)  # bits 2-3: near end; bits 5-6: paper end
        else:
            return None
        return byte

    def _paper_sensor_status(self) -> int:
        """GS r 1: bits 0-1 near end, bits 2-3 paper end; bit 4 clear (unlike DLE EOT's replies)."""
        with self._lock:
            faults = set(self._faults)
        return (0x03 if {"paper_near_end", "paper_out"} & faults else 0) | (0x0C if "paper_out" in faults else 0)

    def _identity(self, n: int) -> bytes | None:
        if n in (1, 49):
            return b"\x20"  # model ID
        if n in (2, 50):
            return b"\x02"  # type ID: autocutter fitted
        if n in (3, 51):
            return b"\x10"  # ROM version ID
        texts = {65: "1.00 ESC/POS sim", 66: self.maker, 67: self.model, 68: "SIM00001", 69: "ANK"}
        if n in texts:
            return b"_" + texts[n].encode("ascii", "replace") + b"\x00"
        return None

    def _band(self, conn: _Connection, band: np.ndarray) -> bool:
        """A raster band arrives; False to drop the connection."""
        if self._fault("drop_connection"):
            self._refuse("connection dropped (simulated fault)")
            conn.bands = 0
            return False
        with self._changed:
            self.counts["bands"] += 1
            if "paper_out_mid_job" in self._faults and conn.bands >= self.out_after_bands:
                self._faults.discard("paper_out_mid_job")
                self._faults.add("paper_out")  # the roll ran out under the head
                self._changed.notify_all()
            out, cover = "paper_out" in self._faults, "cover_open" in self._faults
        conn.bands += 1
        if not conn.ruined and (out or cover):
            conn.ruined = "paper out" if out else "cover open"
        if not conn.ruined:
            conn.width_bytes = max(conn.width_bytes, band.shape[1])  # a narrower band prints from the left
            conn.rows.append(band)
        return True

    def _feed(self, conn: _Connection, dots: int) -> None:
        if dots and conn.rows and not conn.ruined:
            conn.rows.append(np.zeros((dots, 0), dtype=np.uint8))

    def _cut(self, conn: _Connection) -> None:
        with self._lock:
            self.counts["cuts"] += 1
        if conn.ruined:
            self._refuse(conn.ruined)
        elif conn.bands:
            self._save(conn)
        conn.rows, conn.width_bytes, conn.bands, conn.ruined = [], 0, 0, ""

    def _save(self, conn: _Connection) -> None:
        from PIL import Image  # only when a job is saved

        width = conn.width_bytes
        packed = np.vstack([np.pad(rows, ((0, 0), (0, width - rows.shape[1]))) for rows in conn.rows])
        black = np.unpackbits(packed, axis=1)[:, :width * 8].astype(bool)
        image = Image.fromarray(np.where(black, 0, 255).astype(np.uint8)).convert("1")
        with self._lock:
            number = self._next_job
            self._next_job += 1
        target = self.jobs_dir / f"{number:04d}.png"
        partial = target.with_suffix(".png.part")
        image.save(partial, format="PNG")
        os.replace(partial, target)
        with self._changed:
            self._jobs.append(target)
            self._changed.notify_all()
        log.info("simulated ESC/POS printer printed %s (%d x %d dots)", target.name, width * 8, black.shape[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A simulated ESC/POS printer on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--jobs", type=Path, default=Path("escpos-sim-jobs"))
    parser.add_argument("--faults", default="", help=f"comma-separated: {', '.join(FAULT_NAMES)}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    simulator = EscposSimulator(args.jobs, port=args.port, faults=args.faults).start()
    print(f"{simulator.address} -> {args.jobs}  (Ctrl+C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
