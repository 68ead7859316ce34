"""The e-form catalogue: one JSON definition per procedure, and the validation engine.

Each ``forms/<id>.json`` is checked against ``forms/schema.json`` (JSON Schema 2020-12)
and then against the rules a schema cannot express (unique field keys, select options,
autofill from a real ID-card attribute, an existing guide video, patterns that compile).
A broken definition is refused with a :class:`FormError` naming the file, the field and
the reason, so whoever edits a form learns exactly what to fix (docs/forms.md).

Form values are strings, as the citizen types them; dates are ``DD/MM/YYYY``. Every
validation message is a ``{"vi": ..., "en": ...}`` dict ready to show as it is.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from kiosk.core import clock
from kiosk.core.dates import DATE_RE as _DATE_RE
from kiosk.core.dates import parse_date
from kiosk.core.fees import Fee, fee_problems
from kiosk.core.identity import Identity
from kiosk.core.paths import PACKAGE_ROOT


def _resource_root() -> Path:
    # A frozen (PyInstaller) build unpacks data next to the executable; a checkout or an
    # editable install finds forms/ and videos/ at the repository root.
    frozen_root = getattr(sys, "_MEIPASS", None)
    return Path(frozen_root) if frozen_root else PACKAGE_ROOT


FORMS_DIR: Path = Path(os.environ.get("KIOSK_FORMS_DIR") or _resource_root() / "forms")
VIDEOS_DIR: Path = Path(os.environ.get("KIOSK_VIDEOS_DIR") or _resource_root() / "videos")
SCHEMA_FILE = "schema.json"

FIELD_TYPES = ("text", "textarea", "date", "id_number", "phone", "email", "number", "select", "ward",
               "checkbox")
# Identity attributes a field may be pre-filled from, and the field types each may fill.
AUTOFILL_TYPES: dict[str, tuple[str, ...]] = {
    "full_name": ("text",),
    "date_of_birth": ("date",),
    "sex": ("select",),
    "id_number": ("id_number", "text"),
    "old_id_number": ("text",),
    "address": ("text", "textarea"),
    "issue_date": ("date",),
    "birth_province_code": ("text",),
}
_NUMERIC_TYPES = ("date", "id_number", "phone", "number")
_CHECKED = ("true", "1", "yes", "on")


class FormError(ValueError):
    """A procedure definition that cannot be used, with where and why."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        super().__init__(f"{file}: {field}: {reason}")
        self.file = file
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class FieldDef:
    """One field of a procedure's declaration form."""

    key: str
    label: dict[str, str]
    type: str
    required: bool = False
    options: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    constraints: dict[str, Any] = dataclasses.field(default_factory=dict)
    help: dict[str, str] | None = None
    autofill: str | None = None
    keyboard: str = "text"
    section: dict[str, str] | None = None
    default: str | None = None

    def option_label(self, value: str) -> dict[str, str] | None:
        """The bilingual label of a select value (for the review screen and the receipt)."""
        for option in self.options:
            if option["value"] == value:
                return option["label"]
        return None


@dataclass(frozen=True)
class Procedure:
    """An administrative procedure the kiosk can file, as its definition file describes it."""

    id: str
    code: str
    name: dict[str, str]
    area: dict[str, str]
    level: str
    authority: dict[str, str]
    processing_time: dict[str, Any]
    fee: Fee
    documents: list[dict[str, Any]]
    video: Path
    steps: list[dict[str, str]]
    fields: list[FieldDef]
    source: Path | None = None

    @property
    def needs_originals(self) -> bool:
        """True when the citizen must hand in or show an original at the counter."""
        return bool(self.originals_to_bring())

    def originals_to_bring(self, received: set[int] | frozenset[int] = frozenset()) -> list[dict[str, Any]]:
        """The originals still to hand in or show at the counter when the documents at the indexes ``received``
        came as photographs from the kiosk (a paperless dossier)."""
        return [doc for i, doc in enumerate(self.documents) if doc["kind"] == "original" and i not in received]

    @property
    def electronic_documents(self) -> list[tuple[int, dict[str, Any]]]:
        """(index, document) of each document the kiosk may photograph and send with the dossier."""
        return [(i, doc) for i, doc in enumerate(self.documents) if doc.get("electronic")]

    def field(self, key: str) -> FieldDef:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def summary(self) -> dict[str, Any]:
        """One row of ``kiosk forms list --json``."""
        return {"id": self.id, "code": self.code, "name": dict(self.name), "area": dict(self.area),
                "video": str(self.video), "fields": len(self.fields)}


# --- loading and checking ----------------------------------------------------------------------

