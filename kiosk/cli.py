"""The ``kiosk`` command and its subcommands.

Each area registers its subcommands in its own ``_add_*_commands`` function below;
handlers import their modules lazily so that ``kiosk --help`` and the start-up path
stay fast (Qt, OpenCV and the address converter are heavy).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _data_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the kiosk writes its state (default: $KIOSK_DATA_DIR, else the per-user "
                             "data folder, ~/.local/share/ward-kiosk on Linux)")


# --- core: ID card, forms, wards ------------------------------------------------------------------

def _write_utf8(stream: Any, text: str) -> None:
    # Whatever the locale's encoding (LANG=C, latin-1), the card's Vietnamese goes out as UTF-8.
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
    else:
        stream.flush()
        buffer.write(text.encode("utf-8"))
    stream.flush()


def _cmd_parse_id(args: argparse.Namespace) -> int:
    from kiosk.core.identity import IdentityError, parse_id_qr

    # Standard input is read as bytes so that the parser, not the locale's decoder, refuses what is not UTF-8;
    # an argument that was not UTF-8 reaches us with lone surrogates, which the parser refuses too.
    payload: str | bytes = sys.stdin.buffer.read() if args.payload == "-" else args.payload
    try:
        identity = parse_id_qr(payload)
    except IdentityError as err:
        if args.json:
            _write_utf8(sys.stdout, json.dumps(err.to_json(), ensure_ascii=False) + "\n")
        else:
            _write_utf8(sys.stderr, f"{err.message['vi']}\n{err.message['en']}\n")
        return 2
    if args.json:
        _write_utf8(sys.stdout, json.dumps(identity.to_json(), ensure_ascii=False) + "\n")
    else:
        _write_utf8(sys.stdout, "".join(f"{key}: {value}\n" for key, value in identity.to_json().items()))
    return 0


def _cmd_forms(args: argparse.Namespace) -> int:
    from kiosk.core import forms

    if args.forms_command == "list":
        try:
            catalogue = forms.load_catalogue(args.dir)
        except forms.FormError as err:
            sys.stderr.write(f"{err}\n(run `kiosk forms check` to see every problem)\n")
            return 1
        rows = [f.summary() for f in catalogue]
        if args.json:
            print_json(rows)
        else:
            for row in rows:
                print(f"{row['code']:<10} {row['id']:<28} {row['name']['vi']}")
        return 0
    problems = forms.check_catalogue(args.dir)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ok: every form definition in {args.dir or forms.FORMS_DIR} is valid")
    return 1 if problems else 0


def _cmd_ward(args: argparse.Namespace) -> int:
    from kiosk.core import wards

    if args.address:
        ward = wards.suggest_ward(args.address)
        print_json(ward.to_json() if ward else None)
        return 0 if ward else 1
    print_json([w.to_json() for w in wards.search_wards(args.search or "", args.province)])
    return 0


def _cmd_config(args: argparse.Namespace) -> int:
    from kiosk.core import config

    if args.doc:
        sys.stdout.write(config.reference_markdown())
        return 0
    try:
        cfg = config.load_config(args.data_dir, args.config)
    except config.ConfigError as err:
        print(f"Cấu hình không hợp lệ / invalid configuration: {err}", file=sys.stderr)
        return 2
    if args.check:
        backend = cfg["backend"]
        if problem := config.ca_file_problem(backend["ca_file"]):
            print(f"Cấu hình không hợp lệ / invalid configuration: {problem['vi']} / {problem['en']}",
                  file=sys.stderr)
            return 2
        print(f"ok: {cfg.path}" + ("" if cfg.path and cfg.path.exists() else " (no file: defaults)"))
        if warning := config.plain_http_warning(backend["url"], backend["allow_plain_http"]):
            print(f"{warning['vi']} / {warning['en']}", file=sys.stderr)
        missing = config.missing_for_run(cfg)
        if missing:
            print("`kiosk run` còn cần (đến khi đặt đủ, kiosk hiện màn hình cài đặt) / "
                  "`kiosk run` still needs (until then it shows the setup screen):")
            for dotted in missing:
                print(f"  {dotted}  (or {config.env_name(dotted)})")
        return 0
    print_json({"path": str(cfg.path), **cfg.as_dict()})
    return 0


def _add_core_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="show the effective configuration, check it, or print its reference")
    _data_dir_arg(p)
    p.add_argument("--config", type=Path, default=None, help="the TOML file (default: $KIOSK_CONFIG or "
                   "<data dir>/kiosk.toml)")
    p.add_argument("--check", action="store_true", help="validate; exit 2 naming the key and the reason")
    p.add_argument("--doc", action="store_true", help="print docs/configuration.md")
    p.set_defaults(func=_cmd_config)

    p = sub.add_parser("parse-id", help="read a citizen ID card QR payload")
    p.add_argument("payload", help="the QR text, or - to read it from standard input")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_parse_id)

    p = sub.add_parser("forms", help="the e-form catalogue: list or check the procedure definitions")
    fsub = p.add_subparsers(dest="forms_command", required=True)
    pl = fsub.add_parser("list", help="list the procedures")
    pl.add_argument("--json", action="store_true")
    pl.add_argument("--dir", type=Path, default=None, help="a forms folder other than the shipped one")
    pc = fsub.add_parser("check", help="validate every definition; one line per problem")
    pc.add_argument("dir", nargs="?", type=Path, default=None)
    p.set_defaults(func=_cmd_forms)

    p = sub.add_parser("ward", help="search the 2025 wards, or suggest one from an old-format address")
    p.add_argument("--address", help="an address to convert to its 2025 ward (loads slowly)")
    p.add_argument("--search", help="part of a ward name, with or without diacritics")
    p.add_argument("--province", help="two-digit province code to search within")
    p.set_defaults(func=_cmd_ward)


# --- device: camera, QR decoding, printer ---------------------------------------------------------

def _cmd_scan(args: argparse.Namespace) -> int:
    import time

    import cv2
    import numpy as np

    from device.qr import QrPipeline

    accept = None
    if args.card:
        from kiosk.core.identity import IdentityError, parse_id_qr

        def accept(text: str) -> bool:
            try:
                parse_id_qr(text)
            except IdentityError:
                return False
            return True

    pipeline = QrPipeline(accept=accept)
    failed = False
    for name in args.images:
        row: dict[str, Any] = {"file": name, "text": None, "decode_ms": None}
        problem = ("không phải tệp ảnh đọc được", "not a readable image")
        try:
            frame = cv2.imdecode(np.fromfile(name, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
        except FileNotFoundError:
            frame, problem = None, ("không tìm thấy tệp", "file not found")
        except PermissionError:
            frame, problem = None, ("không có quyền đọc tệp", "permission denied")
        except (OSError, ValueError):
            frame = None
        if frame is None:
            failed = True
            row["error"] = {"vi": f"Không mở được ảnh: {problem[0]}.", "en": f"Cannot open the image: {problem[1]}."}
        else:
            start = time.perf_counter()
            result = pipeline.decode(frame)
            row["decode_ms"] = round((time.perf_counter() - start) * 1000, 2)
            row["text"] = result.text if result else None
        if args.json:
            print_json(row)
        elif "error" in row:
            sys.stderr.write(f"{name}: {row['error']['vi']} / {row['error']['en']}\n")
        else:
            text = row["text"] if row["text"] is not None else "(không đọc được mã QR / no QR read)"
            print(f"{name}: {text}  [{row['decode_ms']} ms]")
    return 1 if failed else 0


def _shown_qr(text: str) -> tuple[str, bool]:
    """A decoded QR as the kiosk shows it: a card's ID number masked (personal data, as in the logs);
    and whether it is an ID card's."""
    from kiosk.core.identity import IdentityError, mask_id, parse_id_qr

    try:
        identity = parse_id_qr(text)
    except IdentityError:
        return text, False
    return text.replace(identity.id_number, mask_id(identity.id_number)), True


