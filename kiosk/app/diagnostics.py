"""Checks a technician (``kiosk doctor``) or a build (``kiosk self-test``) runs on a kiosk.

``self_test`` proves the installed program is whole: its data files are there and its libraries load
(forms, QR decoding, PDF rendering with the embedded font, video decoding, the outbox database). It
touches no device and writes only to a temporary folder, so it also runs on the frozen build on a
machine with no Python. ``doctor`` (added with the maintenance tools) checks the devices and links.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.core.paths import PACKAGE_ROOT

SELFTEST_IMAGE = PACKAGE_ROOT / "kiosk" / "assets" / "selftest-card.png"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    ms: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, "ms": round(self.ms, 1), **self.data}

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name:<8} {self.detail}"


def _run(name: str, fn: Callable[[], tuple[str, dict[str, Any]]]) -> Check:
    start = time.perf_counter()
    try:
        detail, data = fn()
        ok = True
    except Exception as exc:  # a self-test reports every failure as a line, never a traceback
        detail, data, ok = f"{type(exc).__name__}: {exc}", {}, False
    return Check(name, ok, detail, (time.perf_counter() - start) * 1000, data)


def _check_forms() -> tuple[str, dict[str, Any]]:
    from kiosk.core.forms import load_catalogue

    catalogue = load_catalogue()
    if not catalogue:
        raise RuntimeError("no procedure in the catalogue")
    return f"{len(catalogue)} procedures loaded", {"procedures": len(catalogue)}


def _check_qr() -> tuple[str, dict[str, Any]]:
    import cv2

    from device.qr import decode
    from kiosk.core.identity import is_card_qr

    frame = cv2.imread(str(SELFTEST_IMAGE), cv2.IMREAD_GRAYSCALE)
    if frame is None:
        raise RuntimeError(f"cannot read {SELFTEST_IMAGE}")
    result = decode(frame, accept=is_card_qr)
    if result is None:
        raise RuntimeError("the sample card QR was not decoded")
    return f"sample card read by {result.decoder}", {"decoder": result.decoder}


def _check_ticket(tmp: Path) -> tuple[str, dict[str, Any]]:
    from kiosk.core import clock
    from kiosk.core.documents import TicketDoc, render_ticket

    doc = TicketDoc(ward_name="Phường Cửa Nam", service_area={"vi": "Hộ tịch", "en": "Civil status"},
                    number="A001", issued_at=clock.now(), people_ahead=0, kiosk_id="SELF-TEST")
    rendered = render_ticket(doc, tmp / "ticket.pdf")
    if abs(rendered.width_mm - 80.0) > 0.01 or rendered.path.stat().st_size == 0:
        raise RuntimeError(f"ticket is {rendered.width_mm} mm wide")
    return f"ticket PDF {rendered.width_mm:.0f} x {rendered.height_mm:.0f} mm", {}


def _check_escpos(tmp: Path) -> tuple[str, dict[str, Any]]:
    """The ESC/POS driver whole: a ticket rasterised (PDFium) and sent to the simulated ESC/POS printer."""
    from device.escpos import EscposPrinter
    from device.sim.escpos import EscposSimulator

    _check_ticket(tmp)
    with EscposSimulator(tmp / "escpos-jobs") as printer_sim:
        result = EscposPrinter(printer_sim.address).print_pdf(tmp / "ticket.pdf")
        if not printer_sim.wait_for_jobs(1, 10):
            raise RuntimeError("the simulated ESC/POS printer saved no job")
        from PIL import Image

        with Image.open(printer_sim.jobs[0]) as job:
            width, height = job.size
    if width != 576:
        raise RuntimeError(f"the printed ticket is {width} dots wide, not 576")
    return f"ticket printed over ESC/POS ({result.printer}): {width}x{height} dots", {}


def _check_speech() -> tuple[str, dict[str, Any]]:
    """The kiosk's voice whole: eSpeak NG and its Vietnamese data synthesise a phrase that is not silence."""
    import io
    import wave

    import numpy as np

    from kiosk.app.speech import speech_engine

    engine = speech_engine()
    wav = engine.synthesize("Xin mời lấy số thứ tự", "vi")
    if not wav:
        raise RuntimeError(f"no Vietnamese voice: {engine.reason or 'nothing synthesised'}")
    with wave.open(io.BytesIO(wav)) as sound:
        rate, frames = sound.getframerate(), sound.readframes(sound.getnframes())
    samples = np.frombuffer(frames, dtype=np.int16).astype(np.float64)
    loudness = float(np.sqrt(np.mean(samples ** 2))) if samples.size else 0.0
    if loudness < 100:
        raise RuntimeError(f"the Vietnamese phrase is silent (RMS {loudness:.0f})")
    return f"Vietnamese phrase synthesised: {samples.size / rate:.2f} s, RMS {loudness:.0f}", {}


