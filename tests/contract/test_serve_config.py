"""The server's configuration: one pydantic-settings model fed by arguments, ENTAILKIT_* variables and a file."""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from entailkit.errors import InvalidInputError
from entailkit.serve import ServeConfig

CONFIG_ENV = ("ENTAILKIT_API_KEY", "ENTAILKIT_PORT", "ENTAILKIT_MAX_QUEUE", "ENTAILKIT_MAX_BATCH_PAIRS")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CONFIG_ENV:
        monkeypatch.delenv(name, raising=False)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_precedence_is_argument_then_env_then_file_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = _write(tmp_path / "server.yaml", "port: 9001\nmax_queue: 9\nmax-batch-pairs: 12\n")
    monkeypatch.setenv("ENTAILKIT_MAX_QUEUE", "7")
    monkeypatch.setenv("ENTAILKIT_PORT", "9002")
    config = ServeConfig.from_file(file, port=9003)
    assert (config.port, config.max_queue, config.max_batch_pairs, config.backlog) == (9003, 7, 12, 128)
    monkeypatch.delenv("ENTAILKIT_MAX_QUEUE")
    assert ServeConfig.from_file(file).max_queue == 9  # the file, once no variable sets it
    assert ServeConfig().max_queue == 64 and ServeConfig().port == 9002  # no file: env, then default


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("server.yaml", "max_queue: 5\nmodel_name: tiny\n"),
        ("server.yml", "max_queue: 5\nmodel_name: tiny\n"),
        ("server.toml", 'max_queue = 5\nmodel_name = "tiny"\n'),
        ("server.json", '{"max_queue": 5, "model_name": "tiny"}'),
    ],
)
def test_a_config_file_in_yaml_toml_or_json(tmp_path: Path, name: str, text: str) -> None:
    config = ServeConfig.from_file(_write(tmp_path / name, text))
    assert config.max_queue == 5 and config.model_name == "tiny"


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("server.ini", "max_queue=5", "unknown format"),
        ("server.yaml", "max_queue: [", "not valid YAML"),
        ("server.toml", "max_queue = ", "not valid TOML"),
        ("server.json", "[1, 2]", "must be a mapping"),
        ("server.yaml", "max_queus: 5\n", "unknown server option 'max_queus'"),
        ("server.yaml", "max_queue: 0\n", "max_queue: input should be greater than or equal to 1"),
        ("server.yaml", "api_key: ' padded'\n", "whitespace"),
    ],
)
def test_a_bad_config_file_is_refused_clearly(tmp_path: Path, name: str, text: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        ServeConfig.from_file(_write(tmp_path / name, text))


def test_a_missing_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read server config file"):
        ServeConfig.from_file(tmp_path / "nowhere.yaml")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"port": True}, "port: must be a number, not a bool"),
        ({"port": 70000}, "port: input should be less than or equal to 65535"),
        ({"max_queue": 0}, "max_queue: input should be greater than or equal to 1, got 0"),
        ({"max_batch_pairs": 1.5}, "max_batch_pairs: input should be a valid integer"),
        ({"request_timeout_s": -1}, "request_timeout_s: input should be greater than or equal to 0"),
        ({"request_timeout_s": float("nan")}, "request_timeout_s"),
        ({"body_timeout_s": 0}, "body_timeout_s: input should be greater than 0"),
        ({"retry_after_s": False}, "retry_after_s: must be a number"),
        ({"max_qeue": 1}, "unknown server option 'max_qeue'"),
        ({"api_key": ""}, "api_key is empty"),
    ],
)
def test_a_bad_value_is_an_invalid_input_error(options: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        ServeConfig(**options)


def test_a_bad_environment_variable_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTAILKIT_MAX_QUEUE", "lots")
    with pytest.raises(InvalidInputError, match=r"max_queue: .*'lots'.*\$ENTAILKIT_MAX_QUEUE"):
        ServeConfig()


def test_the_api_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTAILKIT_API_KEY", "")
    assert ServeConfig().api_key is None  # an empty variable is unset
    monkeypatch.setenv("ENTAILKIT_API_KEY", "from-env")
    assert ServeConfig().api_key == "from-env" and ServeConfig(api_key="given").api_key == "given"
    monkeypatch.delenv("ENTAILKIT_API_KEY")
    config = ServeConfig(host="0.0.0.0")
    with pytest.raises(InvalidInputError, match="without an API key"):
        config.check_exposure()
    monkeypatch.setenv("ENTAILKIT_API_KEY", "later")
    assert config.with_env_key().api_key == "later"  # a config made before the variable was set
    config.with_env_key().check_exposure()


def test_the_config_is_frozen_picklable_and_replaced_with_checks() -> None:
    config = ServeConfig(port=8123, api_key="k-1", max_queue=3)
    assert pickle.loads(pickle.dumps(config)) == config  # shipped to Ray Serve replicas
    with pytest.raises(Exception, match="frozen"):
        config.port = 1  # type: ignore[misc]
    moved = config.replace(port=8124)
    assert (moved.port, moved.api_key, moved.max_queue, config.port) == (8124, "k-1", 3, 8123)
    with pytest.raises(InvalidInputError, match="max_queue"):
        config.replace(max_queue=0)


# -- entailkit serve: the flags given override the environment and --config ---------------------------


def _serve_config(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Any:
    """The ServeConfig ``entailkit serve <args>`` would serve with (no model is loaded, no socket opened)."""
    from entailkit.cli import app
    from entailkit.serve import server

    cli_serve = importlib.import_module("entailkit.cli.serve")

    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli_serve, "shared_scorer", lambda model, **kwargs: object())
    monkeypatch.setattr(server, "serve", lambda scorer, config, **kwargs: seen.setdefault("config", config))
    result = CliRunner().invoke(app, ["serve", "-m", "does-not-matter", *args])
    assert result.exit_code == 0, result.output
    return seen["config"]


def test_cli_flags_given_beat_env_and_file_and_defaults_do_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = _write(tmp_path / "server.toml", "port = 9001\nmax_queue = 9\nmax_batch_pairs = 12\nretry_after_s = 4\n")
    monkeypatch.setenv("ENTAILKIT_MAX_QUEUE", "7")
    config = _serve_config(monkeypatch, ["--config", str(file), "--port", "9003", "--request-timeout", "2.5"])
    assert (config.port, config.max_queue, config.max_batch_pairs, config.retry_after_s) == (9003, 7, 12, 4)
    assert config.request_timeout_s == 2.5 and config.backlog == 128
    # a flag typed with its default value still counts as given
    assert _serve_config(monkeypatch, ["--config", str(file), "--max-queue", "64"]).max_queue == 64


def test_cli_refuses_a_bad_config_file_before_loading_the_model(tmp_path: Path) -> None:
    from entailkit.cli import app

    file = _write(tmp_path / "server.yaml", "max_queue: 0\n")
    result = CliRunner().invoke(app, ["serve", "-m", "does-not-matter", "--config", str(file)])
    assert result.exit_code == 2 and "max_queue" in result.output


def test_cli_defaults_are_the_config_defaults() -> None:
    import typer.main

    from entailkit.cli import app
    from entailkit.cli.serve import CONFIG_FLAGS

    command = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    defaults = {param.name: param.default for param in command.params}
    assert set(CONFIG_FLAGS.values()) == set(ServeConfig.model_fields)  # every option has a flag
    for flag, option in CONFIG_FLAGS.items():
        assert defaults[flag] == ServeConfig.model_fields[option].default, flag
