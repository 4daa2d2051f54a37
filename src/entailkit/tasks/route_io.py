"""Router files: the routes YAML a user writes, the JSON a fitted router saves, and route labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, ValidationError

from entailkit._validation import check_query, check_text, check_texts
from entailkit.errors import InvalidInputError
from entailkit.tasks.calibration import Calibrator
from entailkit.types import Route

RouteLabel = str | Sequence[str] | None
"""The truth for one query: a route name, several (compound query), or None / the fallback (out of scope)."""

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


def truth_matrix(labels: Any, n: int, names: Sequence[str], fallback: str | None) -> NDArray[np.bool_]:
    """Boolean (n, routes) matrix of true routes; unknown names and length mismatches are typed errors.

    Args:
        labels: One label per query: a route name, a list of names, or None / the fallback (out of scope).
        n: How many queries there are.
        names: The route names, in column order.
        fallback: The fallback route name, or None.

    Raises:
        InvalidInputError: ``labels`` is not a list of ``n`` labels, or names an unknown route.
    """
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise InvalidInputError(
            f"route_names must be a list with one route name (or None) per query, got {type(labels).__name__}."
        )
    if len(labels) != n:
        raise InvalidInputError(f"queries and route_names must have the same length, got {n} and {len(labels)}.")
    column = {name: j for j, name in enumerate(names)}
    truth = np.zeros((n, len(names)), dtype=bool)
    for i, label in enumerate(labels):
        items = [label] if label is None or isinstance(label, str) else label
        if not isinstance(items, Sequence):
            raise InvalidInputError(f"route_names[{i}] must be a route name, a list of names or None, got {label!r}.")
        for item in items:
            if item is None or item == fallback:
                continue
            if item not in column:
                raise InvalidInputError(
                    f"route_names[{i}] is {item!r}, which is not a route; expected one of {list(names)!r}"
                    + (f" or the fallback {fallback!r}" if fallback else "")
                    + " (None marks an out-of-scope query)."
                )
            truth[i, column[item]] = True
    return truth


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


def check_routes(routes: Any) -> tuple[Route, ...]:
    """Routes (Route objects or dicts) as a tuple of Route with distinct names and descriptions.

    Args:
        routes: A non-empty list of ``Route`` or dicts with ``name``, ``description`` and optionally
            ``examples`` and ``threshold``.

    Raises:
        InvalidInputError: Not a non-empty list, a malformed route, or repeated names or descriptions.
    """
    if isinstance(routes, str | Mapping) or not isinstance(routes, Sequence):
        raise InvalidInputError(f"routes must be a list of Route, got {type(routes).__name__}.")
    if not routes:
        raise InvalidInputError("routes is empty; a Router needs at least one Route.")
    out: list[Route] = []
    for i, route in enumerate(routes):
        if isinstance(route, Route):
            out.append(route)
        elif isinstance(route, Mapping):
            try:
                out.append(Route(**route))
            except TypeError as exc:
                raise InvalidInputError(
                    f"routes[{i}] has unknown or missing fields ({exc}); use name, description, examples, threshold."
                ) from exc
        else:
            raise InvalidInputError(f"routes[{i}] must be a Route or a dict, got {type(route).__name__}.")
        checked = out[-1]  # a Route from model_validate / model_construct skipped Route.__init__'s checks
        check_text(checked.name, f"routes[{i}].name")
        check_text(checked.description, f"routes[{i}].description")
        check_texts(checked.examples, f"routes[{i}].examples")
    for attr in ("name", "description"):
        values = [getattr(r, attr) for r in out]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise InvalidInputError(f"route {attr}s must be distinct; repeated: {dupes!r}.")
    return tuple(out)


def check_queries(queries: Any, name: str = "queries") -> list[str]:
    """A new list of the queries, each a valid, non-blank text (the rule ``Reranker`` applies too).

    Args:
        queries: The queries.
        name: Their argument name in messages.

    Raises:
        InvalidInputError: Not a list of str, or a query is blank.
    """
    texts = check_texts(queries, name)
    for i, text in enumerate(texts):
        if not text.strip():
            check_query(text, f"{name}[{i}]", purpose="route")
    return texts


def check_weight(value: Any) -> float:
    """A blend weight in [0, 1].

    Args:
        value: The weight.

    Raises:
        InvalidInputError: Not a number in [0, 1].
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(f"blend weight must be a number in [0, 1], got {value!r}.")
    return float(value)
