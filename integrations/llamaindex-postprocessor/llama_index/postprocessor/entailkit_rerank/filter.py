"""EntailkitDocumentFilter: drop near-duplicate nodes and flag (or drop) contradicting ones.

The decisions come from ``entailkit.tasks.dedup.filter_passages``, the same code the LangChain adapter uses.
"""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from entailkit.adapters import model_name, recorded_kind, resolve_scorer
from entailkit.tasks.dedup import filter_passages
from entailkit.types import PassageDecision

__all__ = ["FLAG_KEY", "FLAG_SCORE_KEY", "EntailkitDocumentFilter"]

FLAG_KEY = "entailkit_contradicts"
"""Metadata key of a flagged node: the id of the higher-ranked node it contradicts."""
FLAG_SCORE_KEY = "entailkit_contradiction"
"""Metadata key of a flagged node: the contradiction probability."""


class EntailkitDocumentFilter(BaseNodePostprocessor):
    """Filter nodes in rank order (best first): a node entailed by a kept higher-ranked node is dropped as a
    near-duplicate; one contradicted by it is flagged in metadata, dropped, or kept (``on_contradiction``).

    Returns new NodeWithScore objects (flagged nodes are copies with two extra metadata keys).
    ``apostprocess_nodes`` runs the filter in a worker thread, off the event loop (LlamaIndex's default);
    ``from_dict(to_dict())`` loads the same model again.
    """

    duplicate_threshold: float = Field(default=0.9, description="Entailment at which a node is a duplicate.")
    contradiction_threshold: float = Field(default=0.5, description="Contradiction at which a node is flagged.")
    on_contradiction: Literal["flag", "drop", "keep"] = Field(default="flag")
    metadata_mode: MetadataMode = Field(default=MetadataMode.NONE, description="Node text that is compared.")
    model: str = Field(default="", description="The scoring model's path or hub id (from_dict loads it).")
    kind: str | None = Field(default=None, description="The kind the model is loaded as (None: from its config).")
    _scorer: Any = PrivateAttr()

    def __init__(
        self,
        scorer: Any = None,
        *,
        model: str | None = None,
        kind: str | None = None,
        duplicate_threshold: float = 0.9,
        contradiction_threshold: float = 0.5,
        on_contradiction: Literal["flag", "drop", "keep"] = "flag",
        metadata_mode: MetadataMode = MetadataMode.NONE,
        **kwargs: Any,
    ) -> None:
        """Resolve the scorer and check it and the thresholds now, on no passages.

        Args:
            scorer: An entailkit Scorer (NLI, GLiClass or embedding) or a model id / path (loaded once per
                process); None: load ``model``.
            model: The model id to load when ``scorer`` is None (what ``to_dict`` records).
            kind: The kind a model id is loaded as (None: read from the model's config).
            duplicate_threshold: The entailment (or cosine) at which a node duplicates a kept higher-ranked
                one, in [0, 1].
            contradiction_threshold: The contradiction probability at which a node contradicts a kept
                higher-ranked one, in [0, 1] (3-label NLI models only).
            on_contradiction: ``"flag"`` (metadata ``entailkit_contradicts`` and ``entailkit_contradiction``),
                ``"drop"`` or ``"keep"``.
            metadata_mode: Which node text is compared (``MetadataMode.NONE``: the content alone).
            **kwargs: Other ``BaseNodePostprocessor`` fields.

        Raises:
            InvalidInputError: A ``scorer`` that is neither a Scorer nor a model id, a relevance model, or a
                bad threshold or ``on_contradiction``.
            ModelLoadError: A model id that cannot be loaded.
        """
        resolved = resolve_scorer(scorer, model, kind, "EntailkitDocumentFilter")
        filter_passages(  # validate scorer head and thresholds now, on no passages
            resolved,
            [],
            duplicate_threshold=duplicate_threshold,
            contradiction_threshold=contradiction_threshold,
            on_contradiction=on_contradiction,
        )
        super().__init__(
            duplicate_threshold=duplicate_threshold,
            contradiction_threshold=contradiction_threshold,
            on_contradiction=on_contradiction,
            metadata_mode=metadata_mode,
            model=model_name(resolved),
            kind=recorded_kind(scorer if scorer is not None else model, kind, resolved),
            **kwargs,
        )
        self._scorer = resolved

    @classmethod
    def class_name(cls) -> str:
        return "EntailkitDocumentFilter"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if not nodes:
            return []
        result = filter_passages(
            self._scorer,
            [n.node.get_content(metadata_mode=self.metadata_mode) for n in nodes],
            duplicate_threshold=self.duplicate_threshold,
            contradiction_threshold=self.contradiction_threshold,
            on_contradiction=self.on_contradiction,
        )
        return [self._copy(nodes, d) for d in result.decisions if d.action != "drop"]

    @staticmethod
    def _copy(nodes: list[NodeWithScore], decision: PassageDecision) -> NodeWithScore:
        original = nodes[decision.index]
        node = original.node
        if decision.action == "flag" and decision.of is not None:
            keys = [FLAG_KEY, FLAG_SCORE_KEY]
            node = node.model_copy(
                update={
                    "metadata": {
                        **node.metadata,
                        FLAG_KEY: nodes[decision.of].node.node_id,
                        FLAG_SCORE_KEY: decision.score,
                    },
                    "excluded_embed_metadata_keys": [*node.excluded_embed_metadata_keys, *keys],
                }
            )
        return NodeWithScore(node=node, score=original.score)