def _cmd_camera_source(args: argparse.Namespace) -> int:
    """`kiosk camera --source`: the real camera (a device, a stream or a video file) for a technician:
    the granted format, then each second the frames read and the QR texts decoded."""
    import threading

    from device.camera import CameraError, CameraWorker, OpenCvCamera, shown_source

    seconds = 20.0 if args.seconds is None else args.seconds
    camera = OpenCvCamera(args.source, args.width, args.height, args.fps)
    try:
        camera.open()
    except CameraError:
        shown = shown_source(camera.source)
        _write_utf8(sys.stderr, f"Không mở được camera {shown}: kiểm tra cáp, số camera, đường dẫn, tệp hoặc URL.\n"
                                f"Cannot open the camera {shown}: check its cable, index, path, file or URL.\n")
        return 2
    granted = camera.granted or {}
    if args.json:
        print_json({"event": "granted", "source": shown_source(camera.source), **granted})
    else:
        print(f"camera {shown_source(camera.source)}: {granted.get('width')}x{granted.get('height')} "
              f"{granted.get('fourcc') or '?'} {granted.get('fps')} fps ({granted.get('backend')})")
    done = threading.Event()
    lock = threading.Lock()
    frames = [0]
    cards: list[str] = []

    def emit(event: dict[str, Any], line: str) -> None:
        with lock:
            print_json(event) if args.json else _write_utf8(sys.stdout, line + "\n")

    def on_decoded(text: str) -> None:
        shown, card = _shown_qr(text)
        emit({"event": "decoded", "text": shown, "card": card},
             f"QR: {shown}" + ("" if card else "  (không phải thẻ căn cước / not an ID card)"))
        if card:
            cards.append(shown)
            if args.until_decoded:
                done.set()

    def on_frame(_frame: Any) -> None:
        with lock:
            frames[0] += 1

    def on_status(code: str, message: dict[str, str]) -> None:
        emit({"event": "status", "status": code, "message": message},
             f"camera: {code} - {message['vi']} / {message['en']}")

    worker = CameraWorker(camera, on_decoded=on_decoded, on_frame=on_frame, on_status=on_status)
    worker.start()
    start = time.monotonic()
    deadline, tick, second = start + seconds, start + 1.0, 0
    try:
        while not done.is_set() and time.monotonic() < deadline:
            done.wait(max(0.0, min(tick, deadline) - time.monotonic()))
            if time.monotonic() >= tick:
                second, tick = second + 1, tick + 1.0
                with lock:
                    count, frames[0] = frames[0], 0
                emit({"event": "frames", "second": second, "frames": count}, f"{second:>3} s: {count} frames")
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
    if args.until_decoded:
        if not cards:
            _write_utf8(sys.stderr, f"Không đọc được thẻ căn cước trong {seconds:g} giây.\n"
                                    f"No ID card read within {seconds:g} s.\n")
        return 0 if cards else 1
    return 0 if worker.status == "ok" else 2


