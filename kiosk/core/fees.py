"""A procedure's fee as data: what it costs, per what, times which form fields, and when it is waived.

A form's ``fee`` (forms/schema.json, docs/forms.md) is a list of items, each ``amount_vnd`` per
dossier, per copy or per page, with the number field that counts the units (``count_field``), an
optional second field that multiplies the subtotal (``times_field``: copies of a paper of N pages),
cheaper units from the Nth on (``tiers``), a cap on the subtotal (``max_vnd``) and exemptions on a form
value (a select's choice, a checkbox) or on a date being recent (``within_days``: a birth registered on
time). The citizen-facing text is generated from the same data, so what the details screen says and
what the kiosk asks to be paid cannot disagree. :func:`fee_problems` is what ``kiosk forms check`` adds
to the schema: a definition that names a missing field, or one that cannot compute, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.core import clock
from kiosk.core.dates import parse_date

#: The most a kiosk asks for in one transfer: a fee above it is a definition error, not a fee.
MAX_TOTAL_VND = 100_000_000
UNITS = {"dossier": {"vi": "hồ sơ", "en": "dossier", "en_plural": "dossiers"},
         "copy": {"vi": "bản", "en": "copy", "en_plural": "copies"},
         "page": {"vi": "trang", "en": "page", "en_plural": "pages"}}
_FREE = {"vi": "Miễn lệ phí.", "en": "Free of charge."}


def format_vnd(amount: int, language: str) -> str:
    """``10.000 đồng`` / ``10,000 dong``: the way each language groups thousands."""
    grouped = f"{amount:,}"
    return f"{grouped.replace(',', '.')} đồng" if language == "vi" else f"{grouped} dong"


def vnd_in_words(amount: int, language: str) -> str:
    """``Mười nghìn đồng`` / ``Ten thousand dong``: the amount as the citizen reads it out."""
    from num2words import num2words  # only the payment screen needs it

    words = num2words(amount, lang="vi" if language == "vi" else "en")
    words += " đồng" if language == "vi" else " dong"
    return words[:1].upper() + words[1:]


def _count(text: str | None) -> int:
    """A number field's value as typed; empty or not a whole number counts as none."""
    try:
        return max(0, int(str(text or "").strip()))
    except ValueError:
        return 0


@dataclass(frozen=True)
class FeeLine:
    """One item of a computed fee: its name, what was counted, and the amount (0 when exempt)."""

    name: dict[str, str]
    quantity: dict[str, str]
    amount_vnd: int
    exempt: dict[str, str] | None = None

    def text(self, language: str) -> str:
        if self.exempt is not None:
            free = {"vi": f"miễn {self.exempt['vi']}", "en": f"free {self.exempt['en']}"}[language]
            return f"{self.name[language]}: {free}"
        return f"{self.name[language]} ({self.quantity[language]}): {format_vnd(self.amount_vnd, language)}"


@dataclass(frozen=True)
class FeeQuote:
    """What one filled form costs: the lines and their total in đồng."""

    lines: tuple[FeeLine, ...]
    total_vnd: int

    def total_text(self, language: str) -> str:
        return format_vnd(self.total_vnd, language) if self.total_vnd else _FREE[language].rstrip(".")

    def as_dict(self) -> dict[str, Any]:
        """For the dossier and the receipt: amounts and the texts in both languages."""
        return {"total_vnd": self.total_vnd,
                "lines": [{"vi": line.text("vi"), "en": line.text("en"), "amount_vnd": line.amount_vnd}
                          for line in self.lines]}


