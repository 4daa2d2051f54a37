"""What scorers return and say about themselves: pair and label scores, scorer info, score literals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from entailkit.types._base import _Frozen

__all__ = [
    "FIRST_STAGE_CONFIG_KEY",
    "HEAD_QUERY_INPUT",
    "HEAD_ROLES",
    "FirstStageFusion",
    "HeadKind",
    "LabelScores",
    "NativeCall",
    "Normalization",
    "PairScore",
    "PairScores",
    "QueryInput",
    "Role",
    "ScorerInfo",
    "ScorerKind",
    "Span",
    "TextLabelScores",
    "Truncation",
]

Span = tuple[int, int]
"""Character span ``(start, end)`` into a text, end exclusive."""

ScorerKind = Literal["cross-encoder", "gliclass", "embedding"]
"""The model family a scorer wraps (``load_scorer(kind=)``)."""
HeadKind = Literal["relevance", "nli2", "nli3", "cosine", "gliclass"]
"""What a model's output means: 1-logit relevance, 2-way NLI, 3-way NLI, embedding cosine, GLiClass."""
Role = Literal["entailment", "contradiction", "relevance", "similarity"]
"""What a scorer can judge: support of a claim, its contradiction, a passage's relevance to a query, or
closeness of two texts."""
QueryInput = Literal["query", "hypothesis"]
"""How a reranker hands a model the query: as it is (relevance, GLiClass, embedding models) or as a
hypothesis through the reranker's query template (NLI models; by default the query itself)."""

HEAD_ROLES: dict[str, tuple[Role, ...]] = {
    "relevance": ("relevance",),
    "nli2": ("entailment",),
    "nli3": ("entailment", "contradiction"),
    "gliclass": ("entailment",),
    "cosine": ("similarity",),
}
"""The roles each head can play: the one table tasks read (through ``ScorerInfo.roles``), never head names."""
HEAD_QUERY_INPUT: dict[str, QueryInput] = {
    "relevance": "query",
    "nli2": "hypothesis",
    "nli3": "hypothesis",
    "gliclass": "query",
    "cosine": "query",
}
"""How a reranker hands each head the query: NLI heads read it templated as a hypothesis, others as it is."""
Normalization = Literal["softmax", "entailment_vs_contradiction"]
"""How NLI logits become probabilities: softmax over all classes, or entailment vs contradiction only
(the formula of transformers' zero-shot pipeline with ``multi_label=True``)."""
Truncation = Literal["window", "head", "error"]
"""Policy for pairs longer than the model's max length: sliding windows over the premise (max over
windows), cut the end of the premise (logged), or raise."""
NativeCall = Literal["pairs", "labels"]
"""The call a backend implements natively (the other is built on top of it)."""


class PairScore(_Frozen):
    """The scores of one (premise, hypothesis) pair.

    ``score`` is the one number the head means: relevance for 1-logit heads, entailment for NLI heads,
    clipped cosine for embedding models.
    """

    score: float
    entailment: float | None = None
    """Entailment probability (NLI and GLiClass heads), else None."""
    neutral: float | None = None
    """Neutral probability (3-way NLI heads under ``"softmax"``), else None."""
    contradiction: float | None = None
    """Contradiction probability (3-way NLI heads), else None."""
    relevance: float | None = None
    """Relevance probability (1-logit heads; the clipped cosine for embedding models), else None."""
    logits: tuple[float, ...] = ()
    """The raw model outputs of the best window (the raw cosine for embedding models)."""
    window: Span | None = None
    """Character span of the premise window that gave ``score`` (None when the whole premise fit)."""
    num_windows: int = 1
    """How many premise windows were scored (1 when the premise fit)."""
    truncated: bool = False
    """True when the ``head`` policy cut this pair to fit."""


class PairScores(_Frozen):
    """Scores of a batch of pairs, in input order."""

    items: tuple[PairScore, ...] = ()
    head: HeadKind
    """The head of the scorer that produced them."""
    normalization: Normalization | None = None
    """The normalization NLI logits went through (None for heads without NLI classes)."""

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[PairScore]:  # type: ignore[override]
        return iter(self.items)

    def __getitem__(self, index: int) -> PairScore:
        return self.items[index]

    @property
    def scores(self) -> list[float]:
        """The ``score`` of every pair, in input order."""
        return [item.score for item in self.items]


