"""KioskSettings: one set of defaults (config.SPEC's), read back by from_config key for key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kiosk.app.settings import CONFIG_KEY, CONFIG_SECTION, DEADLINE_KEYS, KioskSettings, section_defaults
from kiosk.core.config import SPEC, load_config
from kiosk.core.samples import SAMPLE_WARD_CODE

#: made in code, a kiosk stands in the sample ward and leaves the clock's zone alone (settings.py says why)
NOT_SPEC_DEFAULTS = {"ward_code": SAMPLE_WARD_CODE, "timezone": ""}


def _spec(dotted: str) -> object:
    section, key = dotted.split(".", 1)
    return SPEC[section][key].default


def test_settings_made_in_code_have_the_configuration_defaults() -> None:
    settings = KioskSettings()
    assert settings.simulate is False  # the simulated devices only when asked
    for f in dataclasses.fields(KioskSettings):
        if dotted := f.metadata.get(CONFIG_KEY):
            expected = NOT_SPEC_DEFAULTS.get(f.name, _spec(dotted))
            assert getattr(settings, f.name) == expected, f.name
        elif section := f.metadata.get(CONFIG_SECTION):
            assert getattr(settings, f.name) == section_defaults(section), f.name
    assert settings.backend_deadlines == {kind: _spec(dotted) for kind, dotted in DEADLINE_KEYS.items()}
    assert isinstance(settings.idle_timeout_s, float) and isinstance(settings.heartbeat_interval_s, float)


def test_a_partial_table_is_completed_from_the_configuration_defaults() -> None:
    settings = KioskSettings(simulate=True, camera={"fps": 15}, backend_deadlines={"ticket": 1.0})
    assert settings.camera == {**section_defaults("camera"), "fps": 15}
    assert settings.printer["queue"] == SPEC["printer"]["queue"].default
    assert settings.backend_deadlines["ticket"] == 1.0
    assert settings.backend_deadlines["lookup"] == SPEC["backend"]["lookup_deadline_s"].default


def test_from_config_reads_every_key_of_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text('[kiosk]\nid = "KIOSK-07"\nward_code = "00073"\nsimulate = true\n'
                    'timezone = "Asia/Bangkok"\nidle_timeout_s = 120\n'
                    '[backend]\nurl = "https://dvc.example.gov.vn"\ntoken = "t0ken"\ncitizen_deadline_s = 4.5\n'
                    'heartbeat_deadline_s = 20.0\n[camera]\nfps = 25\n[printer]\nqueue = "roll-2"\n',
                    encoding="utf-8")
    config = load_config(tmp_path, toml, environ={})
    settings = KioskSettings.from_config(config)
    assert (settings.kiosk_id, settings.ward_code, settings.simulate, settings.timezone) == \
        ("KIOSK-07", "00073", True, "Asia/Bangkok")
    assert settings.idle_timeout_s == 120 and settings.backend_url == "https://dvc.example.gov.vn"
    assert settings.backend_deadlines["ticket"] == 4.5
    assert settings.backend_deadlines["heartbeat"] == settings.backend_deadlines["feedback"] == 20.0
    assert settings.camera["fps"] == 25 and settings.camera["width"] == SPEC["camera"]["width"].default
    assert settings.printer["queue"] == "roll-2"
    assert settings.config_file == str(toml)


def test_from_config_overrides_replace_only_what_is_given(tmp_path: Path) -> None:
    config = load_config(tmp_path, tmp_path / "absent.toml", environ={})
    settings = KioskSettings.from_config(config, simulate=True, demo=None, missing=["backend.url"])
    assert settings.simulate is True and settings.demo is False and settings.missing == ["backend.url"]
    assert settings.ward_code == ""  # the configuration's, empty until set: `kiosk run` shows the setup screen


def test_every_configuration_key_reaches_the_settings() -> None:
    read = {f.metadata[CONFIG_KEY] for f in dataclasses.fields(KioskSettings) if CONFIG_KEY in f.metadata}
    read |= set(DEADLINE_KEYS.values())
    read |= {f"{f.metadata[CONFIG_SECTION]}.{key}" for f in dataclasses.fields(KioskSettings)
             if CONFIG_SECTION in f.metadata for key in SPEC[f.metadata[CONFIG_SECTION]]}
    assert read == {f"{section}.{key}" for section, keys in SPEC.items() for key in keys}