@cache
def _validator(schema_path: Path) -> Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _schema_path(forms_dir: Path) -> Path:
    # A folder of definitions under review may carry its own schema; otherwise the shipped one applies.
    own = forms_dir / SCHEMA_FILE
    return own if own.is_file() else FORMS_DIR / SCHEMA_FILE


def _videos_dir_for(forms_dir: Path) -> Path:
    sibling = forms_dir.parent / "videos"
    return sibling if sibling.is_dir() else VIDEOS_DIR


def _field_name(doc: Any, path: list[Any]) -> str:
    """A JSON path like ``fields/3/type``, led by the field's key when there is one."""
    if not path:
        return "(top level)"
    where = "/".join(str(p) for p in path)
    if len(path) >= 2 and path[0] == "fields" and isinstance(path[1], int) and isinstance(doc, dict):
        fields = doc.get("fields")
        if isinstance(fields, list) and path[1] < len(fields) and isinstance(fields[path[1]], dict):
            key = fields[path[1]].get("key")
            if isinstance(key, str) and key:
                return f"{key} ({where})"
    return where


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise FormError(path.name, "(file)", f"not UTF-8 text: {err.reason}") from None
    except OSError as err:
        raise FormError(path.name, "(file)", f"cannot be read: {err.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise FormError(path.name, f"line {err.lineno} column {err.colno}", f"not valid JSON: {err.msg}") from None


def _semantic_problems(name: str, doc: dict[str, Any], videos_dir: Path) -> list[FormError]:
    """What the schema cannot say. Written defensively: it also runs on documents the schema refused."""
    problems: list[FormError] = []

    def problem(path: list[Any], reason: str) -> None:
        problems.append(FormError(name, _field_name(doc, path), reason))

    video = doc.get("video")
    if isinstance(video, str) and video and not (videos_dir / video).is_file():
        problem(["video"], f"the guide video {video!r} is not in {videos_dir}")

    fields = doc.get("fields")
    if not isinstance(fields, list):
        return problems
    for path, reason in fee_problems(doc.get("fee"), fields):
        problem(path, reason)
    seen: dict[str, int] = {}
    for i, f in enumerate(fields):
        if not isinstance(f, dict):
            continue
        # Checks that depend on the type run only for a known type: the schema already reports the rest.
        key, ftype = f.get("key"), f.get("type")
        if isinstance(key, str):
            if key in seen:
                problem(["fields", i, "key"], f"duplicate key {key!r} (first used by fields/{seen[key]})")
            else:
                seen[key] = i
        options = f.get("options")
        if ftype == "select":
            if not options:
                problem(["fields", i, "options"], "a select field needs a non-empty options list")
            elif isinstance(options, list):
                values = [o.get("value") for o in options if isinstance(o, dict)]
                dupes = sorted({v for v in values if isinstance(v, str) and values.count(v) > 1})
                if dupes:
                    problem(["fields", i, "options"], f"duplicate option values {dupes}")
        elif options and ftype in FIELD_TYPES:
            problem(["fields", i, "options"], f"options are only used by select fields, not {ftype!r}")

        constraints = f.get("constraints") if isinstance(f.get("constraints"), dict) else {}
        pattern = constraints.get("pattern")
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as err:
                problem(["fields", i, "constraints", "pattern"], f"the pattern does not compile: {err}")
        bounds: dict[str, date] = {}
        for bound in ("min_date", "max_date"):
            raw = constraints.get(bound)
            if raw is None:
                continue
            if ftype != "date" and ftype in FIELD_TYPES:
                problem(["fields", i, "constraints", bound], f"{bound} applies only to date fields")
            try:
                bounds[bound] = resolve_date_bound(raw)
            except ValueError as err:
                problem(["fields", i, "constraints", bound], str(err))
        other = constraints.get("not_before")
        if isinstance(other, str):
            target = next((g for g in fields if isinstance(g, dict) and g.get("key") == other), None)
            if target is None or target.get("type") != "date" or other == key:
                problem(["fields", i, "constraints", "not_before"], f"{other!r} is not another date field of this form")
        if len(bounds) == 2 and bounds["min_date"] > bounds["max_date"]:
            problem(["fields", i, "constraints"], "min_date is after max_date")
        for low, high in (("min_length", "max_length"), ("min", "max")):
            lo, hi = constraints.get(low), constraints.get(high)
            if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
                problem(["fields", i, "constraints"], f"{low} ({lo}) is greater than {high} ({hi})")
        if ftype != "number" and ftype in FIELD_TYPES and ("min" in constraints or "max" in constraints):
            problem(["fields", i, "constraints"], "min/max apply only to number fields")

        autofill_from = f.get("autofill")
        if isinstance(autofill_from, str):
            identity_attrs = {fl.name for fl in dataclasses.fields(Identity)}
            if autofill_from not in identity_attrs or autofill_from not in AUTOFILL_TYPES:
                problem(["fields", i, "autofill"],
                        f"{autofill_from!r} is not an ID-card attribute (one of {sorted(AUTOFILL_TYPES)})")
            elif ftype in FIELD_TYPES and ftype not in AUTOFILL_TYPES[autofill_from]:
                problem(["fields", i, "autofill"],
                        f"{autofill_from!r} cannot fill a {ftype!r} field (only {AUTOFILL_TYPES[autofill_from]})")
            elif autofill_from == "sex" and isinstance(options, list):
                values = {o.get("value") for o in options if isinstance(o, dict)}
                if not {"male", "female"} <= values:
                    problem(["fields", i, "options"], "a field filled from 'sex' needs the values male and female")

        default = f.get("default")
        if isinstance(default, str) and ftype in FIELD_TYPES:
            try:
                message = validate_field(_field_from_json(f), default)
            except (TypeError, KeyError, ValueError):
                message = None  # the schema check reports the malformed field itself
            if message:
                problem(["fields", i, "default"], f"the default value is refused: {message['en']}")
    return problems


def _field_from_json(f: dict[str, Any]) -> FieldDef:
    ftype = f["type"]
    return FieldDef(
        key=f["key"],
        label=dict(f["label"]),
        type=ftype,
        required=bool(f.get("required", False)),
        options=[dict(o) for o in f.get("options", [])],
        constraints=dict(f.get("constraints", {})),
        help=dict(f["help"]) if f.get("help") else None,
        autofill=f.get("autofill"),
        keyboard=f.get("keyboard") or ("numeric" if ftype in _NUMERIC_TYPES else "text"),
        section=dict(f["section"]) if f.get("section") else None,
        default=f.get("default"),
    )


def definition_problems(path: Path, videos_dir: Path | None = None,
                        schema_path: Path | None = None) -> list[FormError]:
    """Every problem of one definition file (empty when it is valid)."""
    try:
        doc = _read(path)
    except FormError as err:
        return [err]
    validator = _validator(schema_path or _schema_path(path.parent))
    problems = [FormError(path.name, _field_name(doc, list(e.absolute_path)), e.message)
                for e in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])]
    if isinstance(doc, dict):
        problems += _semantic_problems(path.name, doc, videos_dir or _videos_dir_for(path.parent))
    return problems


