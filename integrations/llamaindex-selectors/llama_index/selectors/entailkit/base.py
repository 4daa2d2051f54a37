"""EntailkitSelector: pick query engines / retrievers by zero-shot NLI over their descriptions (no LLM)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.base_selector import BaseSelector, SelectorResult, SingleSelection
from llama_index.core.prompts.mixin import PromptDictType
from llama_index.core.schema import QueryBundle
from llama_index.core.tools.types import ToolMetadata

from entailkit.adapters import (
    SerialisableMixin,
    model_name,
    recorded_kind,
    resolve_scorer,
)
from entailkit.errors import InvalidInputError
from entailkit.tasks.routing import DEFAULT_ROUTE_TEMPLATE, Router
from entailkit.types import Route, RouteDecision

__all__ = ["EntailkitSelector"]

logger = logging.getLogger(__name__)


class EntailkitSelector(SerialisableMixin, BaseSelector):
    """Score the query against every choice's description with an entailkit Router.

    Single mode (``multi=False``) takes the best choice whose softmax score reaches ``threshold``; multi
    mode takes every choice whose entailment reaches it (0.5 by default), best first, at most
    ``max_outputs``. When nothing passes, ``fallback_index`` is selected if given, else no choice
    (RouterQueryEngine / RouterRetriever then raise "Failed to select"). Reasons carry the scores.

    ``aselect`` scores on entailkit's shared micro-batcher (``Router.aroute``), off the event loop.
    ``from_dict(to_dict())`` (and ``from_json``) loads the same model again.
    """

    def __init__(
        self,
        scorer: Any = None,
        *,
        model: str | None = None,
        kind: str | None = None,
        multi: bool = False,
        threshold: float | None = None,
        max_outputs: int | None = None,
        fallback_index: int | None = None,
        hypothesis_template: str = DEFAULT_ROUTE_TEMPLATE,
    ) -> None:
        """Check the options once (with a one-choice Router) so a bad one fails here.

        Args:
            scorer: An entailkit Scorer, or a model id / path (loaded once per process); None: load ``model``.
            model: The model id to load when ``scorer`` is None (what ``to_dict`` records).
            kind: The kind a model id is loaded as (None: read from the model's config).
            multi: Select every choice that reaches ``threshold`` instead of the best one.
            threshold: The score a choice needs, in [0, 1]; None: 0.5 in multi mode, 0.0 (always the best
                choice) otherwise.
            max_outputs: In multi mode, select at most this many choices (None: all that pass).
            fallback_index: The choice selected when none passes (None: select nothing).
            hypothesis_template: How a choice's description becomes the hypothesis, with one ``{}``.

        Raises:
            InvalidInputError: A bad ``max_outputs``, ``fallback_index``, ``threshold``, ``multi`` or template,
                or a ``scorer`` that is neither a Scorer nor a model id.
            ModelLoadError: A model id that cannot be loaded.
        """
        if max_outputs is not None and (
            isinstance(max_outputs, bool) or not isinstance(max_outputs, int) or max_outputs < 1
        ):
            raise InvalidInputError(f"max_outputs must be a positive int or None, got {max_outputs!r}.")
        if fallback_index is not None and (
            isinstance(fallback_index, bool) or not isinstance(fallback_index, int) or fallback_index < 0
        ):
            raise InvalidInputError(
                f"fallback_index must be a choice index (int >= 0) or None, got {fallback_index!r}."
            )
        self.scorer = resolve_scorer(scorer, model, kind, "EntailkitSelector")
        self.kind = recorded_kind(scorer if scorer is not None else model, kind, self.scorer)
        self.multi = multi
        self.threshold = threshold
        self.max_outputs = max_outputs
        self.fallback_index = fallback_index
        self.hypothesis_template = hypothesis_template
        self._routers: dict[tuple[str, ...], Router] = {}
        self._router(["check"])  # validate threshold / template / multi now, not at the first query

    @classmethod
    def class_name(cls) -> str:
        return "EntailkitSelector"

    def _config(self) -> dict[str, Any]:
        return {
            "model": model_name(self.scorer),
            "kind": self.kind,
            "multi": self.multi,
            "threshold": self.threshold,
            "max_outputs": self.max_outputs,
            "fallback_index": self.fallback_index,
            "hypothesis_template": self.hypothesis_template,
        }

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        pass

    def _router(self, descriptions: Sequence[str]) -> Router:
        key = tuple(descriptions)
        if key not in self._routers:
            routes = [Route(name=str(i), description=d) for i, d in enumerate(descriptions)]
            self._routers[key] = Router(
                self.scorer,
                routes,
                multi=self.multi,
                threshold=self.threshold,
                hypothesis_template=self.hypothesis_template,
            )
        return self._routers[key]

    def decide(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> RouteDecision:
        """The entailkit decision behind a selection (route names are choice indices as str).

        Args:
            choices: The tools' metadata; each is scored by its description (else its name).
            query: The query.

        Raises:
            InvalidInputError: No choices, a choice with neither description nor name, or a blank query.
        """
        return self._router(_descriptions(choices)).route(query.query_str)

    async def adecide(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> RouteDecision:
        """``decide`` on entailkit's shared micro-batcher, off the event loop (``Router.aroute``).

        Raises:
            InvalidInputError: As ``decide``.
        """
        return await self._router(_descriptions(choices)).aroute(query.query_str)

    def _select(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> SelectorResult:
        return self._result(self.decide(choices, query), choices, query)

    async def _aselect(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> SelectorResult:
        return self._result(await self.adecide(choices, query), choices, query)

    def _result(self, decision: RouteDecision, choices: Sequence[ToolMetadata], query: QueryBundle) -> SelectorResult:
        """The selections (with their reasons) of an entailkit decision."""
        scores = {int(name): score for name, score in decision.scores.items()}
        chosen = [int(name) for name in decision.routes]
        if self.max_outputs is not None:
            chosen = chosen[: self.max_outputs]
        overview = ", ".join(f"{i}: {s:.3f}" for i, s in scores.items())
        if chosen:
            selections = [
                SingleSelection(
                    index=i,
                    reason=f"entailkit score {scores[i]:.3f} >= threshold {self._threshold_text()} "
                    f"for {_label(choices[i])} (all scores {overview})",
                )
                for i in chosen
            ]
        elif self.fallback_index is not None:
            if self.fallback_index >= len(choices):
                raise InvalidInputError(
                    f"fallback_index {self.fallback_index} is out of range for {len(choices)} choices."
                )
            selections = [
                SingleSelection(
                    index=self.fallback_index,
                    reason=f"abstained: no score reached threshold {self._threshold_text()} "
                    f"(all scores {overview}); fallback to {_label(choices[self.fallback_index])}",
                )
            ]
        else:
            logger.info("selector abstained for %r (scores %s)", query.query_str, overview)
            selections = []
        return SelectorResult(selections=selections)

    def _threshold_text(self) -> str:
        if self.threshold is not None:
            return f"{self.threshold:.3f}"
        return "0.500" if self.multi else "0.000"


def _descriptions(choices: Sequence[ToolMetadata]) -> list[str]:
    """Each choice's text to score: its description, else its name."""
    descriptions = []
    for i, choice in enumerate(choices):
        text = (choice.description or "").strip() or (choice.name or "").strip()
        if not text:
            raise InvalidInputError(f"choice {i} has neither a description nor a name to score.")
        descriptions.append(text)
    if not descriptions:
        raise InvalidInputError("no choices to select from.")
    return descriptions


def _label(choice: ToolMetadata) -> str:
    return repr(choice.name) if choice.name else repr((choice.description or "")[:60])
