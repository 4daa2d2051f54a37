"""Task specs: each task's options as one pydantic model, derived from the task's own signature.

Surfaces (the adapters, the CLI, the HTTP server, the Ray jobs) take a configured task or its spec,
never a copy of its options: a new keyword of ``Reranker.__init__`` is a new field of ``RerankSpec``
with nothing else to write. A spec holds the plain, serialisable options (JSON, YAML, pickled to Ray
workers); objects (the scorer, a calibrator, a sentence splitter, an embedding scorer) are given to
``build``. Field types are checked when a spec is made (strictly: ``"3"`` is not an int); value ranges
are checked by the task when it is built, with the task's own typed errors.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model, model_validator

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.tasks.classify import ZeroShotClassifier
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.routing import Router

__all__ = [
    "OBJECT_OPTIONS",
    "CheckSpec",
    "ClassifySpec",
    "RerankSpec",
    "RouteSpec",
    "TaskSpec",
    "fold_spec_options",
    "read_spec_file",
    "task_spec",
]

_Spec = TypeVar("_Spec", bound="TaskSpec")

OBJECT_OPTIONS = frozenset({"scorer", "calibrator", "splitter", "embedding_scorer", "show_progress"})
"""Keywords of task constructors that are objects or run-time choices, given to ``build``, not specs."""


class TaskSpec(BaseModel):
    """The serialisable options of one task; ``build(scorer)`` makes the task they describe."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, arbitrary_types_allowed=True)
    task_class: ClassVar[type[Any]]

    def __init__(self, **options: Any) -> None:
        """Check the option names and types; a bad one is an InvalidInputError that names it.

        Args:
            **options: The task's options by name (see the task's ``__init__``); one left out takes the
                task's default. Types are checked strictly (``"3"`` is not an int); lists become tuples.

        Raises:
            InvalidInputError: An unknown option, a value of the wrong type, or a required option missing.
        """
        try:
            super().__init__(**options)
        except ValidationError as exc:
            raise InvalidInputError(f"{type(self).__name__}: {_explain(exc)}") from None

    @model_validator(mode="before")
    @classmethod
    def _lists_as_tuples(cls, data: Any) -> Any:
        """Sequences are held as tuples, so a spec compares equal to the one read back from its task."""
        if isinstance(data, Mapping):
            return {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
        return data

    def options(self) -> dict[str, Any]:
        """The options as keyword arguments of the task (values as given, not dumped)."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def build(self, scorer: Scorer, **objects: Any) -> Any:
        """The task these options describe, on ``scorer``.

        Args:
            scorer: The Scorer the task runs on (shared, never copied).
            **objects: The object options the spec does not hold (``calibrator``, ``show_progress``,
                ``splitter``, ``embedding_scorer``), passed to the task as they are.

        Raises:
            InvalidInputError: An option out of range, or an object option the task does not take.
        """
        unknown = sorted(set(objects) - OBJECT_OPTIONS)
        if unknown:
            raise InvalidInputError(
                f"{type(self).__name__}.build() takes the scorer and object options "
                f"({', '.join(sorted(OBJECT_OPTIONS - {'scorer'}))}); put {unknown} in the spec."
            )
        return self.task_class(scorer, **self.options(), **objects)

    def updated(self, **options: Any) -> TaskSpec:
        """A copy with ``options`` replaced (checked like a new spec); None values leave a field as it is.

        Args:
            **options: Options to replace; one given as None keeps the current value (so a surface can pass
                its unset flags through). With nothing but None values, the spec itself is returned.

        Raises:
            InvalidInputError: An unknown option or a value of the wrong type.
        """
        given = {name: value for name, value in options.items() if value is not None}
        return type(self)(**{**self.options(), **given}) if given else self

    @classmethod
    def of(cls, task: Any) -> TaskSpec:
        """The spec of a configured task (its options as the task holds them).

        Args:
            task: A task of this spec's class (e.g. a ``Reranker`` for ``RerankSpec``).

        Raises:
            InvalidInputError: ``task`` is not an instance of this spec's task class.
        """
        if not isinstance(task, cls.task_class):
            raise InvalidInputError(
                f"{cls.__name__}.of() takes a {cls.task_class.__name__}, got {type(task).__name__}."
            )
        return cls(**{name: getattr(task, name) for name in cls.model_fields})

    @classmethod
    def parse(cls, data: Any) -> TaskSpec:
        """A spec from a mapping (e.g. parsed JSON or YAML), a spec of this class, or None (the defaults).

        Args:
            data: A mapping of option names, a spec of this class (returned as is), or None.

        Raises:
            InvalidInputError: ``data`` is not a mapping with string keys, or holds a bad option.
        """
        if data is None:
            return cls()
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping) or not all(isinstance(key, str) for key in data):
            raise InvalidInputError(
                f"{cls.__name__} must be given as a mapping of option names, got {type(data).__name__}."
            )
        return cls(**dict(data))

    @classmethod
    def load(cls: type[_Spec], path: str | Path) -> _Spec:
        """The spec held by a JSON or YAML file (a mapping of option names, see :func:`read_spec_file`).

        Args:
            path: The file; ``.json`` is read as JSON, any other name as YAML.

        Raises:
            InvalidInputError: The file cannot be read or parsed, is not a mapping, or has a bad option.
        """
        return cls(**read_spec_file(path))

    @classmethod
    def split(cls, options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split keyword arguments into (this spec's options, the rest): for surfaces taking flat keywords.

        Args:
            options: Keyword arguments, some of them this spec's fields; the values are not checked.

        Returns:
            ``(mine, rest)``: the items whose key is a field of this spec, and all the others.
        """
        fields = cls.model_fields
        mine = {key: value for key, value in options.items() if key in fields}
        return mine, {key: value for key, value in options.items() if key not in fields}


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """The mapping of options in a JSON (``.json``) or YAML (any other name) file, not yet checked as a spec.

    For surfaces that merge a file's options with others before making the spec (the CLI's flags given
    on the command line, a routes file).

    Args:
        path: The file, e.g. ``{"top_n": 3, "query_template": "{}"}`` or the same in YAML.

    Returns:
        The file's mapping (an empty file is ``{}``).

    Raises:
        InvalidInputError: The file cannot be read, is not valid JSON / YAML, or is not a mapping.
    """
    import yaml

    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read spec file {where!r}: {exc}") from exc
    try:
        data = json.loads(text) if where.lower().endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if where.lower().endswith(".json") else "YAML"
        raise InvalidInputError(f"spec file {where!r} is not valid {kind}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise InvalidInputError(f"spec file {where!r} must hold a mapping of option names, got {type(data).__name__}.")
    return data


def fold_spec_options(data: Any, spec_class: type[TaskSpec], key: str = "spec") -> Any:
    """Keyword arguments with ``spec_class``'s options moved into ``data[key]`` (merged over a spec given there).

    For surfaces that take the task's options flat (``EntailkitRerank(model=..., top_n=3)``) and hold
    them as one spec field: the option list stays the task's. Anything but a mapping is returned as is.

    Args:
        data: The keyword arguments (e.g. a pydantic model's input before validation).
        spec_class: The spec whose fields are moved.
        key: The name of the field that holds the spec.

    Returns:
        ``data`` without ``spec_class``'s options and with ``data[key]`` the spec they make, over the spec
            (or mapping) given as ``data[key]``; a copy of ``data`` when it has neither.

    Raises:
        InvalidInputError: ``data[key]`` is not a spec or mapping, or an option is bad.
    """
    if not isinstance(data, Mapping):
        return data
    mine, rest = spec_class.split({name: value for name, value in data.items() if name != key})
    if not mine and data.get(key) is None:
        return dict(data)
    base = spec_class.parse(data.get(key))
    return {**rest, key: spec_class(**{**base.options(), **mine}) if mine else base}


def task_spec(task_class: type[Any], name: str) -> type[TaskSpec]:
    """A TaskSpec subclass whose fields are the keyword options of ``task_class.__init__``.

    The object options (``OBJECT_OPTIONS``) are left out; a parameter without a default is a
    required field.

    Args:
        task_class: The task; its ``__init__`` takes the scorer first, and has type hints.
        name: The name of the new class (e.g. ``"RerankSpec"``).

    Returns:
        The new subclass, with ``task_class`` as its ``task_class``.
    """
    hints = typing.get_type_hints(task_class.__init__)
    fields: dict[str, Any] = {}
    for param in list(inspect.signature(task_class.__init__).parameters.values())[1:]:
        if param.name in OBJECT_OPTIONS:
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints[param.name], default)
    spec = create_model(name, __base__=TaskSpec, __module__=__name__, **fields)
    spec.task_class = task_class
    spec.__doc__ = f"The options of :class:`{task_class.__module__}.{task_class.__name__}` (see its ``__init__``)."
    return spec


if TYPE_CHECKING:

    class RerankSpec(TaskSpec):
        def build(self, scorer: Scorer, **objects: Any) -> Reranker: ...

    class CheckSpec(TaskSpec):
        def build(self, scorer: Scorer, **objects: Any) -> GroundednessChecker: ...

    class ClassifySpec(TaskSpec):
        def build(self, scorer: Scorer, **objects: Any) -> ZeroShotClassifier: ...

    class RouteSpec(TaskSpec):
        def build(self, scorer: Scorer, **objects: Any) -> Router: ...

else:
    RerankSpec = task_spec(Reranker, "RerankSpec")
    CheckSpec = task_spec(GroundednessChecker, "CheckSpec")
    ClassifySpec = task_spec(ZeroShotClassifier, "ClassifySpec")
    RouteSpec = task_spec(Router, "RouteSpec")


def _explain(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "options"
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown option {where!r}")
        else:
            parts.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
    return "; ".join(parts)