def _cmd_camera(args: argparse.Namespace) -> int:
    import threading

    from device.camera import CameraWorker
    from device.factory import make_camera
    from kiosk.core.identity import IdentityError, mask_id, parse_id_qr
    from kiosk.core.samples import sample_payload

    if args.source is not None:
        if args.simulate:
            sys.stderr.write("--source là camera thật, không dùng cùng --simulate / "
                             "--source is the real camera: not with --simulate\n")
            return 2
        return _cmd_camera_source(args)
    args.seconds = 5.0 if args.seconds is None else args.seconds
    camera = make_camera(args.simulate, index=args.index, width=args.width, height=args.height, fps=args.fps)
    if args.simulate and args.present_card is not None:
        camera.present_card(sample_payload(args.present_card))
    elif args.simulate and args.present_receipt:
        camera.present_receipt(args.present_receipt)
    done = threading.Event()
    lock = threading.Lock()
    last_frame: list[Any] = [None]
    decoded: list[str] = []

    def emit(event: dict[str, Any]) -> None:
        with lock:
            if args.json:
                print_json(event)
            elif event["event"] == "status":
                print(f"camera: {event['status']} - {event['message']['vi']} / {event['message']['en']}")
            else:
                print(f"QR: {event['text']}")

    def on_decoded(text: str) -> None:
        try:  # a card's ID number is personal data: shown masked, like in the logs
            identity = parse_id_qr(text)
            shown = text.replace(identity.id_number, mask_id(identity.id_number))
        except IdentityError:
            shown = text
        decoded.append(text)
        emit({"event": "decoded", "text": shown})
        if args.until_decoded:
            done.set()

    def on_frame(frame: Any) -> None:
        last_frame[0] = frame

    worker = CameraWorker(camera, on_decoded=on_decoded, on_frame=on_frame,
                          on_status=lambda code, message: emit({"event": "status", "status": code,
                                                                "message": message}))
    worker.start()
    try:
        done.wait(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
    if args.snapshot and last_frame[0] is not None:
        import cv2

        cv2.imwrite(str(args.snapshot), last_frame[0])
    if worker.status != "ok":
        return 2
    return 1 if args.until_decoded and not decoded else 0


def _add_device_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="decode the QR in camera images with the kiosk's QR pipeline")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    p.add_argument("--json", action="store_true", help='one JSON line per image: {"file", "text", "decode_ms"}')
    p.add_argument("--card", action="store_true", help="only accept texts that parse as an ID card QR")
    p.set_defaults(func=_cmd_scan)

    p = sub.add_parser("camera", help="run the camera and its QR decoding for a while; print status and reads")
    p.add_argument("--simulate", action="store_true", help="the simulated camera (KIOSK_SIM_FAULTS applies)")
    p.add_argument("--index", type=int, default=0, help="camera device index (default 0)")
    p.add_argument("--source", help="the real camera for a technician: an index, a device path (/dev/video0), a "
                   "stream URL or a video file; prints the granted format, then the frames read each second and "
                   "the QR read (ID number masked); exit 2 if it does not open")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=None, help="how long to run (default 5; 20 with --source)")
    p.add_argument("--until-decoded", action="store_true", help="stop at the first QR read (with --source: the "
                   "first ID card); exit 1 if none")
    p.add_argument("--present-card", type=int, metavar="N", help="simulated: hold test citizen N's card")
    p.add_argument("--present-receipt", metavar="CODE", help="simulated: hold a receipt with this code")
    p.add_argument("--snapshot", type=Path, help="write the last frame to this PNG")
    p.add_argument("--json", action="store_true", help="one JSON line per event")
    p.set_defaults(func=_cmd_camera)


