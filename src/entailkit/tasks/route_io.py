"""Router files: the routes YAML a user writes and the JSON a fitted router saves."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from entailkit.errors import InvalidInputError
from entailkit.tasks.calibration import Calibrator
from entailkit.types import Route

__all__ = [
    "ROUTER_OPTIONS",
    "RouterFile",
    "load_router",
    "read_routes_file",
    "save_router",
]

logger = logging.getLogger(__name__)

ROUTER_OPTIONS = (
    "fallback",
    "multi",
    "hypothesis_template",
    "blend_weight",
    "k",
    "knn_temperature",
    "min_similarity",
    "threshold",
)


class RouterFile(BaseModel):
    """What ``Router.save`` writes: routes with their thresholds, options, calibrator and model ids."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["entailkit.router"] = "entailkit.router"
    version: int = 1
    model: str
    embedding_model: str | None = None
    routes: tuple[Route, ...]
    fallback: str | None = None
    multi: bool = False
    hypothesis_template: str
    blend_weight: float
    k: int
    knn_temperature: float
    min_similarity: float
    threshold: float | None = None
    calibrator: Calibrator | None = None

    @classmethod
    def read(cls, path: str | Path) -> RouterFile:
        """Read and validate a file ``Router.save`` wrote.

        Args:
            path: The JSON file.

        Raises:
            InvalidInputError: The file cannot be read or is not an entailkit router file.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"cannot read router file {str(path)!r}: {exc}") from exc
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise InvalidInputError(
                f"{path} is not an entailkit router file ({where}: {first['msg']}); write it with Router.save()."
            ) from exc


def save_router(
    path: str | Path,
    *,
    model: str,
    embedding_scorer: Any,
    routes: tuple[Route, ...],
    calibrator: Any,
    options: Mapping[str, Any],
) -> None:
    """Write a router as a ``RouterFile`` (the work of ``Router.save``).

    Only an entailkit ``Calibrator`` is saved; another calibrator object is left out (with a warning).

    Args:
        path: The file to write (replaced if it exists).
        model: The zero-shot scorer's model id.
        embedding_scorer: The embedding scorer (its ``info.model`` is saved), or None.
        routes: The routes, with their thresholds.
        calibrator: The router's calibrator, or None.
        options: The router's value of every ``ROUTER_OPTIONS`` name.
    """
    saved = calibrator if isinstance(calibrator, Calibrator) else None
    if calibrator is not None and saved is None:
        logger.warning(
            "router save: a %s calibrator cannot be saved; only entailkit Calibrators are.",
            type(calibrator).__name__,
        )
    emb_info = getattr(embedding_scorer, "info", None)
    record = RouterFile(
        model=model,
        embedding_model=getattr(emb_info, "model", None),
        routes=routes,
        calibrator=saved,
        **{name: options[name] for name in ROUTER_OPTIONS},
    )
    Path(path).write_text(record.model_dump_json(indent=2), encoding="utf-8")


def load_router(path: str | Path, model: str, *, has_embedding: bool) -> dict[str, Any]:
    """``Router`` keyword arguments (routes, options, calibrator) from a file ``save_router`` wrote.

    A model other than the one the router was fitted with, or a missing embedding scorer the router
    used, is logged as a warning, not refused.

    Args:
        path: The JSON file.
        model: The model id of the zero-shot scorer the router is loaded on.
        has_embedding: Whether an embedding scorer is given for the kNN signal.

    Raises:
        InvalidInputError: The file cannot be read or is not an entailkit router file.
    """
    record = RouterFile.read(path)
    if record.model != model:
        logger.warning(
            "router %s was fitted with model %r, loading it on %r: refit its thresholds.",
            path,
            record.model,
            model,
        )
    if record.embedding_model is not None and not has_embedding:
        logger.warning(
            "router %s used the kNN signal of %r; without an embedding_scorer it routes zero-shot only.",
            path,
            record.embedding_model,
        )
    options = {name: getattr(record, name) for name in ROUTER_OPTIONS}
    return {"routes": [r.model_dump() for r in record.routes], "calibrator": record.calibrator, **options}


def read_routes_file(path: str | Path) -> dict[str, Any]:
    """Router keyword arguments from a YAML (or JSON) routes file.

    Either a list of routes, or a mapping with ``routes`` and any of the Router options
    (fallback, multi, hypothesis_template, blend_weight, k, knn_temperature, min_similarity, threshold).

    Args:
        path: The routes file.

    Returns:
        ``routes`` (as ``Route`` objects) and the options given, ready for ``Router(scorer, **kwargs)``.

    Raises:
        InvalidInputError: The file cannot be read or is not valid YAML, is not a list or a mapping with a
            non-empty ``routes`` list, has an unknown key, or a route lacks ``name`` / ``description``.
    """
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"cannot read routes file {str(path)!r}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"routes file {path} is not valid YAML: {exc}") from exc
    if isinstance(data, list):
        data = {"routes": data}
    if not isinstance(data, dict) or "routes" not in data:
        raise InvalidInputError(
            f"routes file {path} must be a list of routes or a mapping with a 'routes' list "
            "(each route: name, description, examples, threshold)."
        )
    unknown = sorted(set(data) - {"routes", *ROUTER_OPTIONS})
    if unknown:
        raise InvalidInputError(
            f"routes file {path} has unknown key(s) {unknown}; allowed: routes, {', '.join(ROUTER_OPTIONS)}."
        )
    routes = data["routes"]
    if not isinstance(routes, list) or not routes:
        raise InvalidInputError(f"routes file {path}: 'routes' must be a non-empty list.")
    out = dict(data)
    out["routes"] = [_route_from(item, i, path) for i, item in enumerate(routes)]
    return out


def _route_from(item: Any, i: int, path: str | Path) -> Route:
    if not isinstance(item, dict):
        raise InvalidInputError(f"routes file {path}: routes[{i}] must be a mapping, got {type(item).__name__}.")
    allowed = {"name", "description", "examples", "threshold"}
    unknown = sorted(set(item) - allowed)
    if unknown or "name" not in item or "description" not in item:
        raise InvalidInputError(
            f"routes file {path}: routes[{i}] needs 'name' and 'description' "
            "(optional 'examples', 'threshold')" + (f"; unknown key(s) {unknown}" if unknown else "") + "."
        )
    examples = item.get("examples") or []
    return Route(item["name"], item["description"], examples, item.get("threshold"))
