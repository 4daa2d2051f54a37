"""Find a model's files: a local directory, the Hugging Face cache, or the hub, failing fast when offline."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from urllib.parse import urlparse

from entailkit.errors import ModelLoadError

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")
_REACH_TIMEOUT_S = 3.0
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


def hub_reachable(timeout: float = _REACH_TIMEOUT_S) -> bool:
    """True if the hub endpoint accepts a TCP connection within ``timeout`` seconds."""
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def resolve_model_dir(
    model: str | os.PathLike[str], *, revision: str | None = None, allow_pickle: bool = False
) -> Path:
    """A local directory with the model's files; hub ids come from the cache or a download."""
    if not isinstance(model, (str, os.PathLike)) or not str(model).strip():
        raise ModelLoadError(f"model must be a local path or a hub id such as 'org/name', got {model!r}.")
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"{path} is a directory but has no config.json, so it is not a saved model.")
        return path
    name = str(model)
    if path.exists() or not _HUB_ID.match(name):
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
    if not hub_reachable():
        raise ModelLoadError(
            f"'{name}' is not in the local cache and the hub cannot be reached (no connection within "
            f"{_REACH_TIMEOUT_S:.0f} s). " + _fix_hint(name)
        )
    try:
        return Path(snapshot_download(name, revision=revision, allow_patterns=patterns, etag_timeout=10))
    except Exception as exc:
        raise ModelLoadError(f"could not download '{name}' from the hub: {exc}. " + _fix_hint(name)) from exc