# --- backend: simulator, outbox -------------------------------------------------------------------

def _cmd_backend_sim(args: argparse.Namespace) -> int:
    import re

    from kiosk.backend.sim import serve
    from kiosk.core import wards

    province = args.province.zfill(2) if args.province else None
    if province is not None and province not in wards.provinces():
        sys.stderr.write(f"--province {args.province}: not one of the 34 province codes (01 Hà Nội, 79 Thành phố "
                         "Hồ Chí Minh, ...; `kiosk ward --search` shows a ward's province code)\n")
        return 2
    if args.public_url and not re.match(r"^https?://[^\s/]+(/\S*)?$", args.public_url):
        # it goes on paper as a QR: a typo would print tickets no phone can open
        sys.stderr.write(f"--public-url {args.public_url}: không phải địa chỉ http(s):// / not an http(s):// address\n")
        return 2
    serve(args.host, args.port, args.db, args.token, latency_ms=args.latency_ms, error_rate=args.error_rate,
          drop_rate=args.drop_rate, seed=args.seed, province_code=province, public_url=args.public_url)
    return 0


def _outbox_refused(err: Any) -> int:
    """One line, Vietnamese then English, naming the file and what to do; never a traceback."""
    sys.stderr.write(f"{err.message['vi']} / {err.message['en']}\n")
    return 2


def _cmd_outbox(args: argparse.Namespace) -> int:
    import sqlite3

    from kiosk.backend.outbox import DB_NAME, KEY_NAME, Outbox, OutboxError, storage_error
    from kiosk.core.paths import default_data_dir

    data = args.data_dir or default_data_dir()
    outbox = None
    try:
        # a key without its database is a lost outbox, which opening it notices and records
        if (data / DB_NAME).exists() or (data / KEY_NAME).exists():
            outbox = Outbox(data / DB_NAME, data / KEY_NAME)
        if args.outbox_command == "flush":
            if (refused := _flush_link_refused(args)) is not None:
                return refused
            return _outbox_flush(args, data, outbox)
        if outbox is None:
            status: dict[str, Any] = {"pending": 0, "sent": 0, "acknowledged": 0, "rejected": 0,
                                      "undelivered": 0, "oldest_pending_age_s": None, "lost": None}
            rows: list[dict[str, Any]] = []
        else:
            status = outbox.status()
            rows = [i.to_json() for i in outbox.items(tuple(args.state) if args.state else None)] \
                if args.outbox_command == "list" else []
    except OutboxError as err:
        return _outbox_refused(err)
    except (sqlite3.Error, OSError) as err:  # a disk that filled or turned read-only after opening
        return _outbox_refused(storage_error(data / DB_NAME, err))
    finally:
        if outbox is not None:
            outbox.close()
    if status.get("lost"):
        from kiosk.backend.outbox import lost_message

        message = lost_message(status["lost"])
        sys.stderr.write(f"{message['vi']} / {message['en']}\n")
    if args.outbox_command == "status":
        if args.json:
            print_json(status)
        else:
            for key, value in status.items():
                print(f"{key}: {value}")
        return 0
    if args.json:
        print_json(rows)
    else:
        for row in rows:  # id_masked only: the full ID number never leaves the encrypted payload
            print(f"{row['local_ref']:<26} {row['state']:<12} {row['dossier_code'] or '-':<18} "
                  f"{row['procedure_code']:<10} {row['id_masked'] or '-':<13} attempts={row['attempts']}"
                  + (f" HTTP {row['rejected_status']}" if row["rejected_status"] else ""))
    return 0