class TextLabelScores(_Frozen):
    """The score of every candidate label for one text, labels in the order they were given."""

    labels: tuple[str, ...]
    scores: tuple[float, ...]
    """One score per label, in the order of ``labels``."""
    multi_label: bool
    """The ``multi_label`` the labels were scored with (True: each on its own, scores need not sum to 1)."""

    def as_dict(self) -> dict[str, float]:
        """Label -> score, in the given order."""
        return dict(zip(self.labels, self.scores, strict=True))

    def ranked(self) -> list[tuple[str, float]]:
        """Labels sorted by descending score (stable: ties keep the given order)."""
        return sorted(zip(self.labels, self.scores, strict=True), key=lambda pair: -pair[1])

    @property
    def top(self) -> str | None:
        """The best label, or None when there are no labels."""
        ranked = self.ranked()
        return ranked[0][0] if ranked else None


class LabelScores(_Frozen):
    """Label scores of a batch of texts, in input order."""

    items: tuple[TextLabelScores, ...] = ()

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[TextLabelScores]:  # type: ignore[override]
        return iter(self.items)

    def __getitem__(self, index: int) -> TextLabelScores:
        return self.items[index]


FIRST_STAGE_CONFIG_KEY = "entailkit_first_stage"
"""Key of the model config entry that holds a relevance model's ``FirstStageFusion``."""


class FirstStageFusion(_Frozen):
    """How a relevance model trained on top of a retriever adds the retriever's score to its logit.

    The fused relevance is ``sigmoid(logit + scale * first_stage_score + bias)``: ``scale`` and ``bias``
    are the logistic fit of the retriever's scores to the training labels, and the cross-encoder learned
    the rest (what the retriever gets wrong), so it ranks best with the retriever's score beside it.
    """

    scale: float
    bias: float
    source: str = "first-stage retriever score"
    """What the score was in training (e.g. the all-MiniLM-L6-v2 cosine): pass the same at inference."""


class ScorerInfo(_Frozen):
    """What a loaded scorer is: shown by ``entailkit info`` and saved with calibrations."""

    model: str
    """The model as it was named to ``load_scorer`` (a local path or a hub id)."""
    kind: ScorerKind
    head: HeadKind
    native: NativeCall
    id2label: dict[int, str] = Field(default_factory=dict)
    label_map: dict[str, int] = Field(default_factory=dict)
    """NLI role ("entailment", "neutral", "contradiction", "not_entailment") -> output index."""
    max_length: int
    """Tokens per model input; longer inputs follow the truncation policy."""
    device: str
    dtype: str
    revision: str | None = None
    """The hub revision it was loaded at, if one was given."""
    first_stage: FirstStageFusion | None = None
    """Set for relevance models trained on top of a retriever's scores (``Reranker(first_stage_scores=)``)."""
    roles: tuple[Role, ...] = ()
    """What the scorer can judge (from its head unless the backend says otherwise); tasks read this."""
    query_input: QueryInput = "query"
    """How a reranker hands it the query (from its head unless the backend says otherwise)."""

    @model_validator(mode="before")
    @classmethod
    def _roles_from_head(cls, data: Any) -> Any:
        """A backend that does not state roles or query input gets those of its head."""
        if isinstance(data, dict) and data.get("head") in HEAD_ROLES:
            data = dict(data)
            data.setdefault("roles", HEAD_ROLES[data["head"]])
            data.setdefault("query_input", HEAD_QUERY_INPUT[data["head"]])
        return data

    def can(self, role: Role) -> bool:
        """Whether the scorer can judge ``role`` (e.g. ``info.can("contradiction")``).

        Args:
            role: ``"entailment"``, ``"contradiction"``, ``"relevance"`` or ``"similarity"``.
        """
        return role in self.roles