def _check_pages() -> tuple[str, dict[str, Any]]:
    """Photographing documents whole: a sample page on the simulated tray is found, straightened, checked and
    encoded (OpenCV's geometry and JPEG, Pillow's font for the sample) within the page budget."""
    from device.page_scan import scan_page
    from device.sim.camera import SimCamera

    camera = SimCamera(fps=15)
    camera.open()
    try:
        camera.present_document("giay-chung-sinh", 1, tilt_deg=4)
        for _ in range(12):  # the page settles on the tray
            camera.read()
        page = scan_page(camera.still(), max_bytes=600_000)
    finally:
        camera.close()
    if page.problems:
        raise RuntimeError(f"the sample page fails its checks: {', '.join(page.problems)}")
    return (f"document page straightened and encoded: {page.width}x{page.height} px, {page.dpi} dpi, "
            f"{len(page.jpeg):,} bytes"), {}


def _check_video() -> tuple[str, dict[str, Any]]:
    import cv2

    from kiosk.core.forms import load_catalogue

    video = load_catalogue()[0].video
    capture = cv2.VideoCapture(str(video))
    try:
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok or frame is None:
        raise RuntimeError(f"no frame from {video}")
    return f"{Path(video).name}: frame {frame.shape[1]}x{frame.shape[0]}", {}


def _check_outbox(tmp: Path) -> tuple[str, dict[str, Any]]:
    from kiosk.backend.outbox import Outbox

    with Outbox.in_data_dir(tmp / "data") as outbox:
        status = outbox.status()
    return "outbox database opens (WAL, synchronous=FULL)", {"outbox": status}


def self_test() -> list[Check]:
    """Run every self-test check; each returns a :class:`Check`, none raises."""
    with tempfile.TemporaryDirectory(prefix="kiosk-selftest-") as tmp_name:
        tmp = Path(tmp_name)
        return [
            _run("forms", _check_forms),
            _run("qr", _check_qr),
            _run("ticket", lambda: _check_ticket(tmp)),
            _run("escpos", lambda: _check_escpos(tmp)),
            _run("speech", _check_speech),
            _run("pages", _check_pages),
            _run("video", _check_video),
            _run("outbox", lambda: _check_outbox(tmp)),
        ]


# --- kiosk doctor ---------------------------------------------------------------------------------

@dataclass
class Part:
    """The health of one part of the kiosk, named so a technician knows what to fix."""

    name: str
    ok: bool
    state: str
    message: dict[str, str]
    action: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    #: working, but a technician must know (a clear-text backend allowed on purpose): shown as WARN
    warning: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "state": self.state, "message": self.message, "action": self.action,
                **({"warning": True} if self.warning else {}), **self.data}

    def line(self) -> str:
        status = "FAIL" if not self.ok else "WARN" if self.warning else "ok  "
        text = f"{status} {self.name:<8} {self.message.get('vi', '')} / {self.message.get('en', '')}"
        if not self.ok and self.action:
            text += f"\n              -> {self.action.get('vi', '')} / {self.action.get('en', '')}"
        return text