def _flush_link_refused(args: argparse.Namespace) -> int | None:
    """Exit 2 with one line for a clear-text backend off this machine or an unusable --ca-file."""
    from kiosk.core import config

    if args.backend and (reason := config.plain_http_refusal(args.backend, args.allow_plain_http)):
        reason = reason.replace("backend.allow_plain_http = true", "--allow-plain-http")
        sys.stderr.write("Không gửi qua http:// không mã hoá tới máy khác: dùng https://, hoặc --allow-plain-http "
                         f"chỉ trong mạng thử nghiệm khép kín / --backend {reason}\n")
        return 2
    if args.backend and (warning := config.plain_http_warning(args.backend, args.allow_plain_http)):
        sys.stderr.write(f"{warning['vi']} / {warning['en']}\n")
    if args.ca_file and (problem := config.ca_file_problem(str(args.ca_file))):
        sys.stderr.write(f"{problem['vi']} / {problem['en']}\n")
        return 2
    return None


def _outbox_flush(args: argparse.Namespace, data: Path, outbox: Any) -> int:
    from kiosk.backend.client import BackendClient
    from kiosk.backend.outbox import DB_NAME, KEY_NAME
    from kiosk.backend.sender import Sender

    if not args.backend or not args.token:
        sys.stderr.write("Cần --backend và --token để gửi hồ sơ.\nflush needs --backend and --token.\n")
        return 2
    if outbox is None:
        print_json({"drained": True, "undelivered": 0}) if args.json else print("outbox is empty")
        return 0
    # The sender's own backoff (not a shorter one): a flush is one more client of a struggling backend.
    sender = Sender(data / DB_NAME, data / KEY_NAME,
                    lambda: BackendClient(args.backend, args.token, ca_file=args.ca_file, max_retries=1))
    sender.start()
    try:
        drained = sender.flush(args.timeout)
        health = sender.health()
    finally:
        sender.stop()
    status = outbox.status()
    nxt = outbox.next_attempt_at()
    waiting = {"next_attempt_in_s": None if drained or nxt is None else max(0.0, round(nxt - time.time(), 1)),
               "last_error": health["last_error"]}
    if args.json:
        print_json({"drained": drained, **status, **waiting})
    else:
        if not drained:
            sys.stderr.write(f"Chưa gửi được {status['undelivered']} hồ sơ ({waiting['last_error'] or 'timeout'}); "
                             f"lần thử sau sau {waiting['next_attempt_in_s']} giây.\n"
                             f"{status['undelivered']} dossiers not delivered ({waiting['last_error'] or 'timeout'}); "
                             f"next attempt in {waiting['next_attempt_in_s']} s.\n")
        for key, value in status.items():
            print(f"{key}: {value}")
    return 0 if drained else 1


