"""Fees as data: what a filled form costs, the text generated from it, and definitions that cannot compute."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from kiosk.core import forms
from kiosk.core.fees import format_vnd, vnd_in_words

TODAY = date(2026, 12, 7)


def _proc(proc_id: str) -> forms.Procedure:
    proc = forms.procedure_by_code(forms.load_catalogue(), proc_id)
    assert proc is not None
    return proc


def test_a_certified_copy_of_three_pages_in_two_copies_costs_ten_thousand_dong():
    # 2,000 for each of pages 1-2 and 1,000 from page 3 (5,000 a copy), times two copies
    quote = _proc("chung-thuc-ban-sao").fee.quote({"pages": "3", "copies": "2"}, TODAY)
    assert quote.total_vnd == 10_000
    assert quote.lines[0].text("vi") == "Chứng thực bản sao (3 trang × 2 bản): 10.000 đồng"
    assert quote.lines[0].text("en") == "Certified copy (3 pages × 2 copies): 10,000 dong"


def test_a_long_paper_is_capped_per_copy():
    # 150 pages: 2,000 x 2 + 1,000 x 148 = 152,000; 250 pages would be 252,000, capped at 200,000 a copy
    fee = _proc("chung-thuc-ban-sao").fee
    assert fee.quote({"pages": "150", "copies": "1"}, TODAY).total_vnd == 152_000
    assert fee.quote({"pages": "200", "copies": "3"}, TODAY).total_vnd == 3 * 200_000


def test_a_birth_registered_on_time_is_free_and_only_the_extracts_cost():
    fee = _proc("dang-ky-khai-sinh").fee
    on_time = fee.quote({"child_date_of_birth": "20/11/2026", "copies": "2"}, TODAY)
    assert on_time.total_vnd == 2 * 8_000
    assert on_time.lines[0].amount_vnd == 0 and on_time.lines[0].exempt is not None
    assert "đúng hạn" in on_time.lines[0].text("vi")
    late = fee.quote({"child_date_of_birth": "01/01/2026", "copies": "0"}, TODAY)
    assert late.total_vnd == 5_000 and len(late.lines) == 1  # no extracts asked: no line for them


def test_a_free_procedure_quotes_nothing_and_says_so():
    fee = _proc("xac-nhan-tinh-trang-hon-nhan").fee
    assert fee.free and fee.quote({}, TODAY).total_vnd == 0
    assert fee.text()["vi"].startswith("Miễn lệ phí.") and fee.text()["en"].startswith("Free of charge.")


def test_the_text_is_generated_from_the_items():
    text = _proc("chung-thuc-ban-sao").fee.text()
    assert text["vi"] == ("Chứng thực bản sao: 2.000 đồng/trang; từ trang thứ 3: 1.000 đồng/trang; "
                          "tối đa 200.000 đồng/bản.")
    assert text["en"] == ("Certified copy: 2,000 dong per page; from page 3: 1,000 dong per page; "
                          "at most 200,000 dong per copy.")


def test_amounts_read_in_both_languages():
    assert format_vnd(1_250_000, "vi") == "1.250.000 đồng"
    assert format_vnd(1_250_000, "en") == "1,250,000 dong"
    assert vnd_in_words(10_000, "vi") == "Mười nghìn đồng"
    assert vnd_in_words(10_000, "en") == "Ten thousand dong"


def _copy_definition() -> dict:
    return json.loads((forms.FORMS_DIR / "chung-thuc-ban-sao.json").read_text(encoding="utf-8"))


def _missing_field(doc):
    doc["fee"]["items"][0]["count_field"] = "so_trang"
    return "fee/items/0/count_field", "'so_trang' is not a field of this form"


def _not_a_number(doc):
    doc["fee"]["items"][0]["times_field"] = "document_name"
    return "fee/items/0/times_field", "'document_name' is a 'text' field"


def _uncounted(doc):
    del doc["fee"]["items"][0]["count_field"]
    return "fee/items/0/count_field", "needs the number field that counts the pages"


def _unbounded(doc):
    del doc["fee"]["items"][0]["max_vnd"]
    doc["fee"]["items"][0]["amount_vnd"] = 10_000_000
    return "fee/items/0", "over 100,000,000"


def _bad_exemption(doc):
    doc["fee"]["items"][0]["exemptions"] = [{"field": "language", "equals": "latin",
                                             "reason": {"vi": "x", "en": "x"}}]
    return "fee/items/0/exemptions/0/equals", "'latin' is not one of 'language''s options"


@pytest.mark.parametrize("breakage", [_missing_field, _not_a_number, _uncounted, _unbounded, _bad_exemption],
                         ids=lambda f: f.__name__.strip("_"))
def test_forms_check_refuses_a_fee_that_does_not_compute(tmp_path, breakage):
    folder = tmp_path / "forms"
    folder.mkdir()
    doc = _copy_definition()
    field, reason = breakage(doc)
    (folder / "chung-thuc.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    result = subprocess.run([sys.executable, "-m", "kiosk", "forms", "check", str(folder)], capture_output=True,
                            text=True, encoding="utf-8", timeout=120)

    assert result.returncode != 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, lines
    file_part, field_part, reason_part = lines[0].split(": ", 2)
    assert (file_part, field_part) == ("chung-thuc.json", field)
    assert reason in reason_part
    assert "Traceback" not in result.stderr
