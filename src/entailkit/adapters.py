"""What framework adapters share: the scorer of a component, and its (de)serialisation by model id.

A model path or hub id is loaded once per process (``entailkit.scorers.scorer_for``, over
``shared_scorer``). The LlamaIndex distributions (rerank, embeddings, selectors, evaluation) and the
Haystack components build on these helpers. ``to_dict`` records a
component's model by the id its scorer was loaded from (``scorer.info.model``) and the kind it was
resolved with, so ``Cls.from_dict(obj.to_dict())`` loads the same model again (shared with every other
component that names it); a fitted entailkit ``Calibrator`` is written out with it. Objects that have no
serialised form (another calibrator, a custom sentence splitter) are recorded as a marker that
``from_dict`` refuses unless the object is passed again (``Cls.from_dict(data, calibrator=obj)``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.scorers.shared import scorer_for
from entailkit.types import SentenceCheck

__all__ = [
    "DEFAULT_EMPTY_ANSWER",
    "UNSERIALISABLE",
    "SerialisableMixin",
    "check_restorable",
    "dump_object",
    "load_calibrator",
    "model_name",
    "recorded_kind",
    "resolve_scorer",
    "rewrite_answer",
]

DEFAULT_EMPTY_ANSWER = "I could not verify this answer against the retrieved context."
"""What a guard that strips failing sentences returns when it removed every one (never a silent "")."""

UNSERIALISABLE = "__entailkit_unserialisable__"
"""Key of the marker ``to_dict`` writes for an object it cannot serialise (its value: the type's name)."""

_T = TypeVar("_T", bound="SerialisableMixin")


def resolve_scorer(scorer: Any, model: Any, kind: str | None, owner: str) -> Scorer:
    """The scorer a component is built on: ``scorer`` (a Scorer or a model id), else the model id ``model``.

    Args:
        scorer: What the caller passed first (wins when given).
        model: The model id of a serialised component (``to_dict``'s ``model``).
        kind: The kind a model id is loaded as (None: read from the model's config).
        owner: The component's class name, for the error.

    Raises:
        InvalidInputError: Neither is given, or ``scorer`` is neither a Scorer nor a model id.
        ModelLoadError: A model id that cannot be loaded.
    """
    given = scorer if scorer is not None else model
    if given is None or given == "":
        raise InvalidInputError(
            f"{owner} needs a scorer: pass an entailkit Scorer or a model path / hub id "
            "(from_dict reads it from the dict's 'model')."
        )
    if isinstance(given, str) and not given.strip():
        raise InvalidInputError(f"{owner} needs a scorer: got a blank model id.")
    return scorer_for(given, kind if isinstance(given, str) else None)


def recorded_kind(given: Any, kind: str | None, scorer: Any) -> str | None:
    """The kind ``to_dict`` records: the one a model id was loaded with, or a scorer object's own kind.

    A component built from a model id keeps the kind it was given (usually None), so its ``from_dict``
    copy resolves to the very same shared scorer.
    """
    if isinstance(given, str):
        return kind
    info = getattr(scorer, "info", None)
    return getattr(info, "kind", None)


def model_name(scorer: Any) -> str:
    """The model id a scorer reports (the path or hub id it was loaded from), for events and ``to_dict``."""
    return str(getattr(getattr(scorer, "info", None), "model", type(scorer).__name__))


def dump_object(value: Any) -> Any:
    """A serialisable form of an object option: None, a pydantic model's dump, or the unserialisable marker."""
    if value is None:
        return None
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    return {UNSERIALISABLE: type(value).__name__}


def load_calibrator(value: Any) -> Any:
    """A calibrator from what ``to_dict`` wrote (a dict is an entailkit ``Calibrator``), or the object given."""
    if isinstance(value, Mapping):
        check_restorable("calibrator", value)
        from entailkit.tasks.calibration import Calibrator

        return Calibrator.model_validate(dict(value))
    return value


def check_restorable(name: str, value: Any) -> None:
    """Refuse the unserialisable marker: the object must be passed again."""
    if isinstance(value, Mapping) and UNSERIALISABLE in value:
        raise InvalidInputError(
            f"the serialised component held a {value[UNSERIALISABLE]} as {name!r}, which has no serialised "
            f"form; pass it again: from_dict(data, {name}=...)."
        )


class SerialisableMixin:
    """``to_dict`` / ``to_json`` / ``from_dict`` / ``from_json`` for components that are not pydantic models
    (LlamaIndex's ``BaseComponent`` format: the constructor's keywords plus ``class_name``)."""

    @classmethod
    def class_name(cls) -> str:
        return cls.__name__

    def _config(self) -> dict[str, Any]:  # pragma: no cover - every component defines it
        raise NotImplementedError

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """The component's options and model id (``from_dict`` rebuilds it)."""
        return {**self._config(), "class_name": self.class_name()}

    def to_json(self, **kwargs: Any) -> str:
        """``to_dict`` as JSON."""
        return json.dumps(self.to_dict(**kwargs))

    @classmethod
    def from_dict(cls: type[_T], data: Mapping[str, Any], **kwargs: Any) -> _T:
        """The component ``to_dict`` described; ``kwargs`` replace entries (e.g. ``scorer=`` a loaded scorer).

        Raises:
            InvalidInputError: The dict names another class, or holds an object with no serialised form that
                ``kwargs`` do not replace.
            ModelLoadError: Its model cannot be loaded.
        """
        options = {**dict(data), **kwargs}
        name = options.pop("class_name", cls.class_name())
        if name != cls.class_name():
            raise InvalidInputError(f"{cls.class_name()}.from_dict got the dict of a {name!r}.")
        for key, value in options.items():
            check_restorable(key, value)
        return cls(**options)

    @classmethod
    def from_json(cls: type[_T], data_str: str, **kwargs: Any) -> _T:
        """``from_dict`` of a JSON string."""
        return cls.from_dict(json.loads(data_str), **kwargs)


def rewrite_answer(
    answer: str,
    failing: Sequence[SentenceCheck],
    flag_format: str | None,
    empty_answer: str | None = DEFAULT_EMPTY_ANSWER,
) -> str:
    """``answer`` with the ``failing`` sentences marked by ``flag_format``, or removed when it is None.

    Removing a sentence also removes the whitespace after it; the rest of the answer is kept as it is.
    When removing leaves nothing, the result is ``empty_answer`` (None: the empty string), so a guard
    never hands on a silently empty answer.

    Args:
        answer: The checked answer (the report's ``answer``: the spans index it).
        failing: The sentences to mark or remove (a custom splitter's claim without a span is looked up by text).
        flag_format: ``"{sentence} [{verdict}]"``-style marking; None: remove.
        empty_answer: What a removal that leaves nothing returns.
    """
    edits: list[tuple[int, int, str]] = []
    cursor = 0
    for check in failing:
        start, end = check.span if check.span is not None else (answer.find(check.text, cursor), -1)
        if start < 0:
            continue
        end = end if end >= 0 else start + len(check.text)
        cursor = end
        if flag_format is None:
            while end < len(answer) and answer[end].isspace():
                end += 1
            edits.append((start, end, ""))
        else:
            edits.append((start, end, flag_format.format(sentence=answer[start:end], verdict=check.verdict)))
    if not edits:
        return answer
    text = answer
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    if flag_format is not None:
        return text
    return text.strip() or (empty_answer or "")
