"""The e-form catalogue: shipped definitions, guide videos, `kiosk forms`, validation, autofill."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import cv2
import pytest

from kiosk.core import forms
from kiosk.core.identity import parse_id_qr
from kiosk.core.samples import TEST_CITIZENS, sample_payload

EXPECTED_CODES = {
    "dang-ky-khai-sinh": "1.001193",
    "dang-ky-ket-hon": "1.000894",
    "dang-ky-khai-tu": "1.000656",
    "xac-nhan-tinh-trang-hon-nhan": "1.004873",
    "chung-thuc-ban-sao": "2.000815",
    "chung-thuc-chu-ky": "2.000884",
    "dang-ky-thuong-tru": "1.004222",
    "dang-ky-tam-tru": "1.004194",
    "cap-ban-sao-trich-luc-ho-tich": "2.000635",
}
TODAY = date(2026, 11, 24)


def run_kiosk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, forms.Procedure]:
    return {p.id: p for p in forms.load_catalogue()}


# --- the shipped catalogue ---------------------------------------------------------------------

def test_shipped_catalogue_has_the_nine_ward_procedures_with_their_national_codes(catalogue):
    assert {pid: p.code for pid, p in catalogue.items()} == EXPECTED_CODES
    for proc in catalogue.values():
        assert proc.name["vi"] and proc.name["en"]
        assert proc.area["id"] in {"ho-tich", "chung-thuc", "cu-tru"}
        assert 3 <= len(proc.steps) <= 6
        assert proc.documents, proc.id
        assert all(d["kind"] in ("original", "copy") and d["count"] >= 1 for d in proc.documents)
        assert proc.fee.text()["vi"] and proc.fee.text()["en"]
        assert proc.processing_time["text"]["vi"]
        assert len({f.key for f in proc.fields}) == len(proc.fields)


def test_every_procedure_asks_a_typing_citizen_for_birth_date_and_sex(catalogue):
    # the backend requires both for the applicant; without a card only the citizen can say them
    for proc in catalogue.values():
        asked = {f.autofill: f for f in proc.fields if f.autofill}
        assert asked["date_of_birth"].required and asked["date_of_birth"].type == "date", proc.id
        assert asked["sex"].required and {o["value"] for o in asked["sex"].options} == {"male", "female"}, proc.id


def test_birth_registration_has_child_declarant_relationship_and_ward(catalogue):
    birth = catalogue["dang-ky-khai-sinh"]
    keys = {f.key for f in birth.fields}
    assert {"child_full_name", "child_date_of_birth", "child_sex", "child_place_of_birth",
            "mother_full_name", "relationship", "ward"} <= keys
    autofilled = {f.key: f.autofill for f in birth.fields if f.autofill}
    assert autofilled["declarant_full_name"] == "full_name"
    assert autofilled["declarant_id_number"] == "id_number"
    assert birth.field("ward").type == "ward" and birth.field("ward").required
    assert birth.field("child_date_of_birth").constraints["max_date"] == "today"
    assert birth.needs_originals  # the hospital's birth certificate is handed in at the counter


@pytest.mark.parametrize("procedure_id", sorted(EXPECTED_CODES))
def test_each_guide_video_opens_and_decodes_with_opencv(catalogue, procedure_id):
    video = catalogue[procedure_id].video
    assert video.is_file() and video.parent == forms.VIDEOS_DIR.resolve()
    assert video.stat().st_size < 300 * 1024, "small enough for git"
    capture = cv2.VideoCapture(str(video))
    try:
        assert capture.isOpened()
        fps = capture.get(cv2.CAP_PROP_FPS)
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        capture.release()
    assert fps > 0 and 10 <= len(frames) / fps <= 20
    assert frames[0].shape == (360, 640, 3)
    # Title cards, not a blank screen: the first and last frames show different, non-uniform content.
    assert frames[0].std() > 20 and frames[-1].std() > 20
    assert cv2.absdiff(frames[0], frames[-1]).mean() > 1


# --- the CLI -----------------------------------------------------------------------------------

def test_forms_list_json_describes_each_procedure(catalogue, tmp_path):
    # Run from an unrelated folder: the forms are found through the installed package, not the cwd.
    result = run_kiosk("forms", "list", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["id"]: r["code"] for r in rows} == EXPECTED_CODES
    for row in rows:
        assert set(row) == {"id", "code", "name", "area", "video", "fields"}
        assert set(row["name"]) == {"vi", "en"}
        assert Path(row["video"]).is_file()
        assert row["fields"] == len(catalogue[row["id"]].fields)


def test_forms_check_accepts_the_shipped_catalogue():
    result = run_kiosk("forms", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout


def _birth_definition() -> dict:
    return json.loads((forms.FORMS_DIR / "dang-ky-khai-sinh.json").read_text(encoding="utf-8"))


def _field_index(doc: dict, key: str) -> int:
    return next(i for i, f in enumerate(doc["fields"]) if f["key"] == key)


def _missing_type(doc):
    del doc["fields"][_field_index(doc, "child_sex")]["type"]
    return "child_sex (fields/{i})", "'type' is a required property", "child_sex"


def _unknown_type(doc):
    doc["fields"][_field_index(doc, "child_sex")]["type"] = "dropdown"
    return "child_sex (fields/{i}/type)", "'dropdown' is not one of", "child_sex"


def _bad_pattern(doc):
    doc["fields"][_field_index(doc, "child_full_name")]["constraints"]["pattern"] = "^([A-Z"
    return "child_full_name (fields/{i}/constraints/pattern)", "does not compile", "child_full_name"


def _duplicate_key(doc):
    doc["fields"][_field_index(doc, "father_full_name")]["key"] = "mother_full_name"
    return "mother_full_name (fields/{i}/key)", "duplicate key 'mother_full_name'", "father_full_name"


def _missing_video(doc):
    doc["video"] = "khong-co.mp4"
    return "video", "'khong-co.mp4' is not in", None


@pytest.mark.parametrize("breakage", [_missing_type, _unknown_type, _bad_pattern, _duplicate_key, _missing_video],
                         ids=lambda f: f.__name__.strip("_"))
def test_forms_check_names_the_file_and_field_of_a_broken_definition(tmp_path, breakage):
    folder = tmp_path / "forms"
    folder.mkdir()
    good = _birth_definition()
    (folder / "dang-ky-khai-sinh.json").write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    broken = _birth_definition()
    broken["code"] = "9.999999"
    index_key = breakage.__name__ != "_missing_video"
    field, reason, key = breakage(broken)
    if index_key:
        field = field.format(i=_field_index(_birth_definition(), key))
    (folder / "hong.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")

    result = run_kiosk("forms", "check", str(folder))

    assert result.returncode != 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, lines  # the intact definition next to it raises nothing
    file_part, field_part, reason_part = lines[0].split(": ", 2)
    assert file_part == "hong.json"
    assert field_part == field
    assert reason in reason_part
    assert "Traceback" not in result.stderr


def test_forms_check_reports_every_problem_of_one_file_and_invalid_json(tmp_path):
    doc = _birth_definition()
    for breakage in (_missing_type, _bad_pattern, _duplicate_key, _missing_video):
        breakage(doc)
    (tmp_path / "nhieu-loi.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "cat-cut.json").write_text('{"code": "1.000001",', encoding="utf-8")

    problems = forms.check_catalogue(tmp_path)

    assert len([p for p in problems if p.startswith("nhieu-loi.json: ")]) == 4
    assert any(p.startswith("cat-cut.json: line 1 column") and "not valid JSON" in p for p in problems)


def test_forms_list_refuses_a_broken_catalogue_without_a_traceback(tmp_path):
    doc = _birth_definition()
    _unknown_type(doc)
    (tmp_path / "hong.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run_kiosk("forms", "list", "--json", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "hong.json: child_sex" in result.stderr and "Traceback" not in result.stderr


def test_load_catalogue_raises_form_error_with_file_field_and_reason(tmp_path):
    doc = _birth_definition()
    doc["fields"][0]["autofill"] = "favourite_colour"
    (tmp_path / "hong.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(forms.FormError) as caught:
        forms.load_catalogue(tmp_path)
    assert caught.value.file == "hong.json"
    assert caught.value.field == f"{doc['fields'][0]['key']} (fields/0/autofill)"
    assert "not an ID-card attribute" in caught.value.reason


def test_semantic_checks_catch_what_the_schema_cannot(tmp_path):
    doc = _birth_definition()
    relationship = _field_index(doc, "relationship")
    doc["fields"][relationship]["options"] = []
    doc["fields"][_field_index(doc, "copies")]["default"] = "99"
    doc["fields"][_field_index(doc, "child_full_name")]["autofill"] = "date_of_birth"
    (tmp_path / "a.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(_birth_definition(), ensure_ascii=False), encoding="utf-8")

    problems = "\n".join(forms.check_catalogue(tmp_path))

    assert "a.json: relationship (fields/" in problems and "options" in problems
    assert "copies (fields/" in problems and "default value is refused" in problems
    assert "'date_of_birth' cannot fill a 'text' field" in problems
    assert "b.json: code: procedure code 1.001193 is also used by a.json" in problems


# --- validation --------------------------------------------------------------------------------

def field(ftype: str, required: bool = True, **constraints) -> forms.FieldDef:
    options = [{"value": "male", "label": {"vi": "Nam", "en": "Male"}}] if ftype == "select" else []
    return forms.FieldDef(key="k", label={"vi": "Nhãn", "en": "Label"}, type=ftype, required=required,
                          options=options, constraints=constraints)


@pytest.mark.parametrize(("f", "value", "vi", "en"), [
    (field("text"), "  ", "bắt buộc", "required"),
    (field("select"), "", "Vui lòng chọn", "Please choose"),
    (field("checkbox"), "false", "đánh dấu", "tick the box"),
    (field("text", min_length=3), "ab", "ít nhất 3 ký tự", "at least 3 characters"),
    (field("text", max_length=5), "abcdef", "không quá 5 ký tự", "at most 5 characters"),
    (field("text", pattern="[0-9]+"), "12a", "định dạng", "format"),
    (field("date"), "2024-03-05", "ngày/tháng/năm", "DD/MM/YYYY"),
    (field("date"), "30/02/2024", "không có trên lịch", "does not exist"),
    (field("date", max_date="today"), "25/11/2026", "sau ngày hôm nay", "in the future"),
    (field("date", min_date="today"), "23/11/2026", "trước ngày hôm nay", "in the past"),
    (field("date", max_date="today-18y"), "25/11/2008", "sau 24/11/2008", "after 24/11/2008"),
    (field("date", min_date="01/01/1900"), "31/12/1899", "trước 01/01/1900", "before 01/01/1900"),
    (field("id_number"), "00109901234", "12 chữ số", "12 digits"),
    (field("id_number"), "00109901234a", "12 chữ số", "12 digits"),
    (field("phone"), "091234567", "10 chữ số", "10 digits"),
    (field("phone"), "1912345678", "bắt đầu bằng 0", "starting with 0"),
    (field("phone"), "+8491234567", "+84", "+84"),
    (field("email"), "ten@example", "email", "email"),
    (field("number", min=1, max=20), "21", "từ 1 đến 20", "between 1 and 20"),
    (field("number"), "2,5", "số nguyên", "whole number"),
    (field("select"), "other", "lựa chọn có sẵn", "options offered"),
    (field("ward"), "99999", "phường, xã", "ward"),
])
def test_a_refused_value_gets_a_vietnamese_then_english_message(f, value, vi, en):
    message = forms.validate_field(f, value, today=TODAY)
    assert message is not None
    assert set(message) == {"vi", "en"}
    assert vi in message["vi"] and en in message["en"]
    assert message["vi"] != message["en"]


@pytest.mark.parametrize(("f", "value"), [
    (field("text", required=False), ""),
    (field("date", max_date="today"), "24/11/2026"),
    (field("date", max_date="today"), "5/3/2024"),
    (field("date", max_date="today-18y"), "24/11/2008"),
    (field("id_number"), "001099012345"),
    (field("phone"), "0912 345 678"),
    (field("phone"), "0912.345.678"),
    (field("phone"), "+84 912 345 678"),
    (field("email"), "Ten.Ho@example.com.vn"),
    (field("number", min=0, max=10), "0"),
    (field("select"), "male"),
    (field("checkbox"), "true"),
    (field("ward"), "00073"),
])
def test_an_acceptable_value_passes(f, value):
    assert forms.validate_field(f, value, today=TODAY) is None


def test_normalize_gives_the_canonical_value_to_store():
    assert forms.normalize(field("phone"), " 0912 345-678 ") == "0912345678"
    assert forms.normalize(field("date"), "5/3/2024") == "05/03/2024"
    assert forms.normalize(field("text"), "Nguyễn   Văn  A ") == "Nguyễn Văn A"
    # NFD input (as some on-screen keyboards produce) is stored NFC.
    assert forms.normalize(field("text"), "Nguye\u0302\u0303n") == "Nguyễn"


def _valid_birth_values(proc: forms.Procedure) -> dict[str, str]:
    values = forms.defaults(proc) | forms.autofill(proc, parse_id_qr(sample_payload(0)))
    values |= {
        "relationship": "father", "phone": "0912345678",
        "child_full_name": "Nguyễn Thị Bé Thử", "child_date_of_birth": "01/11/2026", "child_sex": "female",
        "child_place_of_birth": "Bệnh viện Phụ sản Hà Nội", "child_hometown": "Hà Nội",
        "mother_full_name": "Trần Thị Mẫu", "mother_date_of_birth": "02/11/2001",
        "mother_address": "Số 12 phố Hàng Bài, Phường Cửa Nam, Hà Nội",
        "ward": "00073", "declaration_true": "true",
    }
    return values


def test_a_complete_birth_registration_validates_and_a_future_birth_does_not(catalogue):
    birth = catalogue["dang-ky-khai-sinh"]
    values = _valid_birth_values(birth)
    assert forms.validate_form(birth, values, today=TODAY) == {}

    values["child_date_of_birth"] = "01/12/2026"
    del values["ward"]
    errors = forms.validate_form(birth, values, today=TODAY)
    assert set(errors) == {"child_date_of_birth", "ward"}
    assert errors["child_date_of_birth"]["vi"] == "Ngày không được sau ngày hôm nay."


# --- autofill from the ID card -----------------------------------------------------------------

def test_autofill_fills_the_declarant_from_the_test_citizens_card(catalogue):
    citizen = TEST_CITIZENS[0]
    values = forms.autofill(catalogue["dang-ky-khai-sinh"], parse_id_qr(sample_payload(0)))
    assert values == {
        "declarant_full_name": citizen["full_name"],
        "declarant_date_of_birth": citizen["date_of_birth"].strftime("%d/%m/%Y"),
        "declarant_sex": citizen["sex"],
        "declarant_id_number": citizen["id_number"],
        "declarant_address": citizen["address"],
    }


@pytest.mark.parametrize("index", range(len(TEST_CITIZENS)))
def test_autofilled_values_pass_validation_in_every_form(catalogue, index):
    identity = parse_id_qr(sample_payload(index))
    for proc in catalogue.values():
        values = forms.autofill(proc, identity)
        assert values, proc.id
        errors = forms.validate_form(proc, values, today=TODAY)
        assert not set(values) & set(errors), (proc.id, errors)


def test_autofill_gives_sex_as_the_select_value(catalogue):
    marriage = catalogue["dang-ky-ket-hon"]
    assert forms.autofill(marriage, parse_id_qr(sample_payload(0)))["applicant_sex"] == "male"
    assert forms.autofill(marriage, parse_id_qr(sample_payload(1)))["applicant_sex"] == "female"
    assert marriage.field("applicant_sex").option_label("female") == {"vi": "Nữ", "en": "Female"}


def test_a_date_may_not_precede_the_date_it_follows(catalogue):
    stay = catalogue["dang-ky-tam-tru"]
    values = forms.defaults(stay) | forms.autofill(stay, parse_id_qr(sample_payload(1)))
    values |= {"phone": "+84912345678", "new_address": "Số 5 ngõ 10 phố Hàng Bông", "ward": "00073",
               "housing_basis": "rent", "stay_purpose": "work", "owner_consent": "true", "declaration_true": "true",
               "stay_from": "01/12/2026", "stay_until": "30/11/2026"}
    errors = forms.validate_form(stay, values, today=TODAY)
    assert set(errors) == {"stay_until"}
    assert "«Tạm trú từ ngày» (01/12/2026)" in errors["stay_until"]["vi"]
    assert "'Staying from' (01/12/2026)" in errors["stay_until"]["en"]
    values["stay_until"] = "01/06/2027"
    assert forms.validate_form(stay, values, today=TODAY) == {}


def test_not_before_must_name_another_date_field(tmp_path):
    doc = _birth_definition()
    doc["fields"][_field_index(doc, "child_date_of_birth")]["constraints"]["not_before"] = "child_sex"
    (tmp_path / "a.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert forms.check_catalogue(tmp_path) == [
        f"a.json: child_date_of_birth (fields/{_field_index(doc, 'child_date_of_birth')}/constraints/not_before): "
        "'child_sex' is not another date field of this form"]


def test_an_edited_definition_is_reloaded(tmp_path):
    doc = _birth_definition()
    path = tmp_path / "dang-ky-khai-sinh.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert forms.load_catalogue(tmp_path)[0].name["vi"] == "Đăng ký khai sinh"
    doc["name"]["vi"] = "Đăng ký khai sinh (đã sửa)"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    assert forms.load_catalogue(tmp_path)[0].name["vi"] == "Đăng ký khai sinh (đã sửa)"