def load_procedure(path: Path, videos_dir: Path | None = None) -> Procedure:
    """One definition file -> a :class:`Procedure`, or :class:`FormError` for its first problem."""
    videos_dir = videos_dir or _videos_dir_for(path.parent)
    problems = definition_problems(path, videos_dir)
    if problems:
        raise problems[0]
    doc = _read(path)
    return Procedure(
        id=path.stem,
        code=doc["code"],
        name=dict(doc["name"]),
        area=dict(doc["area"]),
        level=doc["level"],
        authority=dict(doc["authority"]),
        processing_time=doc["processing_time"],
        fee=Fee.from_json(doc["fee"]),
        documents=doc["documents"],
        video=(videos_dir / doc["video"]).resolve(),
        steps=doc["steps"],
        fields=[_field_from_json(f) for f in doc["fields"]],
        source=path.resolve(),
    )


def _definition_files(forms_dir: Path) -> list[Path]:
    return sorted(p for p in forms_dir.glob("*.json") if p.name != SCHEMA_FILE)


def check_catalogue(dir: Path | None = None) -> list[str]:
    """One ``"<file>: <field>: <reason>"`` line per problem in a forms folder (empty: all valid)."""
    forms_dir = Path(dir) if dir else FORMS_DIR
    if not forms_dir.is_dir():
        return [f"{forms_dir}: (folder): not a folder"]
    files = _definition_files(forms_dir)
    if not files:
        return [f"{forms_dir}: (folder): no procedure definitions (*.json) found"]
    lines: list[str] = []
    codes: dict[str, str] = {}
    for path in files:
        lines += [str(p) for p in definition_problems(path)]
        try:
            code = json.loads(path.read_text(encoding="utf-8")).get("code")
        except (ValueError, OSError, AttributeError):
            continue
        if isinstance(code, str):
            if code in codes:
                lines.append(f"{path.name}: code: procedure code {code} is also used by {codes[code]}")
            else:
                codes[code] = path.name
    return lines


