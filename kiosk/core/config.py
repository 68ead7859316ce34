"""The kiosk's configuration: one TOML file, environment overrides, every key validated.

Where the file is (first that applies): ``--config FILE``; ``$KIOSK_CONFIG``; ``<data dir>/kiosk.toml``.
A missing file means all defaults (a demo needs no configuration). Any key can be overridden
from the environment as ``KIOSK_<SECTION>_<KEY>`` (e.g. ``KIOSK_BACKEND_URL``), which is how a
systemd unit or a technician on the phone changes one value without editing the file.
docs/configuration.md is generated from :data:`SPEC` (``kiosk config --doc``), so the reference
and the code cannot drift apart.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.core import patterns
from kiosk.core.paths import data_dir as resolve_data_dir

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """An invalid configuration, naming the key and the reason."""

    def __init__(self, key: str, reason: str, source: str = "") -> None:
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {reason}")
        self.key = key
        self.reason = reason
        self.source = source


@dataclass(frozen=True)
class Key:
    default: Any
    meaning: str
    check: Callable[[Any], str | None] | None = None  # returns the reason it is wrong, or None


def _one_of(*values: str) -> Callable[[Any], str | None]:
    return lambda v: None if v in values else f"must be one of {', '.join(values)}"


def _between(low: float, high: float) -> Callable[[Any], str | None]:
    return lambda v: None if low <= v <= high else f"must be between {low} and {high}"


def _matches(pattern: str, what: str) -> Callable[[Any], str | None]:
    return lambda v: None if re.fullmatch(pattern, v) else f"must be {what}"


def _url_or_empty(v: str) -> str | None:
    if v == "" or re.fullmatch(r"https?://[^\s/]+(:\d+)?(/\S*)?", v):
        return None
    return "must be an http(s) URL, or empty for no backend"


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is this machine (127.0.0.0/8, ::1, localhost): the simulator, a local proxy."""
    import ipaddress
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


PLAIN_HTTP_REASON = ("is http://: the device token and citizens' personal data would travel in clear; use "
                     "https://, or only on a closed test network set backend.allow_plain_http = true")


def plain_http_refusal(url: str, allow_plain_http: bool) -> str | None:
    """Why ``url`` may not be used (clear text off this machine without the explicit permission), or None."""
    if url.lower().startswith("http://") and not is_loopback_url(url) and not allow_plain_http:
        return PLAIN_HTTP_REASON
    return None


def plain_http_warning(url: str, allow_plain_http: bool) -> dict[str, str] | None:
    """The loud notice for a permitted clear-text backend (config --check, doctor, the log at start)."""
    if url.lower().startswith("http://") and not is_loopback_url(url) and allow_plain_http:
        return {"vi": f"CẢNH BÁO: máy chủ {url} dùng http:// không mã hoá (backend.allow_plain_http = true): mã "
                      "thiết bị và dữ liệu cá nhân đi qua mạng dưới dạng rõ. Chỉ dùng trong mạng thử nghiệm khép kín.",
                "en": f"WARNING: the backend {url} is plain http:// (backend.allow_plain_http = true): the device "
                      "token and personal data cross the network in clear. Only for a closed test network."}
    return None


def require_safe_backend_url(url: str, allow_plain_http: bool) -> None:
    """Raise :class:`ConfigError` for a clear-text backend off this machine; called where clients are built."""
    if reason := plain_http_refusal(url, allow_plain_http):
        raise ConfigError("backend.url", reason)


def ca_file_problem(path: str) -> dict[str, str] | None:
    """What is wrong with ``backend.ca_file`` (missing, unreadable, no PEM certificate), bilingual; None if
    it is empty (the system's CAs) or usable."""
    import ssl

    if not path:
        return None
    file = Path(path)
    if not file.is_file():
        return {"vi": f"Không tìm thấy tệp CA {path} (backend.ca_file): đặt đúng đường dẫn tệp PEM của tỉnh.",
                "en": f"The CA file {path} (backend.ca_file) does not exist: set the path of the province's PEM "
                      "file."}
    try:
        ssl.create_default_context(cafile=str(file))
    except PermissionError:
        return {"vi": f"Không đọc được tệp CA {path} (backend.ca_file): kiểm tra quyền của tệp.",
                "en": f"The CA file {path} (backend.ca_file) cannot be read: check its permissions."}
    except (ssl.SSLError, OSError, ValueError):
        return {"vi": f"Tệp CA {path} (backend.ca_file) không chứa chứng chỉ PEM hợp lệ: lấy lại tệp từ tỉnh.",
                "en": f"The CA file {path} (backend.ca_file) holds no valid PEM certificate: get the file from "
                      "the province again."}
    return None