@dataclass(frozen=True)
class Fee:
    """A procedure's fee definition (the ``fee`` object of its form file, already checked)."""

    items: tuple[dict[str, Any], ...]
    note: dict[str, str] | None = None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Fee:
        return cls(items=tuple(doc.get("items", ())), note=doc.get("note"))

    @property
    def free(self) -> bool:
        """Nothing is ever charged (no item with an amount)."""
        return not any(item["amount_vnd"] or any(t["amount_vnd"] for t in item.get("tiers", ()))
                       for item in self.items)

    def text(self) -> dict[str, str]:
        """The fee in words, generated from the items (the details screen and docs show this)."""
        return {lang: " ".join([_item_text(item, lang) for item in self.items] if not self.free else [_FREE[lang]])
                + (f" {self.note[lang]}" if self.note else "") for lang in ("vi", "en")}

    def quote(self, values: dict[str, str], today: date | None = None) -> FeeQuote:
        """What this form costs, from the citizen's values (strings as typed)."""
        today = today or clock.today()
        lines = []
        for item in self.items:
            reason = next((e["reason"] for e in item.get("exemptions", ()) if _applies(e, values, today)), None)
            units = _count(values.get(item["count_field"])) if item["per"] != "dossier" else 1
            times = _count(values.get(item["times_field"])) if item.get("times_field") else 1
            if reason is None and (units == 0 or times == 0):
                continue  # e.g. no extra copies asked for: no line, nothing to pay
            amount = 0 if reason is not None else _item_amount(item, units, times)
            lines.append(FeeLine(item["name"], _quantity(item, units, times), amount,
                                 {"vi": reason["vi"], "en": reason["en"]} if reason else None))
        return FeeQuote(tuple(lines), sum(line.amount_vnd for line in lines))


def _unit_price(item: dict[str, Any], n: int) -> int:
    """The price of the n-th unit (1-based): the last tier that has started, else the base amount."""
    price = item["amount_vnd"]
    for tier in item.get("tiers", ()):
        if n >= tier["from"]:
            price = tier["amount_vnd"]
    return price


def _item_amount(item: dict[str, Any], units: int, times: int) -> int:
    subtotal = sum(_unit_price(item, n) for n in range(1, units + 1))
    if item.get("max_vnd") is not None:
        subtotal = min(subtotal, item["max_vnd"])
    return subtotal * times


def _quantity(item: dict[str, Any], units: int, times: int) -> dict[str, str]:
    unit = UNITS[item["per"]]
    vi, en = f"{units} {unit['vi']}", f"{units} {unit['en'] if units == 1 else unit['en_plural']}"
    if item.get("times_field"):
        vi += f" × {times} bản"
        en += f" × {times} {'copy' if times == 1 else 'copies'}"
    return {"vi": vi, "en": en}


def _applies(exemption: dict[str, Any], values: dict[str, str], today: date) -> bool:
    value = str(values.get(exemption["field"], "") or "").strip()
    if "equals" in exemption:
        return value == exemption["equals"]
    day = parse_date(value)
    return day is not None and 0 <= (today - day).days <= exemption["within_days"]


def _item_text(item: dict[str, Any], lang: str) -> str:
    unit = UNITS[item["per"]][lang]
    if lang == "vi":
        parts = [f"{format_vnd(item['amount_vnd'], lang)}/{unit}" if item["amount_vnd"] else "miễn phí"]
        parts += [f"từ {unit} thứ {t['from']}: {format_vnd(t['amount_vnd'], lang)}/{unit}"
                  for t in item.get("tiers", ())]
        if item.get("max_vnd") is not None:
            parts.append(f"tối đa {format_vnd(item['max_vnd'], lang)}"
                         + ("/bản" if item.get("times_field") else ""))
        parts += [f"miễn {e['reason']['vi']}" for e in item.get("exemptions", ())]
    else:
        parts = [f"{format_vnd(item['amount_vnd'], lang)} per {unit}" if item["amount_vnd"] else "free"]
        parts += [f"from {unit} {t['from']}: {format_vnd(t['amount_vnd'], lang)} per {unit}"
                  for t in item.get("tiers", ())]
        if item.get("max_vnd") is not None:
            parts.append(f"at most {format_vnd(item['max_vnd'], lang)}"
                         + (" per copy" if item.get("times_field") else ""))
        parts += [f"free {e['reason']['en']}" for e in item.get("exemptions", ())]
    return f"{item['name'][lang]}: {'; '.join(parts)}."