def load_catalogue(dir: Path | None = None) -> list[Procedure]:
    """Every procedure in a forms folder (the shipped one by default), sorted by area then code.

    Raises :class:`FormError` on the first broken definition: the kiosk must not offer a form
    it cannot validate.
    """
    forms_dir = Path(dir) if dir else FORMS_DIR
    if not forms_dir.is_dir():
        raise FormError(str(forms_dir), "(folder)", "not a folder")
    files = _definition_files(forms_dir)
    # Schema validation takes tens of milliseconds: more than a frame if the UI asks again on the GUI
    # thread. Reuse the result until a definition file changes.
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return list(_load_catalogue_cached(forms_dir.resolve(), stamp))


@functools.lru_cache(maxsize=4)
def _load_catalogue_cached(forms_dir: Path, stamp: tuple[tuple[str, int, int], ...]) -> tuple[Procedure, ...]:
    catalogue = [load_procedure(forms_dir / name) for name, _, _ in stamp]
    return tuple(sorted(catalogue, key=lambda p: (p.area["id"], p.code)))


def procedure_by_code(catalogue: list[Procedure], code_or_id: str) -> Procedure | None:
    """Find a procedure by its national code ("1.001193") or its id ("dang-ky-khai-sinh")."""
    wanted = code_or_id.strip()
    return next((p for p in catalogue if wanted in (p.code, p.id)), None)


# --- validation --------------------------------------------------------------------------------

