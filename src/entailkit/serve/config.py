"""Server settings: where to bind, the API key, batching knobs and request limits, checked once.

:class:`ServeConfig` is a ``pydantic-settings`` model. Each option comes from, highest first: an argument
(``ServeConfig(port=...)``, a flag of ``entailkit serve``), the environment variable ``ENTAILKIT_<OPTION>``
(``ENTAILKIT_PORT``, ``ENTAILKIT_API_KEY``, ...), the config file of :meth:`ServeConfig.from_file`
(``entailkit serve --config``: YAML, TOML or JSON), then the default. Every value is checked once, when the
config is made; a bad one raises :class:`~entailkit.errors.InvalidInputError`.
"""

from __future__ import annotations

import contextvars
import importlib
import ipaddress
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo

from entailkit._optional import require
from entailkit._validation import FieldProblem, invalid_input
from entailkit.errors import InvalidInputError

require("pydantic_settings", extra="serve", package="pydantic-settings")

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict  # noqa: E402

__all__ = ["API_KEY_ENV", "ENV_PREFIX", "ServeConfig", "check_api_key", "is_loopback", "read_config_file"]

ENV_PREFIX = "ENTAILKIT_"
"""The prefix of the environment variables of the server's options: ``ENTAILKIT_<OPTION>``."""
API_KEY_ENV = ENV_PREFIX + "API_KEY"
CONFIG_SUFFIXES = {".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".json": "JSON"}

_FILE_VALUES: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "entailkit_serve_file", default=None
)
"""The values of the config file being read by :meth:`ServeConfig.from_file` (None: no file)."""


def check_api_key(key: str) -> None:
    """Refuse a key that no client can send back unchanged: empty, padded, or with non-printable characters.

    Args:
        key: The API key.

    Raises:
        InvalidInputError: The key is blank, has leading or trailing whitespace, or holds a character
            outside printable ASCII (spaces included).
    """
    if not key.strip():
        raise InvalidInputError("api_key is empty; pass a real key or none.")
    if key != key.strip():
        raise InvalidInputError(
            "api_key has leading or trailing whitespace, which HTTP strips from the Authorization header, so no "
            "client could ever authenticate; remove the spaces (check the shell quoting or the environment file)."
        )
    if any(not (0x21 <= ord(ch) <= 0x7E) for ch in key):
        raise InvalidInputError(
            "api_key must be printable ASCII without spaces (a bearer token); it contains a space, a control "
            "character or a non-ASCII character."
        )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); any other name or address is not.

    Args:
        host: A host name or an IP address (an IPv6 one may be in brackets).
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The options of a server config file: a YAML (``.yaml``, ``.yml``), TOML or JSON mapping of option names.

    Args:
        path: The file; its suffix says its format.

    Returns:
        The file's mapping (checked when the config is made: unknown names and bad values are refused then).

    Raises:
        InvalidInputError: An unknown suffix, a file that cannot be read or parsed, or one that is not a mapping.
    """
    file = Path(path)
    kind = CONFIG_SUFFIXES.get(file.suffix.lower())
    if kind is None:
        raise InvalidInputError(
            f"server config file {str(path)!r}: unknown format; name it .yaml, .yml, .toml or .json."
        )
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read server config file {str(path)!r}: {exc}") from exc
    try:
        if kind == "YAML":
            import yaml

            data = yaml.safe_load(text)
        elif kind == "TOML":
            data = _toml().loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError
        raise InvalidInputError(f"server config file {path} is not valid {kind}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"server config file {path} must be a mapping of option names to values, got {type(data).__name__}."
        )
    return {str(key).replace("-", "_"): value for key, value in data.items()}


def _toml() -> Any:
    """``tomllib`` (Python 3.11+), else ``tomli``."""
    for name in ("tomllib", "tomli"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise InvalidInputError("a TOML config file needs Python 3.11+ or the tomli package.")


class _FileSource(PydanticBaseSettingsSource):
    """The values of the config file :meth:`ServeConfig.from_file` is reading (none otherwise)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        values = _FILE_VALUES.get() or {}
        return values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_VALUES.get() or {})


_NUMBERS = (
    "port",
    "max_batch_wait_ms",
    "max_batch_pairs",
    "max_queue",
    "request_timeout_s",
    "max_body_bytes",
    "max_documents",
    "max_document_chars",
    "max_labels",
    "max_request_pairs",
    "max_query_chars",
    "max_label_chars",
    "max_connections",
    "backlog",
    "body_timeout_s",
    "header_timeout_s",
    "keep_alive_timeout_s",
    "log_interval_s",
    "retry_after_s",
    "graceful_timeout_s",
)