def fee_problems(fee: Any, fields: list[Any]) -> list[tuple[list[Any], str]]:
    """What the schema cannot check in a ``fee``: ``(json path, reason)`` for each problem.

    Defensive like the rest of the form checks: it also runs on definitions the schema refused.
    """
    if not isinstance(fee, dict) or not isinstance(fee.get("items"), list):
        return []
    by_key = {f.get("key"): f for f in fields if isinstance(f, dict)} if isinstance(fields, list) else {}
    problems: list[tuple[list[Any], str]] = []
    for i, item in enumerate(fee["items"]):
        if not isinstance(item, dict):
            continue
        where = ["fee", "items", i]
        before = len(problems)
        per = item.get("per")
        for name in ("count_field", "times_field"):
            key = item.get(name)
            if key is None:
                if name == "count_field" and per in ("copy", "page"):
                    problems.append((where + [name], f"a fee per {per} needs the number field that counts "
                                                     f"the {per}s"))
                continue
            target = by_key.get(key)
            if target is None:
                problems.append((where + [name], f"{key!r} is not a field of this form"))
            elif target.get("type") != "number":
                problems.append((where + [name], f"{key!r} is a {target.get('type')!r} field; the fee can only "
                                                 "count a number field"))
            elif per == "dossier" and name == "count_field":
                problems.append((where + [name], "a fee per dossier counts nothing: use per copy or per page"))
        tiers = item.get("tiers") if isinstance(item.get("tiers"), list) else []
        starts = [t.get("from") for t in tiers if isinstance(t, dict)]
        if starts and (per == "dossier" or starts != sorted(set(starts))):
            problems.append((where + ["tiers"], "tiers need a count (per copy or page) and strictly rising "
                                                "'from' values"))
        for j, exemption in enumerate(item.get("exemptions") or []):
            if not isinstance(exemption, dict):
                continue
            key = exemption.get("field")
            target = by_key.get(key)
            if target is None:
                problems.append((where + ["exemptions", j, "field"], f"{key!r} is not a field of this form"))
            elif "within_days" in exemption and target.get("type") != "date":
                problems.append((where + ["exemptions", j, "within_days"], f"{key!r} is not a date field"))
            elif "equals" in exemption and target.get("type") == "select":
                values = {o.get("value") for o in target.get("options") or [] if isinstance(o, dict)}
                if exemption["equals"] not in values:
                    problems.append((where + ["exemptions", j, "equals"],
                                     f"{exemption['equals']!r} is not one of {key!r}'s options {sorted(values)}"))
        if len(problems) == before:
            problems += _worst_case(item, by_key, where)
    return problems


def _worst_case(item: dict[str, Any], by_key: dict[Any, Any], where: list[Any]) -> list[tuple[list[Any], str]]:
    """The fee at the largest counts the form allows must be a sum a citizen can transfer."""
    try:
        units = 1 if item["per"] == "dossier" else by_key[item["count_field"]]["constraints"]["max"]
        times = by_key[item["times_field"]]["constraints"]["max"] if item.get("times_field") else 1
    except (KeyError, TypeError):
        field = "times_field" if item.get("times_field") else "count_field"
        return [(where + [field], "the counted field needs constraints.max, so the fee has an upper bound")]
    try:
        worst = _item_amount(item, int(units), int(times))
    except (KeyError, TypeError, ValueError) as err:
        return [(where, f"the fee does not compute: {err!r}")]
    if worst > MAX_TOTAL_VND:
        return [(where, f"at the form's largest counts the fee is {worst:,} dong, over {MAX_TOTAL_VND:,}: "
                        "add max_vnd or lower the fields' max")]
    return []
