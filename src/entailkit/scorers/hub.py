"""Find a model's files: a local directory, the Hugging Face cache, or the hub, failing fast when offline."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from entailkit.errors import ModelLoadError
from entailkit.scorers.checkpoint import check_finite_env

__all__ = ["HUB_TIMEOUT_ENV", "hub_reachable", "hub_timeout_s", "resolve_model_dir"]

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")
_REACH_TIMEOUT_S = 10.0
_MAX_HUB_ID = 96 * 2 + 1
"""The hub caps user/organisation and repository names at 96 characters each."""
HUB_TIMEOUT_ENV = "ENTAILKIT_HUB_TIMEOUT_S"
_WEIGHT_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors", "tokenizer*", "*.py", "1_Pooling/*"]


def _offline() -> bool:
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _fix_hint(model: str) -> str:
    return (
        f"To fix: pass a local directory that holds the model (config.json, weights, tokenizer); or download "
        f"'{model}' once where the hub is reachable (huggingface-cli download {model}) and point HF_HOME at "
        "that cache; set HF_HUB_OFFLINE=1 to use only the cache."
    )


def hub_timeout_s() -> float:
    """Seconds each hub request may take to connect or to send its next bytes (``$ENTAILKIT_HUB_TIMEOUT_S``)."""
    return check_finite_env(HUB_TIMEOUT_ENV, _REACH_TIMEOUT_S)


def hub_reachable(timeout: float | None = None, model: str | None = None) -> bool:
    """True if the hub answers an HTTP request within ``timeout`` seconds (connect, then each read).

    A TCP connection alone is not enough: a host that accepts connections but never answers would make
    the download hang. The request goes through ``HTTPS_PROXY`` / ``HTTP_PROXY`` (and ``NO_PROXY``) as
    the download does; any HTTP status counts as an answer (404 and 401 are reported by the download).

    Args:
        timeout: Seconds to connect and for each read (None: ``$ENTAILKIT_HUB_TIMEOUT_S``, default 10).
        model: A hub id to ask about (None: the model list endpoint).
    """
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    url = f"{endpoint}/api/models/{quote(model, safe='/')}" if model else f"{endpoint}/api/models?limit=1"
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "entailkit"})
    try:
        with urllib.request.urlopen(request, timeout=timeout or hub_timeout_s()):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):  # URLError, timeouts, refused connections, a malformed HF_ENDPOINT
        return False


def resolve_model_dir(
    model: str | os.PathLike[str], *, revision: str | None = None, allow_pickle: bool = False
) -> Path:
    """A local directory with the model's files; hub ids come from the cache or a download.

    A download happens only when the id is not cached, the hub is not marked offline and it answers
    within ``$ENTAILKIT_HUB_TIMEOUT_S`` seconds.

    Args:
        model: A local model directory (with ``config.json``) or a hub id (``org/name``).
        revision: Branch, tag or commit of a hub model.
        allow_pickle: Also fetch ``*.bin`` weights from the hub.

    Raises:
        ModelLoadError: Neither a model directory nor a valid hub id, not cached while offline, the hub
            unreachable, or the download failed (each message says how to fix it).
        InvalidInputError: ``$ENTAILKIT_HUB_TIMEOUT_S`` is set but not a positive number.
    """
    if not isinstance(model, (str, os.PathLike)) or not str(model).strip():
        raise ModelLoadError(f"model must be a local path or a hub id such as 'org/name', got {model!r}.")
    path = Path(model).expanduser()
    name = str(model)
    try:
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise ModelLoadError(f"{path} is a directory but has no config.json, so it is not a saved model.")
            return path
        exists = path.exists()
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte, ...
        raise ModelLoadError(f"{name[:80]!r} is not a usable path or hub id: {exc}. " + _fix_hint(name[:80])) from exc
    if exists or len(name) > _MAX_HUB_ID or not _HUB_ID.match(name):
        raise ModelLoadError(f"{name!r} is neither a model directory nor a hub id (org/name). " + _fix_hint(name))
    from huggingface_hub import snapshot_download

    patterns = _WEIGHT_PATTERNS + (["*.bin"] if allow_pickle else [])
    try:
        return Path(snapshot_download(name, revision=revision, allow_patterns=patterns, local_files_only=True))
    except Exception as cached_error:
        if _offline():
            raise ModelLoadError(
                f"'{name}' is not in the local Hugging Face cache and HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE is set. "
                + _fix_hint(name)
            ) from cached_error
    timeout = hub_timeout_s()
    if not hub_reachable(timeout, name):
        raise ModelLoadError(
            f"'{name}' is not in the local cache and the hub did not answer within {timeout:.0f} s "
            f"(through the proxy in HTTPS_PROXY, if set; raise ${HUB_TIMEOUT_ENV} on a slow link). " + _fix_hint(name)
        )
    try:
        return Path(snapshot_download(name, revision=revision, allow_patterns=patterns, etag_timeout=10))
    except Exception as exc:
        raise ModelLoadError(f"could not download '{name}' from the hub: {exc}. " + _fix_hint(name)) from exc