def _msg(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def _doctor_camera(cfg: Any, simulate: bool) -> Part:
    from device.camera import CameraError
    from device.factory import make_camera
    from kiosk.app.services import camera_options

    cam = cfg["camera"]
    camera = make_camera(simulate, **camera_options(cam))
    try:
        camera.open()
        frame = camera.read()
    except CameraError as err:
        return Part("camera", False, err.code, _msg("Camera không hoạt động.", "The camera is not working."),
                    _msg(f"Kiểm tra cáp USB của camera (số {cam['index']}), rồi chạy lại kiosk doctor.",
                         f"Check the camera's USB cable (index {cam['index']}), then run kiosk doctor again."),
                    {"detail": err.detail})
    finally:
        camera.close()
    height, width = frame.shape[:2]
    granted = getattr(camera, "granted", None) or {}
    # what the device actually gave, not what was asked: a UVC camera in YUYV at 720p runs at a few fps
    fmt = (f", {granted.get('fourcc') or '?'} {granted.get('fps') or 0:g} fps, {granted.get('backend')}"
           if granted else "")
    return Part("camera", True, "ok",
                _msg(f"Camera hoạt động ({width}x{height}{fmt}).", f"Camera works ({width}x{height}{fmt})."),
                data={"width": width, "height": height, "simulated": simulate, "granted": granted})


def _doctor_printer(cfg: Any, simulate: bool, data_dir: Path) -> Part:
    from device.factory import make_printer
    from device.sim.printer import DEMO_SPOOL
    from kiosk.app.services import printer_options

    options = printer_options(cfg["printer"])
    printer = make_printer(simulate, spool_dir=data_dir / DEMO_SPOOL, **options)
    part = printer_part(printer.status(), cfg["printer"]["queue"], simulate, kind=options["kind"],
                        address=options["address"] or "")
    part.data["model"] = getattr(printer, "model", None) or getattr(printer, "name", "")
    return part


def printer_part(status: Any, queue: str, simulate: bool, kind: str = "cups", address: str = "") -> Part:
    """The printer's health from its status (``device.printer.PrinterStatus``), with what to do."""
    actions = {
        "paper_out": _msg("Lắp cuộn giấy in mới (khổ 80 mm).", "Load a new paper roll (80 mm)."),
        "offline": _msg("Bật máy in và kiểm tra cáp; xem lpstat -p.", "Switch the printer on and check its cable; "
                        "see lpstat -p."),
        "not_found": _msg(f"Tạo hàng đợi CUPS '{queue}' (docs/deployment.md).",
                          f"Create the CUPS queue '{queue}' (docs/deployment.md)."),
    }
    if kind == "escpos":  # the printer answers for itself: its cover, its paper sensors, or nothing at all
        actions.update({
            "offline": _msg(f"Bật máy in, đóng nắp và kiểm tra cáp tới {address} (máy in không trả lời trạng thái).",
                            f"Switch the printer on, close its cover and check the link to {address} (it does not "
                            "answer status requests)."),
            "not_found": _msg(f"Kiểm tra địa chỉ máy in printer.address ({address}).",
                              f"Check the printer's address, printer.address ({address})."),
        })
    data = {"paper": status.paper, "paper_left": status.paper_left, "reasons": list(status.reasons),
            "simulated": simulate}
    message = status.message or _msg(status.state, status.state)
    return Part("printer", status.ok, status.state, message, actions.get(status.state, {}), data)


def _doctor_backend(cfg: Any, simulate: bool, data_dir: Path) -> Part:
    from kiosk.backend.client import BackendClient, BackendError

    url, token = cfg["backend"]["url"], cfg["backend"]["token"]
    handle = None
    if not url and simulate:
        # A simulated kiosk talks to the simulator, as the demo does.
        from kiosk.backend.sim import start_simulator_thread

        token = token or "demo-token"
        handle = start_simulator_thread(data_dir / "doctor-backend.sqlite3", token)
        url = handle.url
    if not url:
        return Part("backend", False, "not_configured",
                    _msg("Chưa cấu hình máy chủ tỉnh.", "No provincial backend is configured."),
                    _msg("Đặt backend.url và backend.token trong kiosk.toml.",
                         "Set backend.url and backend.token in kiosk.toml."))
    from kiosk.core.config import ca_file_problem, plain_http_refusal, plain_http_warning

    ca_file, allow_plain = cfg["backend"].get("ca_file", ""), bool(cfg["backend"].get("allow_plain_http"))
    if handle is None and url.startswith("https") and (problem := ca_file_problem(ca_file)):
        return Part("backend", False, "ca_file", problem,
                    _msg("Sửa backend.ca_file trong kiosk.toml, kiểm tra bằng kiosk config --check.",
                         "Fix backend.ca_file in kiosk.toml; check it with kiosk config --check."),
                    {"url": url, "ca_file": ca_file})
    if handle is None and (reason := plain_http_refusal(url, allow_plain)):
        return Part("backend", False, "plain_http",
                    _msg(f"Máy chủ {url} dùng http:// không mã hoá: kiosk không gửi dữ liệu qua đó.",
                         f"The backend {url} is plain http://: the kiosk sends nothing over it."),
                    _msg("Dùng địa chỉ https:// của tỉnh trong backend.url.",
                         "Use the province's https:// address in backend.url."), {"url": url, "detail": reason})
    try:
        with BackendClient(url, token, ca_file=ca_file or None, max_retries=0,
                           timeout=cfg["backend"]["timeout_s"]) as client:
            start = time.perf_counter()
            client.health()
            latency = (time.perf_counter() - start) * 1000
    except BackendError as err:
        message = getattr(err, "message", None) or _msg("Không kết nối được máy chủ.", "Backend unreachable.")
        return Part("backend", False, "unreachable", message,
                    _msg(f"Kiểm tra mạng và địa chỉ {url}.", f"Check the network and the address {url}."),
                    {"url": url, "detail": str(err)})
    finally:
        if handle is not None:
            handle.stop()
    data = {"url": url, "latency_ms": round(latency, 1), "simulated": handle is not None}
    if warning := plain_http_warning(url, allow_plain):
        return Part("backend", True, "plain_http", _msg(f"Máy chủ trả lời sau {latency:.0f} ms. {warning['vi']}",
                                                        f"Backend answered in {latency:.0f} ms. {warning['en']}"),
                    _msg("Chuyển sang https:// trước khi phục vụ công dân.",
                         "Move to https:// before serving citizens."), data, warning=True)
    return Part("backend", True, "ok", _msg(f"Máy chủ trả lời sau {latency:.0f} ms.",
                                            f"Backend answered in {latency:.0f} ms."), data=data)


LOST_ACTION = _msg("Mở chế độ bảo trì > Hồ sơ chờ gửi, đọc thông báo rồi chọn \"Xác nhận mất dữ liệu\"; "
                   "báo bộ phận hỗ trợ để đối chiếu với máy chủ tỉnh.",
                   "Open maintenance > Outbox, read the notice, then choose \"Acknowledge the loss\"; tell "
                   "support so the backend's records can be checked.")


#: Below this much free space a dossier (its encrypted payload, the WAL, the receipt PDF) may not fit.
OUTBOX_MIN_FREE_MB = 20


def _outbox_fault_part(cause: str, detail: str) -> Part:
    from kiosk.backend.outbox import STORAGE_FAULTS

    actions = {
        "full": _msg("Giải phóng ổ đĩa (nhật ký cũ, bản cài cũ).", "Free disk space (old logs, releases)."),
        "read_only": _msg("Kiểm tra ổ đĩa (bị gắn chỉ đọc?) và quyền ghi thư mục dữ liệu.",
                          "Check the disk (mounted read-only?) and the data folder's permissions."),
        "damaged": _msg("Sao lưu rồi khôi phục tệp outbox.sqlite3 trong thư mục dữ liệu; xem nhật ký.",
                        "Back up, then restore outbox.sqlite3 in the data folder; see the log."),
    }
    what = STORAGE_FAULTS[cause]
    return Part("outbox", False, cause, _msg(f"Không lưu được hồ sơ: {what['vi']}.",
                                             f"Dossiers cannot be saved: {what['en']}."),
                actions.get(cause, _msg("Xem nhật ký của kiosk.", "See the kiosk log.")), {"detail": detail})


def outbox_usable(data_dir: Path) -> Part | None:
    """None if a dossier can be committed now, else the outbox's Part naming why not. Opens a connection of
    its own (the kiosk's open ones keep working on a file that has since been replaced or damaged) and
    takes the write lock without writing anything."""
    import shutil
    import sqlite3

    from kiosk.backend.outbox import DB_NAME, Outbox, storage_fault

    try:
        free_mb = shutil.disk_usage(data_dir).free / 1e6
        if free_mb < OUTBOX_MIN_FREE_MB:
            return _outbox_fault_part("full", f"{free_mb:.0f} MB free")
        db = Path(data_dir) / DB_NAME
        if not db.exists():  # first run: make it as the kiosk would, never an empty file
            Outbox.in_data_dir(data_dir).close()
            return None
        conn = sqlite3.connect(f"file:{db}?mode=rw", uri=True, isolation_level=None, timeout=2.0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("SELECT count(*) FROM outbox").fetchone()
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except Exception as err:  # sqlite3 and OS errors alike: named, never raised to the caller
        return _outbox_fault_part(storage_fault(err), f"{type(err).__name__}: {err}")
    return None


def _doctor_outbox(data_dir: Path) -> Part:
    from kiosk.backend.outbox import Outbox, OutboxError, lost_message

    unusable = outbox_usable(data_dir)  # full, read-only or damaged, named
    if unusable is not None:
        return unusable
    try:
        with Outbox.in_data_dir(data_dir) as outbox:
            status = outbox.status()
    except OutboxError as err:  # damaged, full disk, read-only: the message names the file and what to do
        return Part("outbox", False, "unusable", err.message,
                    _msg("Giữ nguyên các tệp outbox.* (đừng xoá); xử lý như trên rồi chạy lại kiosk doctor.",
                         "Keep the outbox.* files (do not delete them); fix as above, then run kiosk doctor again."),
                    {"detail": str(err)})
    if status.get("lost"):
        return Part("outbox", False, "lost", lost_message(status["lost"]), LOST_ACTION, status)
    if status.get("rejected"):
        return Part("outbox", False, "rejected",
                    _msg(f"{status['rejected']} hồ sơ bị máy chủ từ chối.",
                         f"{status['rejected']} dossiers were rejected by the backend."),
                    _msg("Mở chế độ bảo trì > Hồ sơ chờ gửi để xem và xuất cho bộ phận hỗ trợ.",
                         "Open maintenance > Outbox to review them and export them for support."), status)
    age = status.get("oldest_pending_age_s")
    if age is not None and age > 3600:
        return Part("outbox", False, "stale",
                    _msg(f"{status['undelivered']} hồ sơ chưa gửi được, lâu nhất {age / 3600:.1f} giờ.",
                         f"{status['undelivered']} dossiers undelivered, the oldest for {age / 3600:.1f} h."),
                    _msg("Kiểm tra kết nối tới máy chủ tỉnh.", "Check the link to the provincial backend."), status)
    if status.get("attachments_rejected"):
        return Part("outbox", False, "attachment_rejected",
                    _msg(f"{status['attachments_rejected']} ảnh giấy tờ bị máy chủ từ chối (sai mã kiểm tra).",
                         f"{status['attachments_rejected']} document photos were refused by the backend (checksum)."),
                    _msg("Mở chế độ bảo trì > Hồ sơ chờ gửi và xuất cho bộ phận hỗ trợ; người dân mang bản giấy.",
                         "Open maintenance > Outbox and export for support; the citizen brings the paper."), status)
    photos = status.get("attachments_pending") or 0
    photos_mb = (status.get("attachments_bytes") or 0) / 1e6
    return Part("outbox", True, "ok", _msg(
        f"{status['undelivered']} hồ sơ đang chờ gửi; {photos} ảnh giấy tờ chờ gửi ({photos_mb:.1f} MB).",
        f"{status['undelivered']} dossiers waiting to be sent; {photos} document photos waiting "
        f"({photos_mb:.1f} MB)."), data=status)


def _doctor_disk(data_dir: Path) -> Part:
    import shutil

    free_mb = shutil.disk_usage(data_dir).free / 1e6
    ok = free_mb > 500
    return Part("disk", ok, "ok" if ok else "low",
                _msg(f"Còn trống {free_mb:,.0f} MB.", f"{free_mb:,.0f} MB free."),
                {} if ok else _msg("Giải phóng ổ đĩa (nhật ký cũ, bản cài cũ).",
                                   "Free disk space (old logs, releases)."),
                {"free_mb": round(free_mb)})


def guarded(name: str, fn: Callable[[], Part]) -> Part:
    """Run one check; a check that crashes is reported as that part failing."""
    try:
        return fn()
    except Exception as exc:  # doctor must name the part, never die with a traceback
        return Part(name, False, "error", _msg(f"Lỗi khi kiểm tra {name}.", f"Checking {name} failed."),
                    _msg("Xem nhật ký của kiosk.", "See the kiosk log."),
                    {"detail": f"{type(exc).__name__}: {exc}"})


def sender_part(health: dict[str, Any] | None) -> Part:
    """The outbox sender thread of the running kiosk: alive, and the unexpected errors it survived."""
    if health is None:
        return Part("sender", True, "none", _msg("Không có máy chủ tỉnh: hồ sơ được giữ tại kiosk.",
                                                 "No provincial backend: dossiers stay on the kiosk."))
    errors, restarts = health.get("errors", 0), health.get("restarts", 0)
    if not health.get("alive"):
        return Part("sender", False, "dead", _msg("Luồng gửi hồ sơ đã dừng.", "The outbox sender has stopped."),
                    _msg("Khởi động lại kiosk và gửi nhật ký cho nhà cung cấp.",
                         "Restart the kiosk and send the log to the vendor."), dict(health))
    if errors or restarts:
        return Part("sender", False, "errors",
                    _msg(f"Luồng gửi hồ sơ vẫn chạy nhưng đã gặp {errors} lỗi bất thường "
                         f"(gần nhất: {health.get('last_error')}), khởi động lại {restarts} lần.",
                         f"The outbox sender runs but survived {errors} unexpected errors "
                         f"(last: {health.get('last_error')}) and {restarts} restarts."),
                    _msg("Xem nhật ký của kiosk (dòng 'outbox sender').",
                         "See the kiosk log (lines 'outbox sender')."), dict(health))
    held = health.get("held_for_s") or 0
    extra = (f"; máy chủ yêu cầu chờ {held:.0f} giây", f"; the backend asked to wait {held:.0f} s") \
        if held else ("", "")
    return Part("sender", True, "ok", _msg(f"Luồng gửi hồ sơ đang chạy{extra[0]}.",
                                           f"The outbox sender is running{extra[1]}."), data=dict(health))


def running_parts(printer: Any, queue: str, backend: dict[str, Any], data_dir: Path,
                  simulate: bool, sender: dict[str, Any] | None = None) -> dict[str, Part]:
    """The checks the maintenance screen runs inside the running kiosk (slow: off the GUI thread).

    It asks the kiosk's own printer (a second printer object would not know the paper left) and the
    backend the kiosk talks to (``backend``: url, token, ca_file, timeout_s); the camera is shown live."""
    parts = {"printer": guarded("printer", lambda: printer_part(printer.status(), queue, simulate))
             if printer is not None else Part("printer", False, "not_found",
                                              _msg("Chưa kết nối máy in.", "No printer attached."),
                                              _msg("Kiểm tra máy in rồi khởi động lại kiosk.",
                                                   "Check the printer, then restart the kiosk."))}
    parts["backend"] = guarded("backend", lambda: _doctor_backend({"backend": backend}, False, data_dir))
    parts["outbox"] = guarded("outbox", lambda: _doctor_outbox(data_dir))
    parts["sender"] = sender_part(sender)
    parts["disk"] = guarded("disk", lambda: _doctor_disk(data_dir))
    return parts


def speech_part(status: str) -> Part:
    """The voice: ``status`` is the speaker's ("ok", "no_audio_device", "no_voice: <why>"). A kiosk without it
    still serves everyone who can read the screen, so it warns rather than fails."""
    if status == "ok":
        return Part("speech", True, "ok", _msg("Giọng đọc tiếng Việt sẵn sàng (eSpeak NG).",
                                               "The Vietnamese voice is ready (eSpeak NG)."))
    if status == "no_audio_device":
        return Part("speech", True, "no_audio_device",
                    _msg("Không có loa: kiosk không đọc thành tiếng.", "No audio output: the kiosk is silent."),
                    _msg("Cắm loa hoặc kiểm tra âm thanh của máy.", "Plug in a speaker or check the sound setup."),
                    warning=True)
    return Part("speech", True, "no_voice", _msg("Không có giọng đọc: kiosk không đọc thành tiếng.",
                                                 "No voice: the kiosk is silent."),
                _msg("Cài lại kiosk (thư viện eSpeak NG và dữ liệu tiếng Việt).",
                     "Reinstall the kiosk (the eSpeak NG library and its Vietnamese data)."),
                {"detail": status.removeprefix("no_voice: ")}, warning=True)


def _doctor_speech() -> Part:
    """The voice engine and its Vietnamese data (the audio output is the running kiosk's to check)."""
    from kiosk.app.speech import speech_engine

    engine = speech_engine()
    return speech_part("ok" if engine.synthesize("Xin chào", "vi") else f"no_voice: {engine.reason or 'silent'}")


def doctor(cfg: Any, data_dir: Path, simulate: bool) -> dict[str, Part]:
    """Check every device and link; a check that crashes is reported as that part failing."""
    return {
        "camera": guarded("camera", lambda: _doctor_camera(cfg, simulate)),
        "printer": guarded("printer", lambda: _doctor_printer(cfg, simulate, data_dir)),
        "backend": guarded("backend", lambda: _doctor_backend(cfg, simulate, data_dir)),
        "outbox": guarded("outbox", lambda: _doctor_outbox(data_dir)),
        "disk": guarded("disk", lambda: _doctor_disk(data_dir)),
        "speech": guarded("speech", _doctor_speech),
    }