def _add_backend_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outbox", help="the queue of dossiers waiting for the backend: status, list, flush")
    osub = p.add_subparsers(dest="outbox_command", required=True)
    for name, text in (("status", "counts per state and the oldest undelivered age"),
                       ("list", "every queued dossier (ID numbers masked)"),
                       ("flush", "send everything undelivered now and wait")):
        op = osub.add_parser(name, help=text)
        _data_dir_arg(op)
        op.add_argument("--json", action="store_true")
        if name == "list":
            op.add_argument("--state", action="append", choices=["pending", "sent", "acknowledged", "rejected"])
        if name == "flush":
            op.add_argument("--backend", help="backend base URL, e.g. https://dvc.example.gov.vn (http:// only "
                                              "for this machine, e.g. the simulator on http://127.0.0.1:8765)")
            op.add_argument("--token", help="the kiosk's device token")
            op.add_argument("--ca-file", type=Path, default=None, help="CA bundle to verify the backend's TLS")
            op.add_argument("--allow-plain-http", action="store_true",
                            help="allow an http:// backend on another machine (closed test network only: the "
                                 "token and personal data travel in clear)")
            op.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds")
    p.set_defaults(func=_cmd_outbox)

    p = sub.add_parser("backend-sim", help="run the provincial backend simulator (docs/backend-api.yaml)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--db", type=Path, required=True, help="the simulator's SQLite file")
    p.add_argument("--token", required=True, help="the device token kiosks must send")
    p.add_argument("--latency-ms", type=int, default=0, help="added to every answer")
    p.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 500/502/503/504")
    p.add_argument("--drop-rate", type=float, default=0.0, help="share of connections dropped without an answer")
    p.add_argument("--seed", type=int, default=None, help="makes the injected faults reproducible")
    p.add_argument("--province", default=None, metavar="CODE",
                   help="the province this backend serves (two digits, e.g. 01 Hà Nội): a dossier for a ward "
                        "elsewhere is refused, 422 ward_outside_province (default: every province)")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="the base of the follow URLs printed as QR codes on tickets, e.g. http://192.168.1.20:8765 "
                        "so phones on the LAN reach the follow page (default: the simulator's own address)")
    p.set_defaults(func=_cmd_backend_sim)


# --- ui: demo, run, walkthrough -------------------------------------------------------------------

def _ui_settings(args: argparse.Namespace, for_run: bool = False, **overrides: Any) -> Any:
    """``for_run``: `kiosk run`, which also needs config.REQUIRED_FOR_RUN (else the setup screen)."""
    from kiosk.app.services import KioskSettings
    from kiosk.core.config import ConfigError, load_config, missing_for_run

    try:
        config = load_config(args.data_dir, getattr(args, "config", None))
    except ConfigError as err:
        sys.stderr.write(f"Cấu hình không hợp lệ / invalid configuration: {err}\n")
        raise SystemExit(2) from None
    if for_run:
        overrides["missing"] = missing_for_run(config)
    return KioskSettings.from_config(config, **overrides)


def _demo_settings(args: argparse.Namespace) -> Any:
    """The demo's settings: the configured ward if there is one, else the sample ward, marked as a demo."""
    from kiosk.core.samples import SAMPLE_WARD_CODE

    settings = _ui_settings(args, simulate=True, demo=True)
    settings.ward_code = settings.ward_code or SAMPLE_WARD_CODE
    settings.sim_printer = "escpos" if getattr(args, "printer", "spool") == "escpos-sim" else "spool"
    return settings


def _has_display() -> bool:
    import os

    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0]  # "offscreen:configfile=..." too
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) \
        or platform not in ("", "offscreen", "minimal")


def _screen_size(text: str) -> tuple[int, int]:
    """``--screen WxH``: a window size such as 1080x1920."""
    width, _x, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and 200 <= int(width) <= 8000 and 200 <= int(height) <= 8000):
        raise argparse.ArgumentTypeError(f"{text!r}: cần dạng RỘNGxCAO, ví dụ 1080x1920 / "
                                         "expected WIDTHxHEIGHT, e.g. 1080x1920 (200 to 8000 px each)")
    return int(width), int(height)


def _cmd_walkthrough(args: argparse.Namespace) -> int:
    import time

    started = time.perf_counter()
    from kiosk.tools.walkthrough.citizen import run_walkthrough

    status = run_walkthrough(args.out, rounds=args.journeys, fast=args.fast, backend_url=args.backend,
                             token=args.token, data_dir=args.data_dir, started=started,
                             maintenance=getattr(args, "maintenance", False),
                             screen=getattr(args, "screen", None) or (1920, 1080),
                             large_text=getattr(args, "large_text", False), language=getattr(args, "lang", "vi"))
    out = args.out.resolve()
    print(f"Màn hình / screens: {out / 'screens'}")
    print(f"Bản in / prints:    {out / 'prints'}")
    print(f"Kết quả / results:  {out / 'journey.json'}")
    return status


