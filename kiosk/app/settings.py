"""The settings of one run of the kiosk window: :data:`kiosk.core.config.SPEC`'s keys as typed attributes.

The defaults are SPEC's: each field names the configuration key it comes from, and both its default and
:meth:`KioskSettings.from_config` read that key, so there is one set of defaults (the TOML reference,
``kiosk config --doc``, is generated from the same SPEC). Settings made in code (tests, the walkthrough,
``kiosk self-test``) ask for what they need, e.g. ``KioskSettings(simulate=True)`` for the simulated devices.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from kiosk.core.config import SPEC
from kiosk.core.samples import SAMPLE_WARD_CODE

if TYPE_CHECKING:
    from kiosk.core.config import Config

#: the metadata of a field read from one configuration key ("section.key") or a whole section
CONFIG_KEY = "config_key"
CONFIG_SECTION = "config_section"

#: kiosk.backend.client's kinds of call -> the key of their overall deadline
DEADLINE_KEYS = {"ticket": "backend.citizen_deadline_s", "lookup": "backend.lookup_deadline_s",
                 "submit": "backend.submit_deadline_s", "heartbeat": "backend.heartbeat_deadline_s",
                 "feedback": "backend.heartbeat_deadline_s",
                 # a citizen stands at the payment screen: a slow answer sends the fee to the counter
                 "payment": "backend.citizen_deadline_s"}


class CameraSettings(TypedDict, total=False):
    """``[camera]``; not total: settings made in code give only what they change (completed from SPEC)."""

    index: int
    width: int
    height: int
    fps: int
    decode_every_nth: int
    source: str
    fourcc: str
    focus: int
    exposure: int


class PrinterSettings(TypedDict, total=False):
    """``[printer]``, completed from SPEC like :class:`CameraSettings`."""

    kind: str
    address: str
    width_dots: int
    queue: str
    media: str
    keep_for_reprint_s: int


class SpeechSettings(TypedDict, total=False):
    """``[speech]``, completed from SPEC like :class:`CameraSettings`."""

    enabled: bool
    volume: float
    rate: int


class DocumentSettings(TypedDict, total=False):
    """``[documents]``, completed from SPEC like :class:`CameraSettings`."""

    enabled: bool
    max_page_bytes: int
    max_dossier_bytes: int


class MaintenanceSettings(TypedDict, total=False):
    """``[maintenance]``, completed from SPEC like :class:`CameraSettings`."""

    gesture_taps: int
    gesture_window_s: float


def _default(dotted: str) -> Any:
    section, key = dotted.split(".", 1)
    return SPEC[section][key].default


def _key(dotted: str, *, as_float: bool = False) -> Any:
    """A field read from ``dotted``, defaulting to SPEC's value (``as_float``: SPEC's 90 is 90.0 here)."""
    default = _default(dotted)
    return field(default=float(default) if as_float else default, metadata={CONFIG_KEY: dotted})


def _section(name: str) -> Any:
    return field(default_factory=lambda: section_defaults(name), metadata={CONFIG_SECTION: name})


def section_defaults(name: str) -> dict[str, Any]:
    """SPEC's defaults of one section."""
    return {key: spec.default for key, spec in SPEC[name].items()}


def default_deadlines() -> dict[str, float]:
    return {kind: float(_default(dotted)) for kind, dotted in DEADLINE_KEYS.items()}


@dataclass
class KioskSettings:
    kiosk_id: str = _key("kiosk.id")
    #: made in code, a kiosk stands in the sample ward (tests and tools show and print a real ward's name);
    #: `kiosk run` takes the configured one, empty until set (then ``missing`` names it)
    ward_code: str = field(default=SAMPLE_WARD_CODE, metadata={CONFIG_KEY: "kiosk.ward_code"})
    idle_timeout_s: float = _key("kiosk.idle_timeout_s", as_float=True)
    idle_countdown_s: float = _key("kiosk.idle_countdown_s", as_float=True)
    language: str = _key("kiosk.language")
    large_text: bool = _key("kiosk.large_text")
    high_contrast: bool = _key("kiosk.high_contrast")
    screen_dpi: float = _key("kiosk.screen_dpi", as_float=True)
    #: the simulated camera and printer: only when asked (the configuration, `kiosk demo`, a test)
    simulate: bool = _key("kiosk.simulate")
    backend_url: str = _key("backend.url")
    backend_token: str = _key("backend.token")
    ca_file: str = _key("backend.ca_file")
    #: backend.allow_plain_http: a clear-text backend off this machine, for a closed test network only
    allow_plain_http: bool = _key("backend.allow_plain_http")
    client_cert: str = _key("backend.client_cert")
    client_key: str = _key("backend.client_key")
    backend_timeout_s: float = _key("backend.timeout_s", as_float=True)
    #: overall seconds per kind of call (kiosk.backend.client.DEFAULT_DEADLINES' keys), from backend.*_deadline_s
    backend_deadlines: dict[str, float] = field(default_factory=default_deadlines)
    heartbeat_interval_s: float = _key("backend.heartbeat_interval_s", as_float=True)
    camera: CameraSettings = _section("camera")
    printer: PrinterSettings = _section("printer")
    maintenance: MaintenanceSettings = _section("maintenance")
    speech: SpeechSettings = _section("speech")
    documents: DocumentSettings = _section("documents")
    #: ``kiosk.timezone``; made in code it is empty, which leaves the kiosk's clock as the command set it
    #: (every command configures it from the configuration first: the walkthrough, tests)
    timezone: str = field(default="", metadata={CONFIG_KEY: "kiosk.timezone"})
    #: the TOML file the settings came from (`--config FILE`, $KIOSK_CONFIG or the data dir's): the
    #: maintenance configuration page edits that one
    config_file: str = ""
    #: `kiosk demo` / `kiosk walkthrough`: sample ward and data, marked as a demo on every screen
    demo: bool = False
    #: the simulated printer (with ``simulate``): "spool" keeps the PDFs; "escpos" is the ESC/POS protocol
    #: simulator on 127.0.0.1, printed to through the real ESC/POS driver (`kiosk demo --printer escpos-sim`)
    sim_printer: str = "spool"
    #: the configuration keys `kiosk run` still needs (kiosk.core.config.missing_for_run): while any is
    #: missing the kiosk shows the technician's setup screen, never the citizens' home screen
    missing: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # a partial table (``camera={"fps": 15}``) gets the rest from SPEC, so readers index every key
        for f in dataclasses.fields(self):
            if section := f.metadata.get(CONFIG_SECTION):
                setattr(self, f.name, {**section_defaults(section), **getattr(self, f.name)})
        self.backend_deadlines = {**default_deadlines(), **self.backend_deadlines}

    @classmethod
    def from_config(cls, config: Config, **overrides: Any) -> KioskSettings:
        """The configuration's values; ``overrides`` that are not None replace them (`kiosk demo`'s simulate)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if dotted := f.metadata.get(CONFIG_KEY):
                values[f.name] = config.get(dotted)
            elif section := f.metadata.get(CONFIG_SECTION):
                values[f.name] = dict(config[section])
        values["backend_deadlines"] = {kind: config.get(dotted) for kind, dotted in DEADLINE_KEYS.items()}
        values["config_file"] = str(config.path or "")
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)