def _time_zone(v: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone name such as Asia/Ho_Chi_Minh"
    return None


def _ward_exists_or_empty(v: str) -> str | None:
    from kiosk.core.wards import ward_by_code

    if v == "":  # not set yet: only `kiosk run` needs it (see missing_for_run)
        return None
    if not re.fullmatch(patterns.WARD_CODE, v):
        return "must be a five-digit 2025 ward code"
    return None if ward_by_code(v) else "is not a ward code of the 2025 list"


SPEC: dict[str, dict[str, Key]] = {
    "kiosk": {
        "id": Key("KIOSK-01", "This kiosk's identifier, sent to the backend with every dossier and heartbeat "
                  "(the contract's KioskId).",
                  _matches(patterns.KIOSK_ID, "1-32 letters, digits, '_' or '-' (the backend contract's KioskId)")),
        "ward_code": Key("", "The 2025 ward (five-digit code) this kiosk stands in; the default competent "
                         "ward of a dossier. Required by `kiosk run`.", _ward_exists_or_empty),
        "timezone": Key("Asia/Ho_Chi_Minh", "Time zone of every time the kiosk shows, prints, stores or sends "
                        "(tickets, receipts, dossier codes, consent, logs), whatever the host clock's zone.",
                        _time_zone),
        "language": Key("vi", "Language shown when a session starts.", _one_of("vi", "en")),
        "idle_timeout_s": Key(90, "Seconds without a touch before the idle countdown starts.", _between(15, 3600)),
        "idle_countdown_s": Key(15, "Seconds of visible countdown before the session is wiped.", _between(5, 120)),
        "large_text": Key(False, "Start in large-text mode."),
        "high_contrast": Key(False, "Start in high-contrast mode."),
        "screen_dpi": Key(0, "Physical DPI of the touchscreen, for 15 mm touch targets; 0 asks the screen.",
                          _between(0, 600)),
        "simulate": Key(False, "Use the simulated camera and printer instead of the real ones (demo, training)."),
    },
    "backend": {
        "url": Key("", "Base URL of the provincial backend (docs/backend-api.yaml); empty works offline only "
                   "(demo). Required by `kiosk run`.",
                   _url_or_empty),
        "token": Key("", "Bearer device token issued by the province. Required by `kiosk run`."),
        "allow_plain_http": Key(False, "Allow a plain `http://` backend.url on another machine (a closed test "
                                "network only: the token and personal data travel in clear; reported as a warning "
                                "by `kiosk config --check`, `kiosk doctor` and the log). Loopback addresses "
                                "(127.0.0.0/8, ::1, localhost: the simulator) never need it."),
        "ca_file": Key("", "PEM file of the CA that signs the backend's TLS certificate; empty uses the system's "
                       "(a missing or unreadable file is reported by `kiosk config --check` and `kiosk doctor`)."),
        "client_cert": Key("", "PEM client certificate for mutual TLS; empty for none."),
        "client_key": Key("", "PEM key of the client certificate."),
        "timeout_s": Key(10.0, "Timeout of one socket operation (connect, each read, each write), in seconds.",
                         _between(1, 120)),
        "citizen_deadline_s": Key(3.0, "Seconds a citizen's queue-number or payment request may take in all "
                                       "(retries included) before the kiosk gives a number from its local range "
                                       "or leaves the fee to the counter.",
                                  _between(1, 30)),
        "lookup_deadline_s": Key(8.0, "Seconds a dossier look-up may take in all before the citizen is told it "
                                      "failed.", _between(2, 60)),
        "submit_deadline_s": Key(30.0, "Seconds one delivery of a dossier may take in all (the outbox keeps it "
                                       "and the sender tries again later).", _between(5, 300)),
        "heartbeat_deadline_s": Key(10.0, "Seconds a heartbeat or a rating may take in all (background work, "
                                          "never in a citizen's way).", _between(2, 120)),
        "heartbeat_interval_s": Key(300, "Seconds between two heartbeats to the backend (the first goes out at "
                                         "start-up).", _between(30, 3600)),
    },
    "camera": {
        "index": Key(0, "OpenCV camera index (/dev/videoN).", _between(0, 63)),
        "width": Key(1280, "Capture width in pixels.", _between(320, 3840)),
        "height": Key(720, "Capture height in pixels.", _between(240, 2160)),
        "fps": Key(30, "Capture frame rate.", _between(5, 60)),
        "decode_every_nth": Key(2, "Decode one frame in N (the others are only shown).", _between(1, 10)),
        "source": Key("", "What OpenCV opens instead of the index: a device path (/dev/video2), a stream URL or a "
                          "video file; empty: the camera at camera.index."),
        "fourcc": Key("MJPG", "Pixel format asked of the camera (most UVC cameras give only a few frames a second "
                              "at 720p in YUYV); empty: the camera's own.",
                      _matches(r"([A-Z0-9 ]{4})?", "4 upper-case letters or digits, or empty")),
        "focus": Key(-1, "Fixed focus position (0-255 on most UVC cameras) with autofocus off; -1: autofocus.",
                     _between(-1, 1000)),
        "exposure": Key(0, "Manual exposure in the driver's units (e.g. 156 on V4L2); 0: automatic exposure.",
                        _between(0, 100000)),
    },
    "printer": {
        "kind": Key("cups", "How the kiosk reaches its printer: cups (a CUPS queue, printer.queue) or escpos (an "
                            "ESC/POS thermal printer at printer.address, asked for its paper itself).",
                    _one_of("cups", "escpos")),
        "address": Key("", "The ESC/POS printer: tcp://HOST:PORT, serial:///dev/ttyUSB0?baud=19200 or usb://VID:PID.",
                       _matches(r"((tcp|serial|usb)://\S+)?", "tcp://, serial:// or usb://, or empty")),
        "width_dots": Key(576, "Dots across the ESC/POS printer's head: 576 (80 mm), 512, or 384 (58 mm).",
                          lambda v: None if v in (384, 512, 576) else "must be 384, 512 or 576"),
        "queue": Key("kiosk-receipt", "CUPS queue of the 80 mm thermal printer.",
                     _matches(r"[A-Za-z0-9_.-]{1,127}", "a CUPS queue name")),
        "media": Key("Custom.80x200mm", "CUPS media of the roll (width x longest page)."),
        "keep_for_reprint_s": Key(600, "Seconds a printed receipt or ticket PDF is kept after the printer took it, "
                                  "for a reprint; then it is deleted (it holds personal data).", _between(0, 86400)),
    },
    "speech": {
        "enabled": Key(True, "Whether the kiosk speaks each screen's title and instruction, the focused field and "
                             "the ticket number (Vietnamese or English, as the screen); a citizen can switch it off "
                             "for the session."),
        "volume": Key(0.8, "Speech volume, 0 to 1 (a citizen can change it for the session).", _between(0, 1)),
        "rate": Key(150, "Speaking rate in words a minute (eSpeak NG); slower suits the elderly.",
                    _between(80, 300)),
    },
    "documents": {
        "enabled": Key(True, "Whether the kiosk offers to photograph the supporting documents a procedure allows to "
                             "send electronically (paperless dossier); off, every document goes to the counter."),
        "max_page_bytes": Key(600_000, "Budget of one photographed page (JPEG at about 200 dpi for A4): a larger one "
                                       "is encoded at a lower quality until it fits.", _between(100_000, 5_000_000)),
        "max_dossier_bytes": Key(8_000_000, "The most bytes of photographed pages one dossier carries; past it the "
                                            "kiosk asks for the rest on paper.", _between(500_000, 50_000_000)),
    },
    "maintenance": {
        "gesture_taps": Key(5, "Taps in the top-right corner that open the PIN pad.", _between(3, 10)),
        "gesture_window_s": Key(3.0, "Seconds within which those taps must fall.", _between(1, 10)),
    },
}


#: What `kiosk run` cannot do without: a kiosk that does not know its ward would present itself as
#: another ward's, and one without its backend would promise synchronisations that never happen.
#: The demo and the walkthrough bring their own sample ward and simulator instead.
REQUIRED_FOR_RUN = ("kiosk.ward_code", "backend.url", "backend.token")

#: Keys an older release knew that no longer mean anything, and why. A file that still names one is loaded
#: (with a warning) rather than refused like an unknown key: an upgrade must not stop a kiosk that ran.
RETIRED: dict[str, dict[str, str]] = {
    # The backend starts a dossier code with the competent ward's code it is sent (docs/backend-api.yaml);
    # nothing in the kiosk ever read this key.
    "kiosk.unit_code": {"vi": "mã hồ sơ bắt đầu bằng mã phường/xã có thẩm quyền, máy chủ lấy từ hồ sơ",
                        "en": "dossier codes start with the competent ward's code, which the backend takes "
                              "from the dossier"},
}


class Config:
    """Validated configuration; ``config["backend"]["url"]`` or ``config.get("backend.url")``."""

    def __init__(self, values: dict[str, dict[str, Any]], path: Path | None) -> None:
        self._values = values
        self.path = path

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self._values[section]

    def get(self, dotted: str) -> Any:
        section, key = dotted.split(".", 1)
        return self._values[section][key]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {s: dict(v) for s, v in self._values.items()}


def missing_for_run(config: Config) -> list[str]:
    """The keys of :data:`REQUIRED_FOR_RUN` still empty, in that order."""
    return [dotted for dotted in REQUIRED_FOR_RUN if config.get(dotted) in ("", None)]


def env_name(dotted: str) -> str:
    """The environment variable that overrides ``section.key``."""
    return "KIOSK_" + dotted.replace(".", "_").upper()


def defaults() -> dict[str, dict[str, Any]]:
    return {s: {k: spec.default for k, spec in keys.items()} for s, keys in SPEC.items()}


def _coerce(section: str, key: str, value: Any, source: str) -> Any:
    default = SPEC[section][key].default
    name = f"{section}.{key}"
    if isinstance(default, bool):
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
        if isinstance(value, bool):
            return value
        raise ConfigError(name, "must be true or false", source)
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ConfigError(name, "must be a whole number", source)
    if isinstance(default, float):
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (ValueError, TypeError):
            raise ConfigError(name, "must be a number", source) from None
    if not isinstance(value, str):
        raise ConfigError(name, "must be text", source)
    return value.strip()


def _warn_retired(dotted: str, source: str) -> None:
    where = f"{source}: " if source else ""
    why = RETIRED[dotted]
    log.warning("%s%s không còn được dùng (%s), hãy xoá dòng này / %s is no longer used (%s): remove the line",
                where, dotted, why["vi"], dotted, why["en"])


def validate(values: Mapping[str, Mapping[str, Any]], source: str = "",
             whole: bool = True) -> dict[str, dict[str, Any]]:
    """Merge ``values`` over the defaults, coercing and checking every key; ``whole``: also the checks
    across keys (a file that environment overrides complete is checked whole only once layered)."""
    merged = defaults()
    for section, keys in values.items():
        if section not in SPEC:
            raise ConfigError(section, f"unknown section (known: {', '.join(SPEC)})", source)
        if not isinstance(keys, Mapping):
            raise ConfigError(section, "must be a table of keys", source)
        for key, value in keys.items():
            if f"{section}.{key}" in RETIRED:
                _warn_retired(f"{section}.{key}", source)
                continue
            if key not in SPEC[section]:
                raise ConfigError(f"{section}.{key}", "unknown key", source)
            merged[section][key] = _coerce(section, key, value, source)
    for section, keys in SPEC.items():
        for key, spec in keys.items():
            if spec.check and (reason := spec.check(merged[section][key])):
                raise ConfigError(f"{section}.{key}", reason, source)
    backend = merged["backend"]
    if whole and (reason := plain_http_refusal(backend["url"], backend["allow_plain_http"])):
        raise ConfigError("backend.url", reason, source)
    return merged


def config_path(data_dir: Path | None = None, explicit: Path | None = None) -> Path:
    if explicit:
        return explicit
    if env := os.environ.get("KIOSK_CONFIG"):
        return Path(env)
    return resolve_data_dir(data_dir) / "kiosk.toml"


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    environ = os.environ if environ is None else environ
    found: dict[str, dict[str, str]] = {}
    for section, keys in SPEC.items():
        for key in keys:
            name = f"KIOSK_{section}_{key}".upper()
            if name in environ:
                found.setdefault(section, {})[key] = environ[name]
    for dotted in RETIRED:  # handed on so that validate() warns about them as about the file's
        if (name := env_name(dotted)) in environ:
            section, key = dotted.split(".", 1)
            found.setdefault(section, {})[key] = environ[name]
    return found


def load_file_values(path: Path, whole: bool = True) -> dict[str, dict[str, Any]]:
    """What the file alone says, over the defaults and validated (no environment overrides): what a
    technician's edit rewrites. A missing file is all defaults."""
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError("(file)", f"not valid TOML: {err}", str(path)) from None
    return validate(raw, str(path), whole)


def load_config(data_dir: Path | None = None, explicit: Path | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Read the file (if any), apply environment overrides, validate; raise ConfigError when wrong."""
    path = config_path(data_dir, explicit)
    overrides = env_overrides(environ)
    values = load_file_values(path, whole=not overrides)
    if overrides:
        layered = {s: dict(v) for s, v in values.items()}
        for section, keys in overrides.items():
            layered[section].update(keys)
        values = validate(layered, "environment")
    return Config(values, path)


def time_zone(data_dir: Path | None = None, explicit: Path | None = None,
              environ: Mapping[str, str] | None = None) -> str:
    """Only ``kiosk.timezone`` (file, then environment), validated: every command sets the kiosk's clock
    from it, and a full :func:`load_config` costs ~200 ms of ward-list loading a `kiosk parse-id` need not pay."""
    from kiosk.core.paths import default_data_dir

    environ = os.environ if environ is None else environ
    # only reading: a command that merely looks (`kiosk outbox status`) must not create the data dir
    path = explicit or (Path(environ["KIOSK_CONFIG"]) if environ.get("KIOSK_CONFIG") else
                        (data_dir or default_data_dir()) / "kiosk.toml")
    name, source = SPEC["kiosk"]["timezone"].default, "default"
    if path.exists():
        try:
            section = tomllib.loads(path.read_text(encoding="utf-8")).get("kiosk", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError("(file)", f"not valid TOML: {err}", str(path)) from None
        if isinstance(section, Mapping) and "timezone" in section:
            name, source = section["timezone"], str(path)
    if "KIOSK_KIOSK_TIMEZONE" in environ:
        name, source = environ["KIOSK_KIOSK_TIMEZONE"], "environment"
    if not isinstance(name, str) or _time_zone(name):
        raise ConfigError("kiosk.timezone", "must be an IANA time zone name such as Asia/Ho_Chi_Minh", source)
    return name


def save_config(values: Mapping[str, Mapping[str, Any]], path: Path) -> Config:
    """Validate, then write atomically (a power cut leaves the old file or the new one)."""
    checked = validate(values, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    with open(tmp, "wb") as fh:
        import tomli_w  # writing a configuration is maintenance's, not every start-up's

        tomli_w.dump(checked, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return Config(checked, path)


def reference_markdown() -> str:
    """docs/configuration.md, from SPEC."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `kiosk config --doc`; edit SPEC in kiosk/core/config.py, not this file. -->",
        "",
        "The kiosk reads one TOML file: `--config FILE` if given, else `$KIOSK_CONFIG`, else",
        "`<data dir>/kiosk.toml` (data dir: `--data-dir`, `$KIOSK_DATA_DIR`, or `~/.local/share/ward-kiosk`).",
        "A missing file means every default. Any key can be overridden from the environment as",
        "`KIOSK_<SECTION>_<KEY>`, e.g. `KIOSK_BACKEND_URL=https://dvc.example.gov.vn`.",
        "An invalid file or override is refused with the key and the reason (`kiosk config --check`).",
        "",
        "`kiosk run` also needs " + ", ".join(f"`{k}`" for k in REQUIRED_FOR_RUN) + ": without them it shows",
        "the technician's setup screen instead of the citizens' home screen (`kiosk config --check` lists",
        "what is still missing). `kiosk demo` and `kiosk walkthrough` use a sample ward and a simulated backend.",
        "",
    ]
    for section, keys in SPEC.items():
        lines += [f"## [{section}]", "", "| key | default | environment | meaning |", "| --- | --- | --- | --- |"]
        for key, spec in keys.items():
            default = _toml_dumps({"v": spec.default}).split("=", 1)[1].strip()
            lines.append(f"| `{key}` | `{default}` | `KIOSK_{section.upper()}_{key.upper()}` | {spec.meaning} |")
        lines.append("")
    lines += ["## Retired keys", "",
              "A file (or a variable) that still names one of these loads as if it did not, with a warning in the",
              "log; the next save from the maintenance screen drops it.", "",
              "| key | why |", "| --- | --- |"]
    lines += [f"| `{dotted}` | {why['en']} |" for dotted, why in RETIRED.items()]
    lines.append("")
    return "\n".join(lines)


def _toml_dumps(value: dict[str, Any]) -> str:
    import tomli_w

    return tomli_w.dumps(value)
