"""Router files: the routes YAML a user writes and the JSON a fitted router saves.

Both are read through pydantic models that refuse unknown keys: ``RouterFile`` (the saved JSON) and the
private models of the routes file, whose refusals become one ``InvalidInputError`` naming the file, the key
and the route.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from entailkit._validation import FieldProblem, field_problems, invalid_input
from entailkit.errors import InvalidInputError
from entailkit.tasks.calibration import Calibrator
from entailkit.types import Route

__all__ = [
    "ROUTER_OPTIONS",
    "RouterFile",
    "SavedRouter",
    "load_router",
    "read_routes_file",
    "save_router",
]

logger = logging.getLogger(__name__)

ROUTER_OPTIONS = (
    "fallback",
    "multi",
    "hypothesis_template",
    "language",
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
    """The template in force when saved (the thresholds were fitted with it), whatever ``language`` says."""
    language: str | None = None
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


class SavedRouter(Protocol):
    """What ``save_router`` reads of a ``Router`` (this module does not import routing.py), besides the
    attribute of every ``ROUTER_OPTIONS`` name."""

    @property
    def scorer(self) -> Any: ...
    @property
    def embedding_scorer(self) -> Any: ...
    @property
    def routes(self) -> tuple[Route, ...]: ...
    @property
    def calibrator(self) -> Any: ...
    @property
    def template(self) -> str: ...


def save_router(path: str | Path, router: SavedRouter) -> None:
    """Write a router as a ``RouterFile`` (the work of ``Router.save``).

    The template saved is the one in force (``router.template``), so the router loads with the template its
    thresholds were fitted with. Only an entailkit ``Calibrator`` is saved; another calibrator object is left
    out (with a warning).

    Args:
        path: The file to write (replaced if it exists).
        router: The router: its scorers' model ids, routes with their thresholds, calibrator and options.
    """
    calibrator = router.calibrator
    saved = calibrator if isinstance(calibrator, Calibrator) else None
    if calibrator is not None and saved is None:
        logger.warning(
            "router save: a %s calibrator cannot be saved; only entailkit Calibrators are.",
            type(calibrator).__name__,
        )
    emb_info = getattr(router.embedding_scorer, "info", None)
    options = {name: getattr(router, name) for name in ROUTER_OPTIONS}
    record = RouterFile(
        model=router.scorer.info.model,
        embedding_model=getattr(emb_info, "model", None),
        routes=router.routes,
        calibrator=saved,
        **{**options, "hypothesis_template": router.template},
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


class _RouteEntry(BaseModel):
    """One route of a routes file, as written: its keys and their types (ranges are ``Route``'s to check)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    description: str
    examples: list[str] | None = None
    """Example utterances for the kNN signal; an empty ``examples:`` is none."""
    threshold: float | None = None


_UNSET: Any = None
"""The default of a Router option left out of a routes file: never read, as only the keys given are passed on."""


class _RoutesFile(BaseModel):
    """A routes file, as written: ``routes`` and any of the Router options (``ROUTER_OPTIONS``).

    Types are checked strictly (``k: "10"`` is refused, not read as 10); the options' ranges and how they fit
    the routes are the Router's to check. An option left out is not passed on, so the Router's default (or,
    on the command line, the ``--spec`` file's value) holds: ``_UNSET`` is never read.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    routes: list[_RouteEntry] = Field(min_length=1)
    fallback: str | None = None
    multi: bool = _UNSET
    hypothesis_template: str | None = _UNSET
    language: str | None = None
    blend_weight: float = _UNSET
    k: int = _UNSET
    knn_temperature: float = _UNSET
    min_similarity: float = _UNSET
    threshold: float | None = None


_ROUTE_KEYS = tuple(_RouteEntry.model_fields)
_UNKNOWN = ("extra_forbidden", "invalid_key")
"""pydantic's error types of a key a model does not have (a misspelt name; a number, which is never a name)."""
_FILE_SHAPE = "a list of routes or a mapping with a 'routes' list (each route: name, description, examples, threshold)"


def read_routes_file(path: str | Path) -> dict[str, Any]:
    """Router keyword arguments from a YAML (or JSON) routes file.

    Either a list of routes, or a mapping with ``routes`` and any of the Router options
    (fallback, multi, hypothesis_template, language, blend_weight, k, knn_temperature, min_similarity,
    threshold).
    Each route has ``name`` and ``description`` and optionally ``examples`` and ``threshold``. The file is
    checked by pydantic models that forbid unknown keys (a misspelt key is refused, not ignored) and check
    types strictly, so every mistake is reported at once, naming the file and the route.

    Args:
        path: The routes file.

    Returns:
        ``routes`` (as ``Route`` objects) and the options given, ready for ``Router(scorer, **kwargs)``.

    Raises:
        InvalidInputError: The file cannot be read or is not valid YAML, is not a list or a mapping with a
            non-empty ``routes`` list, has an unknown key, a route lacks ``name`` / ``description``, a value
            has the wrong type (``k: "10"``, ``examples: a text``), or a route is refused by ``Route``
            (a blank name, a threshold out of [0, 1]).
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
        raise InvalidInputError(f"routes file {path} must be {_FILE_SHAPE}.")
    try:
        parsed = _RoutesFile.model_validate(data)
    except ValidationError as exc:
        raise _file_error(exc, data, path) from None
    out: dict[str, Any] = {key: getattr(parsed, key) for key in data if key != "routes"}
    out["routes"] = [_route(entry, i, path) for i, entry in enumerate(parsed.routes)]
    return out


def _route(entry: _RouteEntry, i: int, path: str | Path) -> Route:
    """The ``Route`` of a checked entry; its own refusals (blank name, threshold range) name the file."""
    try:
        return Route(entry.name, entry.description, entry.examples or (), entry.threshold)
    except InvalidInputError as exc:
        raise InvalidInputError(f"routes file {path}: routes[{i}] ({entry.name!r}): {exc}") from None


def _file_error(exc: ValidationError, data: dict[str, Any], path: str | Path) -> InvalidInputError:
    """One message for every refusal of the file, each naming the key and, for a route, its index and name."""
    routes = data["routes"]
    unknown = sorted(str(p.loc[0]) for p in field_problems(exc) if p.kind in _UNKNOWN and len(p.loc) == 1)

    def describe(problem: FieldProblem) -> str:
        loc, got = problem.loc, f", got {problem.value!r:.80}"
        msg = problem.message[:1].lower() + problem.message[1:]
        if loc == ("routes",):
            kind = type(routes).__name__
            return "'routes' must be a non-empty list" + ("" if isinstance(routes, list) else f", got {kind}")
        if len(loc) == 1 and problem.kind in _UNKNOWN:
            return f"unknown key(s) {unknown}; allowed: routes, {', '.join(ROUTER_OPTIONS)}"
        if len(loc) == 1:
            return f"{loc[0]}: {msg}{got}"
        index = int(loc[1])
        item = routes[index]
        if len(loc) == 2:
            return f"routes[{index}] must be a mapping, got {type(item).__name__}"
        if problem.kind in _UNKNOWN or problem.kind == "missing":
            extra = sorted(str(key) for key in item if key not in _ROUTE_KEYS)
            needs = f"routes[{index}] needs 'name' and 'description' (optional 'examples', 'threshold')"
            return needs + (f"; unknown key(s) {extra}" if extra else "")
        name = item.get("name")
        where = f"routes[{index}]" + (f" ({name!r})" if isinstance(name, str) else "")
        field = ".".join(str(part) for part in loc[2:])
        return f"{where}.{field}: {msg}{got}"

    return invalid_input(exc, describe, prefix=f"routes file {path}: ")