class ServeConfig(BaseSettings):
    """Everything ``entailkit serve`` can be told; the defaults suit one CPU host behind a proxy.

    Each option is, highest first: the argument given, ``$ENTAILKIT_<OPTION>`` (e.g. ``ENTAILKIT_MAX_QUEUE``;
    an empty variable counts as unset), the config file of :meth:`from_file`, the default. The config is
    frozen and picklable; :meth:`replace` gives a checked copy with some options changed.

    Raises:
        InvalidInputError: An unknown option, or a value of the wrong type or out of range.
    """

    model_config: ClassVar[SettingsConfigDict] = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="forbid", validate_default=True
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    api_key: str | None = None
    """When set, every endpoint but /health and the docs needs ``Authorization: Bearer <key>``."""
    max_batch_wait_ms: float = Field(default=5.0, ge=0)
    """How long the worker waits for more requests to merge into a batch while others are in flight."""
    max_batch_pairs: int = Field(default=256, ge=1)
    """Estimated pairs in one model call (long texts count once per window); bigger jobs are cut into
    sub-calls of this size, and a cancelled request stops at the next one."""
    max_queue: int = Field(default=64, ge=1)
    """Requests admitted at once (queued or being scored); one more gets 503 with Retry-After."""
    request_timeout_s: float = Field(default=30.0, ge=0)
    """A request without its scores after this long gets 504; its remaining sub-calls are dropped."""
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1)
    max_documents: int = Field(default=1000, ge=1)
    """Documents per rerank request (also texts per classify / route request, contexts per check)."""
    max_document_chars: int = Field(default=50_000, ge=1)
    """Characters per document, text, context or answer."""
    max_labels: int = Field(default=100, ge=1)
    max_request_pairs: int = Field(default=8192, ge=1)
    """Estimated pairs per request (documents x windows, sentences x context windows, texts x labels); more
    get 413 before any model work."""
    max_query_chars: int = Field(default=2000, ge=1)
    """Characters of a rerank ``query`` and a check ``question``."""
    max_label_chars: int = Field(default=1000, ge=1)
    """Characters of each label name, label description and ``hypothesis_template``."""
    max_connections: int = Field(default=256, ge=1)
    """HTTP requests open at once (reading their body or waiting for scores); more get 503 with
    ``Connection: close`` before their body is read. /health, /metrics and the docs are exempt."""
    backlog: int = Field(default=128, ge=1)
    """Listen backlog; also the most connections accepted in one event-loop turn."""
    body_timeout_s: float = Field(default=10.0, gt=0)
    """Seconds a client has to send the whole body after its headers; then 408 and the socket is closed."""
    header_timeout_s: float = Field(default=10.0, gt=0)
    """Seconds a new connection has to send its request headers; then the socket is closed."""
    keep_alive_timeout_s: float = Field(default=5.0, gt=0)
    """Seconds an idle keep-alive connection stays open (uvicorn ``timeout_keep_alive``)."""
    log_interval_s: float = Field(default=10.0, ge=0)
    """At most one warning or error line per kind per this many seconds; the rest are counted."""
    retry_after_s: int = Field(default=1, ge=1)
    graceful_timeout_s: float = Field(default=10.0, ge=0)
    """At shutdown, seconds requests in flight get to finish; work left after that is dropped."""
    model_name: str | None = None
    """The name /health and rerank responses report (default: the model's name, never a local path)."""

    def __init__(self, **values: Any) -> None:
        """Check and set the options: ``values``, then the environment, then the config file, then defaults.

        Args:
            **values: Options by name (``host``, ``port``, ``api_key``, ``max_queue``, ...).

        Raises:
            InvalidInputError: An unknown option, or a value of the wrong type or out of range.
        """
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise invalid_input(exc, _describe, prefix="invalid server config: ") from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then ``ENTAILKIT_*`` variables, then the config file (no .env or secrets files)."""
        return init_settings, env_settings, _FileSource(settings_cls)

    @classmethod
    def from_file(cls, path: str | Path | None, **values: Any) -> ServeConfig:
        """The config of a YAML, TOML or JSON file, under ``values`` and the environment.

        Args:
            path: The config file (see :func:`read_config_file`), or None for none.
            **values: Options that override the environment and the file (the flags given).

        Raises:
            InvalidInputError: The file cannot be read or parsed, or an option is unknown or refused.
        """
        token = _FILE_VALUES.set(read_config_file(path) if path is not None else None)
        try:
            return cls(**values)
        finally:
            _FILE_VALUES.reset(token)

    @field_validator(*_NUMBERS, mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number, not a bool")
        return value

    @field_validator("api_key")
    @classmethod
    def _usable_key(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_api_key(value)
            except InvalidInputError as exc:
                raise ValueError(str(exc)) from None
        return value

    def replace(self, **changes: Any) -> ServeConfig:
        """A copy with ``changes``, checked like a new config (``dataclasses.replace`` of the old dataclass).

        Args:
            **changes: Options by name.

        Raises:
            InvalidInputError: An unknown option or a refused value.
        """
        return type(self)(**{**self.model_dump(), **changes})

    def with_env_key(self) -> ServeConfig:
        """This config with the key from ``$ENTAILKIT_API_KEY`` when none was given."""
        if self.api_key is None and os.environ.get(API_KEY_ENV):
            return self.replace(api_key=os.environ[API_KEY_ENV])
        return self

    def check_exposure(self) -> None:
        """Refuse to serve on a non-loopback address without an API key."""
        if not is_loopback(self.host) and not self.api_key:
            raise InvalidInputError(
                f"refusing to serve on {self.host!r} without an API key: anyone who can reach it could use "
                f"the model. Pass --api-key (or set {API_KEY_ENV}), or bind to 127.0.0.1."
            )


def _describe(problem: FieldProblem) -> str:
    """One refused option's clause: its name, what is wrong, the value, and where it can be set."""
    if problem.kind == "extra_forbidden":
        known = ", ".join(ServeConfig.model_fields)
        return f"unknown server option {problem.field!r} (known: {known})"
    if problem.field == "api_key":
        return problem.message
    where = f"an argument, ${ENV_PREFIX}{problem.field.upper()} or the config file"
    msg = problem.message
    return f"{problem.field}: {msg[:1].lower()}{msg[1:]}, got {problem.value!r} ({where})"
