"""Request bodies of the HTTP API (pydantic, strict); responses are built from entailkit's own result types.

Strict like the library: no coercion (``true`` is not an int, ``"yes"`` is not a bool, ``1`` is not a
str); an int is accepted where a number is expected. Short name-like fields have a fixed length cap here;
the lengths that depend on the server's options (query, labels, texts) are checked in
:mod:`entailkit.serve.limits`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "NAME_CHARS",
    "CheckRequest",
    "CheckStreamRequest",
    "ClassifyRequest",
    "FirstStageScores",
    "FullRerankRequest",
    "Name",
    "RerankRequest",
    "RouteRequest",
    "TeiRerankRequest",
]

NAME_CHARS = 256
"""Most characters of a name-like field (``model``, ``rank_fields`` entries, ``truncation_direction``)."""

Name = Annotated[str, Field(max_length=NAME_CHARS)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


FirstStageScores = Annotated[
    list[float] | None,
    Field(
        description="One retriever score per document, for relevance models trained on top of that retriever "
        "(the model's info.first_stage); refused by other models."
    ),
]


class RerankRequest(_Body):
    """Cohere / Jina rerank (``/v1/rerank``, ``/v2/rerank``): documents as strings or ``{"text": ...}``."""

    model: Name | None = Field(None, description="Accepted for compatibility; the server's model is used.")
    query: str
    documents: list[str | dict[str, Any]]
    top_n: int | None = Field(
        None, ge=1, description="Keep the best N (default: the server's Reranker's, all unless set)."
    )
    return_documents: bool = Field(False, description="Include each document as {'text': ...} in results.")
    max_tokens_per_doc: int | None = Field(
        None, ge=1, description="Accepted for compatibility: long documents are scored in sliding windows."
    )
    rank_fields: list[Name] | None = Field(None, description="Cohere v1: the key of the text in object documents.")
    first_stage_scores: FirstStageScores = None


class FullRerankRequest(_Body):
    """entailkit's own rerank (``/v1/rerank/full``): the full RerankResult comes back."""

    query: str
    documents: list[str | dict[str, Any]]
    top_n: int | None = Field(
        None, ge=1, description="Keep the best N (default: the server's Reranker's, all unless set)."
    )
    threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Drop documents scoring below this (default: the server's Reranker's)."
    )
    first_stage_scores: FirstStageScores = None


class TeiRerankRequest(_Body):
    """text-embeddings-inference ``/rerank``."""

    query: str
    texts: list[str]
    raw_scores: bool = Field(False, description="Return the model's logit instead of the probability.")
    return_text: bool = False
    truncate: bool = Field(False, description="Accepted for compatibility: long texts are scored in windows.")
    truncation_direction: Name | None = None


class ClassifyRequest(_Body):
    """Zero-shot classification of ``texts`` into ``labels`` (names, or {name: description})."""

    texts: list[str]
    labels: list[str] | dict[str, str]
    multi_label: bool = False
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    hypothesis_template: str | None = Field(
        None, description="NLI hypothesis template with one {} (default: the server's ZeroShotClassifier's)."
    )


class CheckRequest(_Body):
    """Is every sentence of ``answer`` supported by ``contexts``? Options left out are the server's checker's."""

    answer: str
    contexts: list[str]
    question: str | None = None
    threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Entailment needed for 'supported' (default: the server's, 0.5 unless set)."
    )
    contradiction_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Contradiction needed for 'contradicted' (default: the server's)."
    )
    aggregate: Literal["min", "mean"] | None = Field(
        None,
        description="min or mean of sentence scores: the report's 'score', which decides 'grounded' (default: the "
        "server's, 'min' unless set).",
    )


class CheckStreamRequest(CheckRequest):
    """``/v1/check/stream``: the answer whole (``answer``) or as the LLM streamed it (``chunks``), checked
    sentence by sentence; ``policy`` says what the emitted text of a failing sentence is."""

    answer: str | None = None  # type: ignore[assignment]
    chunks: list[str] | None = None
    policy: Literal["flag", "drop", "stop"] = "flag"


class RouteRequest(_Body):
    """One ``query`` or a list of ``queries`` to route with the server's routes file."""

    query: str | None = None
    queries: list[str] | None = None