_BOUND_RE = re.compile(r"^today(?:([+-])([0-9]{1,3})([dy]))?$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_PHONE_SEPARATORS = re.compile(r"[\s.()-]")
_LOCAL_PHONE_RE = re.compile(r"^0[0-9]{9}$")
_INTL_PHONE_RE = re.compile(r"^\+84[1-9][0-9]{8}$")


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def resolve_date_bound(bound: str, today: date | None = None) -> date:
    """``"today"``, ``"today-120y"``, ``"today+30d"`` or ``"DD/MM/YYYY"`` -> a date."""
    today = today or clock.today()
    m = _BOUND_RE.match(bound)
    if m:
        if not m.group(1):
            return today
        n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
        return today + timedelta(days=n) if m.group(3) == "d" else _shift_years(today, n)
    parsed = parse_date(bound)
    if parsed is None:
        raise ValueError(f"{bound!r} is not 'today', 'today±N(d|y)' or a real date DD/MM/YYYY")
    return parsed


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def display_iso_date(value: str) -> str:
    """An ISO date from the backend (an appointment) as the kiosk shows dates; anything else as it came."""
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return value


def _msg(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def normalize(field: FieldDef, value: str | None) -> str:
    """The canonical form of a typed value: NFC, trimmed, phones without separators, dates zero-padded."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if field.type in ("text", "textarea"):
        return " ".join(text.split()) if field.type == "text" else text
    if field.type in ("phone", "id_number"):
        return _PHONE_SEPARATORS.sub("", text)
    if field.type == "date":
        parsed = parse_date(text)
        return format_date(parsed) if parsed else text
    if field.type == "email":
        return text.lower()
    if field.type == "checkbox":
        return "true" if text.lower() in _CHECKED else ""
    return text


def validate_field(field: FieldDef, value: str | None, today: date | None = None) -> dict[str, str] | None:
    """None when the value is acceptable, else a message ``{"vi", "en"}`` for the citizen."""
    text = normalize(field, value)
    c = field.constraints
    if not text:
        if not field.required:
            return None
        if field.type in ("select", "ward"):
            return _msg("Vui lòng chọn một mục.", "Please choose one.")
        if field.type == "checkbox":
            return _msg("Vui lòng đánh dấu để xác nhận.", "Please tick the box to confirm.")
        return _msg("Vui lòng nhập thông tin bắt buộc này.", "This information is required.")

    ftype = field.type
    if ftype == "date":
        parsed = parse_date(text)
        if parsed is None:
            if _DATE_RE.match(text):
                return _msg("Ngày này không có trên lịch. Vui lòng kiểm tra lại ngày và tháng.",
                            "That date does not exist. Please check the day and the month.")
            return _msg("Vui lòng nhập ngày theo dạng ngày/tháng/năm, ví dụ 05/03/2024.",
                        "Please enter the date as DD/MM/YYYY, for example 05/03/2024.")
        if "max_date" in c:
            latest = resolve_date_bound(c["max_date"], today)
            if parsed > latest:
                if c["max_date"] == "today":
                    return _msg("Ngày không được sau ngày hôm nay.", "The date cannot be in the future.")
                return _msg(f"Ngày không được sau {format_date(latest)}.",
                            f"The date cannot be after {format_date(latest)}.")
        if "min_date" in c:
            earliest = resolve_date_bound(c["min_date"], today)
            if parsed < earliest:
                if c["min_date"] == "today":
                    return _msg("Ngày không được trước ngày hôm nay.", "The date cannot be in the past.")
                return _msg(f"Ngày không được trước {format_date(earliest)}.",
                            f"The date cannot be before {format_date(earliest)}.")
    elif ftype == "id_number":
        if not (len(text) == 12 and text.isascii() and text.isdigit()):
            return _msg("Số định danh cá nhân (số căn cước) phải gồm đúng 12 chữ số.",
                        "The personal ID number must have exactly 12 digits.")
    elif ftype == "phone":
        if not (_LOCAL_PHONE_RE.match(text) or _INTL_PHONE_RE.match(text)):
            return _msg("Số điện thoại phải gồm 10 chữ số bắt đầu bằng 0 (ví dụ 0912345678), "
                        "hoặc bắt đầu bằng +84.",
                        "The phone number must have 10 digits starting with 0 (e.g. 0912345678), "
                        "or start with +84.")
    elif ftype == "email":
        if not _EMAIL_RE.match(text):
            return _msg("Địa chỉ email không hợp lệ, ví dụ: ten@example.com.",
                        "That is not a valid email address, e.g. name@example.com.")
    elif ftype == "number":
        if not re.fullmatch(r"-?[0-9]+", text):
            return _msg("Vui lòng nhập một số nguyên, chỉ gồm chữ số.", "Please enter a whole number, digits only.")
        number = int(text)
        low, high = c.get("min"), c.get("max")
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                return _msg(f"Giá trị phải từ {low} đến {high}.", f"The value must be between {low} and {high}.")
            if low is not None:
                return _msg(f"Giá trị phải từ {low} trở lên.", f"The value must be at least {low}.")
            return _msg(f"Giá trị không được lớn hơn {high}.", f"The value must be at most {high}.")
    elif ftype == "select":
        if field.option_label(text) is None:
            return _msg("Vui lòng chọn một trong các lựa chọn có sẵn.", "Please choose one of the options offered.")
    elif ftype == "ward":
        from kiosk.core.wards import ward_by_code  # the ward list loads on first use

        if not (len(text) == 5 and text.isdigit() and ward_by_code(text)):
            return _msg("Vui lòng chọn phường, xã từ danh sách.", "Please choose the ward or commune from the list.")

    if "min_length" in c and len(text) < c["min_length"]:
        return _msg(f"Vui lòng nhập ít nhất {c['min_length']} ký tự.",
                    f"Please enter at least {c['min_length']} characters.")
    if "max_length" in c and len(text) > c["max_length"]:
        return _msg(f"Vui lòng nhập không quá {c['max_length']} ký tự.",
                    f"Please enter at most {c['max_length']} characters.")
    if "pattern" in c and not re.fullmatch(c["pattern"], text):
        return dict(c.get("pattern_message") or _msg("Thông tin nhập chưa đúng định dạng.",
                                                     "This is not in the expected format."))
    return None


def validate_form(proc: Procedure, values: dict[str, str], today: date | None = None) -> dict[str, dict[str, str]]:
    """Every field's problem, by field key; an empty dict means the form can be submitted."""
    errors: dict[str, dict[str, str]] = {}
    for f in proc.fields:
        message = validate_field(f, values.get(f.key, ""), today)
        if message:
            errors[f.key] = message
    # Cross-field order (a stay ends after it starts, a death comes after the birth), once both dates are valid.
    for f in proc.fields:
        other_key = f.constraints.get("not_before")
        if not other_key or f.key in errors or other_key in errors:
            continue
        mine, theirs = parse_date(values.get(f.key) or ""), parse_date(values.get(other_key) or "")
        if mine and theirs and mine < theirs:
            other = proc.field(other_key)
            errors[f.key] = _msg(f"Ngày này không được trước «{other.label['vi']}» ({format_date(theirs)}).",
                                 f"This date cannot be before '{other.label['en']}' ({format_date(theirs)}).")
    return errors


def autofill(proc: Procedure, identity: Identity) -> dict[str, str]:
    """Field values pre-filled from the citizen's ID card (dates DD/MM/YYYY, sex as the select value)."""
    values: dict[str, str] = {}
    for f in proc.fields:
        if not f.autofill:
            continue
        raw = getattr(identity, f.autofill, None)
        if raw is None or raw == "":
            continue
        values[f.key] = format_date(raw) if isinstance(raw, date) else str(raw)
    return values


def defaults(proc: Procedure) -> dict[str, str]:
    """The values a fresh form starts with (e.g. nationality "Việt Nam")."""
    return {f.key: f.default for f in proc.fields if f.default is not None}
