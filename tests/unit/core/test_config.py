"""The configuration file: defaults, overrides from the environment, refusals naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.core import config


def test_no_file_means_defaults(tmp_path: Path) -> None:
    cfg = config.load_config(tmp_path, environ={})
    assert cfg["kiosk"]["idle_timeout_s"] == 90
    assert cfg.path == tmp_path / "kiosk.toml"


def test_no_file_names_no_ward_and_run_still_needs_ward_and_backend(tmp_path: Path) -> None:
    # a kiosk nobody configured must not present itself as some sample ward's
    cfg = config.load_config(tmp_path, environ={})
    assert cfg.get("kiosk.ward_code") == ""
    assert config.missing_for_run(cfg) == ["kiosk.ward_code", "backend.url", "backend.token"]
    ready = config.load_config(tmp_path, environ={"KIOSK_KIOSK_WARD_CODE": "00073",
                                                  "KIOSK_BACKEND_URL": "https://dvc.example.vn",
                                                  "KIOSK_BACKEND_TOKEN": "t0ken"})
    assert config.missing_for_run(ready) == []


def test_file_and_environment_overrides(tmp_path: Path) -> None:
    (tmp_path / "kiosk.toml").write_text('[kiosk]\nid = "KIOSK-07"\nidle_timeout_s = 120\n', encoding="utf-8")
    cfg = config.load_config(tmp_path, environ={"KIOSK_BACKEND_URL": "https://dvc.example.vn",
                                                "KIOSK_KIOSK_LARGE_TEXT": "yes"})
    assert cfg["kiosk"]["id"] == "KIOSK-07" and cfg["kiosk"]["idle_timeout_s"] == 120
    assert cfg["backend"]["url"] == "https://dvc.example.vn"
    assert cfg["kiosk"]["large_text"] is True


@pytest.mark.parametrize(
    ("toml", "key", "reason"),
    [
        ("[kiosk]\nidle_timeout_s = 5\n", "kiosk.idle_timeout_s", "between"),
        ("[kiosk]\nidle_timeout_s = \"soon\"\n", "kiosk.idle_timeout_s", "whole number"),
        ("[kiosk]\nward_code = \"99999\"\n", "kiosk.ward_code", "2025 list"),
        # what the backend contract's KioskId and DossierCode refuse, the configuration refuses first
        ("[kiosk]\nid = \"CUANAM.KIOSK.01\"\n", "kiosk.id", "KioskId"),
        ("[kiosk]\nid = \"KIOSK-0123456789-0123456789-01234\"\n", "kiosk.id", "KioskId"),
        ("[kiosk]\nlanguage = \"fr\"\n", "kiosk.language", "one of"),
        ("[backend]\nurl = \"ftp://x\"\n", "backend.url", "URL"),
        ("[backend]\ncolour = \"red\"\n", "backend.colour", "unknown key"),
        ("[screen]\nx = 1\n", "screen", "unknown section"),
        ("[kiosk\n", "(file)", "TOML"),
    ],
)
def test_invalid_file_is_refused_naming_key_and_reason(tmp_path: Path, toml: str, key: str, reason: str) -> None:
    (tmp_path / "kiosk.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(config.ConfigError) as info:
        config.load_config(tmp_path, environ={})
    assert info.value.key == key
    assert reason in info.value.reason
    assert str(tmp_path / "kiosk.toml") in str(info.value)


def test_a_file_still_naming_the_retired_unit_code_loads_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # kiosk.unit_code was required once and never read: an upgraded kiosk's file must still load
    (tmp_path / "kiosk.toml").write_text('[kiosk]\nward_code = "00073"\nunit_code = "00073"\n', encoding="utf-8")
    with caplog.at_level("WARNING", logger="kiosk.core.config"):
        cfg = config.load_config(tmp_path, environ={})
    assert cfg.get("kiosk.ward_code") == "00073"
    assert "unit_code" not in cfg["kiosk"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "kiosk.core.config"]
    assert len(warnings) == 1
    assert "kiosk.unit_code is no longer used" in warnings[0] and str(tmp_path / "kiosk.toml") in warnings[0]
    assert "không còn được dùng" in warnings[0]
    with pytest.raises(KeyError):
        cfg.get("kiosk.unit_code")


def test_the_retired_unit_code_is_no_longer_checked_nor_written_back(tmp_path: Path) -> None:
    # what it once refused (not five digits) no longer matters, and a save drops the line
    path = tmp_path / "kiosk.toml"
    path.write_text('[kiosk]\nunit_code = "CUANAM"\nidle_timeout_s = 120\n', encoding="utf-8")
    values = config.load_file_values(path)
    config.save_config(values, path)
    assert "unit_code" not in path.read_text(encoding="utf-8")
    assert config.load_config(tmp_path, environ={})["kiosk"]["idle_timeout_s"] == 120


def test_the_retired_unit_code_in_the_environment_is_warned_about_too(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="kiosk.core.config"):
        cfg = config.load_config(tmp_path, environ={"KIOSK_KIOSK_UNIT_CODE": "00073"})
    assert "unit_code" not in cfg["kiosk"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "kiosk.core.config"]
    assert len(warnings) == 1
    assert warnings[0].startswith("environment: kiosk.unit_code") and "kiosk.unit_code is no longer used" in warnings[0]


def test_bad_environment_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError) as info:
        config.load_config(tmp_path, environ={"KIOSK_CAMERA_FPS": "lots"})
    assert info.value.key == "camera.fps" and info.value.source == "environment"


def test_save_validates_and_round_trips(tmp_path: Path) -> None:
    values = config.defaults()
    values["kiosk"]["idle_timeout_s"] = 60
    config.save_config(values, tmp_path / "kiosk.toml")
    assert config.load_config(tmp_path, environ={})["kiosk"]["idle_timeout_s"] == 60
    values["kiosk"]["idle_timeout_s"] = 1
    with pytest.raises(config.ConfigError):
        config.save_config(values, tmp_path / "kiosk.toml")
    assert config.load_config(tmp_path, environ={})["kiosk"]["idle_timeout_s"] == 60  # old file kept


def test_docs_reference_is_up_to_date() -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
    assert doc.read_text(encoding="utf-8") == config.reference_markdown(), "run: kiosk config --doc > " + str(doc)


def test_cli_check_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "kiosk.toml").write_text("[camera]\nfps = 500\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "--check", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "camera.fps" in proc.stderr and "Cấu hình không hợp lệ" in proc.stderr


def test_cli_check_refuses_a_kiosk_id_the_backend_would_refuse(tmp_path: Path) -> None:
    proc = _check(tmp_path, '[kiosk]\nid = "CUANAM.KIOSK.01"\n')
    assert proc.returncode == 2
    assert "kiosk.id" in proc.stderr and "KioskId" in proc.stderr


def test_cli_check_says_what_kiosk_run_still_needs(tmp_path: Path) -> None:
    proc = _check(tmp_path, '[kiosk]\nward_code = "00073"\n')
    assert proc.returncode == 0, proc.stderr
    assert "kiosk run" in proc.stdout and "still needs" in proc.stdout
    for key, variable in (("backend.url", "KIOSK_BACKEND_URL"), ("backend.token", "KIOSK_BACKEND_TOKEN")):
        assert key in proc.stdout and variable in proc.stdout
    assert "kiosk.ward_code" not in proc.stdout and "unit_code" not in proc.stdout


def _check(tmp_path: Path, toml: str) -> subprocess.CompletedProcess[str]:
    """`kiosk config --check` on a file saying ``toml``, with no KIOSK_* variable of this shell in the way."""
    (tmp_path / "kiosk.toml").write_text(toml, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "--check", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, check=False, env=_env_without_kiosk_keys())


def _env_without_kiosk_keys() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
