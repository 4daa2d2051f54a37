"""EntailkitRerank: a LlamaIndex node postprocessor that reranks with an entailkit Reranker."""

from __future__ import annotations

from typing import Any

import llama_index.core.instrumentation as instrument
from llama_index.core.bridge.pydantic import Field, PrivateAttr, field_serializer
from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from entailkit.adapters import (
    dump_object,
    load_calibrator,
    model_name,
    recorded_kind,
    resolve_scorer,
)
from entailkit.errors import InvalidInputError
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.specs import RerankSpec, fold_spec_options

__all__ = ["EntailkitRerank"]

dispatcher = instrument.get_dispatcher(__name__)


class EntailkitRerank(BaseNodePostprocessor):
    """Rerank retrieved nodes by entailment (NLI) or relevance score; returns new NodeWithScore objects.

    ``scorer`` is an entailkit Scorer, a model id / path (shared per process) or a configured entailkit
    ``Reranker``. The rerank options are the Reranker's own (``RerankSpec``: ``top_n``, ``threshold``,
    ``query_template``, ...), given flat or as ``spec=``.

    ``apostprocess_nodes`` scores on entailkit's shared micro-batcher (``Reranker.arerank``), off the event
    loop. Each call emits the ``ReRankStartEvent`` / ``ReRankEndEvent`` instrumentation events and the
    legacy ``CBEventType.RERANKING`` callback event. ``from_dict(to_dict())`` loads the same model again.
    """

    spec: RerankSpec = Field(default_factory=RerankSpec, description="The entailkit Reranker's options.")
    keep_retrieval_score: bool = Field(
        default=False, description="Copy the retrieval score into metadata['retrieval_score']."
    )
    metadata_mode: MetadataMode = Field(default=MetadataMode.NONE, description="Node text that is scored.")
    use_retrieval_score: bool | None = Field(
        default=None,
        description=(
            "Fuse each node's retrieval score (Reranker first_stage_scores=) into a relevance model trained on "
            "top of that retriever; None: exactly when the model was (scorer.info.first_stage)."
        ),
    )
    model: str = Field(default="", description="The scoring model's path or hub id (from_dict loads it).")
    kind: str | None = Field(default=None, description="The kind the model is loaded as (None: from its config).")
    calibrator: Any = Field(default=None, description="The fitted calibrator of the scores, or None.")
    _reranker: Reranker = PrivateAttr()

    def __init__(
        self,
        scorer: Any = None,
        *,
        model: str | None = None,
        kind: str | None = None,
        keep_retrieval_score: bool = False,
        metadata_mode: MetadataMode = MetadataMode.NONE,
        calibrator: Any = None,
        use_retrieval_score: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Build (or take) the Reranker; options are checked here, not at the first query.

        Args:
            scorer: An entailkit Scorer, a model id / path (loaded once per process), or a configured
                ``Reranker`` (then no rerank options and no calibrator). None: load ``model``.
            model: The model id to load when ``scorer`` is None (what ``to_dict`` records).
            kind: The kind a model id is loaded as (None: read from the model's config).
            keep_retrieval_score: Copy each node's retrieval score into ``metadata["retrieval_score"]``
                (left out of the LLM and embedding metadata).
            metadata_mode: Which node text is scored (``MetadataMode.NONE``: the content alone).
            calibrator: A fitted calibrator for the scores (or its ``to_dict`` form), or None.
            use_retrieval_score: Fuse each node's retrieval score into a relevance model trained on top of
                that retriever (None: exactly when the model was, ``scorer.info.first_stage``).
            **kwargs: The Reranker's options, flat (``top_n``, ``threshold``, ``query_template``, ...) or as
                ``spec=``, and other ``BaseNodePostprocessor`` fields.

        Raises:
            InvalidInputError: A configured Reranker given with options or a calibrator, a ``scorer`` that is
                neither a Scorer nor a model id, or a bad rerank option.
            ModelLoadError: A model id that cannot be loaded.
        """
        kwargs = fold_spec_options(kwargs, RerankSpec)
        if isinstance(scorer, Reranker):
            if "spec" in kwargs or calibrator is not None:
                raise InvalidInputError("a configured Reranker carries its options: pass it alone.")
            reranker = scorer
        else:
            spec = RerankSpec.parse(kwargs.pop("spec", None))
            resolved = resolve_scorer(scorer, model, kind, "EntailkitRerank")
            reranker = spec.build(resolved, calibrator=load_calibrator(calibrator))
        kwargs["spec"] = RerankSpec.of(reranker)
        given = scorer if scorer is not None else model
        super().__init__(
            keep_retrieval_score=keep_retrieval_score,
            metadata_mode=metadata_mode,
            use_retrieval_score=use_retrieval_score,
            model=model_name(reranker.scorer),
            kind=recorded_kind(given, kind, reranker.scorer),
            calibrator=reranker.calibrator,
            **kwargs,
        )
        self._reranker = reranker

    @field_serializer("calibrator")
    def _dump_calibrator(self, value: Any) -> Any:
        return dump_object(value)

    @property
    def top_n(self) -> int | None:
        """Nodes kept after reranking (None keeps all)."""
        return self._reranker.top_n

    @property
    def threshold(self) -> float | None:
        """Nodes scoring below this are dropped (None: none are)."""
        return self._reranker.threshold

    @classmethod
    def class_name(cls) -> str:
        return "EntailkitRerank"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query = self._start(nodes, query_bundle)
        with self.callback_manager.event(CBEventType.RERANKING, payload=self._payload(nodes, query)) as event:
            out: list[NodeWithScore] = []
            if nodes:
                texts = [n.node.get_content(metadata_mode=self.metadata_mode) for n in nodes]
                result = self._reranker.rerank(query.query_str, texts, first_stage_scores=self._first_stage(nodes))
                out = [self._copy(nodes[item.index], item.score) for item in result.items]
            event.on_end(payload={EventPayload.NODES: out})
        dispatcher.event(ReRankEndEvent(nodes=out))
        return out

    @dispatcher.span
    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query = self._start(nodes, query_bundle)
        with self.callback_manager.event(CBEventType.RERANKING, payload=self._payload(nodes, query)) as event:
            out: list[NodeWithScore] = []
            if nodes:
                texts = [n.node.get_content(metadata_mode=self.metadata_mode) for n in nodes]
                result = await self._reranker.arerank(
                    query.query_str, texts, first_stage_scores=self._first_stage(nodes)
                )
                out = [self._copy(nodes[item.index], item.score) for item in result.items]
            event.on_end(payload={EventPayload.NODES: out})
        dispatcher.event(ReRankEndEvent(nodes=out))
        return out

    def _start(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> QueryBundle:
        if query_bundle is None:
            raise ValueError("EntailkitRerank needs the query: pass query_bundle (or query_str).")
        dispatcher.event(
            ReRankStartEvent(query=query_bundle, nodes=nodes, top_n=self._top_k(nodes), model_name=self.model)
        )
        return query_bundle

    def _top_k(self, nodes: list[NodeWithScore]) -> int:
        return self.top_n if self.top_n is not None else len(nodes)

    def _payload(self, nodes: list[NodeWithScore], query: QueryBundle) -> dict[str, Any]:
        return {
            EventPayload.NODES: nodes,
            EventPayload.MODEL_NAME: self.model,
            EventPayload.QUERY_STR: query.query_str,
            EventPayload.TOP_K: self._top_k(nodes),
        }

    def _first_stage(self, nodes: list[NodeWithScore]) -> list[float] | None:
        """The nodes' retrieval scores when they are to be fused (see ``use_retrieval_score``)."""
        use = self.use_retrieval_score
        if use is None:
            use = self._reranker.scorer.info.first_stage is not None
        if not use:
            return None
        scores = [n.score for n in nodes]
        missing = [i for i, score in enumerate(scores) if score is None]
        if missing:
            raise InvalidInputError(
                f"use_retrieval_score needs every node's retrieval score; nodes {missing[:5]} have score None"
            )
        return [float(score) for score in scores if score is not None]

    def _copy(self, original: NodeWithScore, score: float) -> NodeWithScore:
        node = original.node
        if self.keep_retrieval_score:
            node = node.model_copy(
                update={
                    "metadata": {**node.metadata, "retrieval_score": original.score},
                    "excluded_llm_metadata_keys": [*node.excluded_llm_metadata_keys, "retrieval_score"],
                    "excluded_embed_metadata_keys": [*node.excluded_embed_metadata_keys, "retrieval_score"],
                }
            )
        return NodeWithScore(node=node, score=score)