def _cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.core.paths import data_dir

    base = data_dir(args.data_dir)
    if not _has_display():
        from kiosk.core import clock

        out = base / "walkthrough" / clock.now().strftime("%Y%m%d-%H%M%S")
        print("Không có màn hình: chạy thử mọi hành trình ở chế độ ẩn ...")
        print("No display: running every journey offscreen ...")
        args.out, args.journeys, args.fast, args.backend, args.token = out, 1, True, None, None
        args.data_dir = out / "data"
        return _cmd_walkthrough(args)
    from kiosk.ui.demo import run_demo

    return run_demo(_demo_settings(args), base)


def _cmd_run(args: argparse.Namespace) -> int:
    from kiosk.core.paths import data_dir
    from kiosk.ui.demo import run_kiosk

    return run_kiosk(_ui_settings(args, for_run=True), data_dir(args.data_dir), windowed=args.windowed)


def _add_ui_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the offline demo: simulated devices and backend, in a window with a demo "
                                    "panel (without a display: the walkthrough, offscreen)")
    _data_dir_arg(p)
    p.add_argument("--config", type=Path, default=None, help="configuration file")
    p.add_argument("--printer", choices=("spool", "escpos-sim"), default="spool",
                   help="the simulated printer: spool (PDFs kept) or escpos-sim (the real ESC/POS driver printing "
                        "to a simulated ESC/POS printer on 127.0.0.1; its jobs are PNGs)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("run", help="the kiosk: real devices, fullscreen, configuration from the config file")
    _data_dir_arg(p)
    p.add_argument("--config", type=Path, default=None, help="configuration file")
    p.add_argument("--windowed", action="store_true", help="a normal window instead of fullscreen (testing)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("walkthrough", help="every journey through the real widgets, offscreen: screenshots, "
                                           "prints and journey.json")
    p.add_argument("--out", type=Path, required=True, help="folder for screens/, prints/ and journey.json")
    p.add_argument("--journeys", type=int, default=1, help="rounds to run (each: number, dossier, look-up, rating)")
    p.add_argument("--fast", action="store_true", help="skip animations and video playback time")
    p.add_argument("--backend", default=None, help="backend URL (default: an in-process simulator)")
    p.add_argument("--token", default=None, help="device token for --backend")
    p.add_argument("--maintenance", action="store_true", help="the technician's journey instead: PIN with lockout, "
                   "diagnostics, test print, outbox, configuration, logs, exit (screens/NN-maint-*.png)")
    p.add_argument("--screen", type=_screen_size, default=None, metavar="WxH",
                   help="the window's size, e.g. 1080x1920 (default 1920x1080); journey.json's layout_audit "
                        "says what is clipped, overlapping, off the window, behind the keyboard or too small")
    p.add_argument("--large-text", action="store_true", help="start in large-text mode")
    p.add_argument("--lang", choices=("vi", "en"), default="vi", help="the language a session starts in")
    _data_dir_arg(p)
    p.set_defaults(func=_cmd_walkthrough)


# --- maintenance: PIN, doctor, self-test ----------------------------------------------------------

def _cmd_set_pin(args: argparse.Namespace) -> int:
    import getpass

    from kiosk.core.paths import data_dir
    from kiosk.core.pin import MESSAGES, PinError, PinStore

    def ask(prompt: str) -> str:
        if sys.stdin.isatty():
            return getpass.getpass(prompt)
        return sys.stdin.readline().strip()

    first = ask("Mã PIN mới / new PIN (≥ 6 chữ số / digits): ")
    second = ask("Nhập lại / again: ")
    if first != second:
        print(f"{MESSAGES['mismatch']['vi']} / {MESSAGES['mismatch']['en']}", file=sys.stderr)
        return 2
    try:
        PinStore(data_dir(args.data_dir)).set_pin(first)
    except PinError as err:
        print(f"{err.message['vi']} / {err.message['en']}", file=sys.stderr)
        return 2
    print("Đã đặt mã PIN bảo trì / maintenance PIN set")
    return 0


def _cmd_self_test(args: argparse.Namespace) -> int:
    if args.startup:
        from kiosk.tools.startup import measure_startup

        result = measure_startup()
        print_json(result) if args.json else print(f"ready_ms: {result.get('ready_ms')}")
        return 0 if "ready_ms" in result else 1
    from kiosk.app.diagnostics import self_test

    checks = self_test()
    ok = all(c.ok for c in checks)
    for check in checks:
        if args.json:
            print_json(check.to_json())
        else:
            print(check.line())
    return 0 if ok else 1


def _cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk.app.diagnostics import doctor
    from kiosk.core.config import ConfigError, load_config
    from kiosk.core.paths import data_dir

    directory = data_dir(args.data_dir)
    try:
        cfg = load_config(directory)
    except ConfigError as err:
        if args.json:
            print_json({"ok": False, "config": {"ok": False, "detail": str(err)}})
        else:
            print(f"FAIL config   {err}")
        return 2
    parts = doctor(cfg, directory, simulate=args.simulate or cfg["kiosk"]["simulate"])
    ok = all(p.ok for p in parts.values())
    if args.json:
        print_json({"ok": ok, **{name: part.to_json() for name, part in parts.items()}})
    else:
        for part in parts.values():
            print(part.line())
    failing = [name for name, part in parts.items() if not part.ok]
    if failing and not args.json:
        print(f"\nHỏng / failing: {', '.join(failing)}")
    return 0 if ok else 1


def _add_maintenance_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check camera, printer, backend, outbox and disk; name what is broken")
    _data_dir_arg(p)
    p.add_argument("--simulate", action="store_true", help="check the simulated devices (KIOSK_SIM_FAULTS applies)")
    p.add_argument("--json", action="store_true", help="one JSON object with a key per part")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("self-test", help="check the installed program is whole (forms, QR, PDF, video, outbox)")
    p.add_argument("--json", action="store_true", help="one JSON object per check")
    p.add_argument("--startup", action="store_true", help="start the UI offscreen on simulated devices and print "
                   "ready_ms: process start -> home screen shown, event loop idle")
    p.set_defaults(func=_cmd_self_test)

    p = sub.add_parser("set-pin", help="set the maintenance PIN (asked twice; only a slow salted hash is kept)")
    _data_dir_arg(p)
    p.set_defaults(func=_cmd_set_pin)


#: Each area's subcommands, as its ``_add_*_commands`` function registers them.
AREAS = (
    (_add_core_commands, ("config", "parse-id", "forms", "ward")),
    (_add_device_commands, ("scan", "camera")),
    (_add_backend_commands, ("outbox", "backend-sim")),
    (_add_ui_commands, ("demo", "run", "walkthrough")),
    (_add_maintenance_commands, ("doctor", "self-test", "set-pin")),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or only the area that registers ``command``: building all seventeen subcommands
    costs argparse ~12 ms (a gettext look-up per parser), paid on every start of the kiosk window."""
    parser = argparse.ArgumentParser(prog="kiosk",
                                     description="Kiosk dịch vụ công phường / Ward service kiosk")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    areas = [add for add, commands in AREAS if command in commands] or [add for add, _commands in AREAS]
    for add in areas:
        add(sub)
    return parser


#: Commands that start the kiosk window: they keep the garbage collector off until the window's warm-up
#: is over (kiosk.ui.app.start_warm_up collects, freezes and re-enables it).
UI_COMMANDS = {"run", "demo", "walkthrough"}


def _set_clock(args: argparse.Namespace) -> bool:
    """Set the kiosk's clock from ``kiosk.timezone`` before any command tells the time; False when invalid."""
    from kiosk.core import clock
    from kiosk.core.config import ConfigError, time_zone

    try:
        clock.configure(time_zone(getattr(args, "data_dir", None), getattr(args, "config", None)))
    except ConfigError as err:
        sys.stderr.write(f"Cấu hình không hợp lệ / invalid configuration: {err}\n")
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    # Start-up allocates thousands of objects that live as long as the process (modules, Qt wrappers):
    # collecting them while importing is wasted work, ~10 ms of the time to the home screen.
    gc.disable()
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    if not (args.command in UI_COMMANDS or (args.command == "self-test" and args.startup)):
        gc.enable()
    if args.command != "config" and not _set_clock(args):  # `kiosk config --check` reports a bad zone itself
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `kiosk ... | head` closed the pipe: not an error worth a traceback
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
