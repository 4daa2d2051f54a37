"""Public result and config models (pydantic v2, frozen, JSON-serialisable).

Scores are probabilities in [0, 1]; raw logits ride along so callers can re-normalise or calibrate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_serializer

from entailkit.errors import InvalidInputError

Span = tuple[int, int]
"""Character span ``(start, end)`` into a text, end exclusive."""

ScorerKind = Literal["cross-encoder", "gliclass", "embedding", "onnx-cross-encoder"]
HeadKind = Literal["relevance", "nli2", "nli3", "cosine", "gliclass"]
"""What a model's output means: 1-logit relevance, 2-way NLI, 3-way NLI, embedding cosine, GLiClass."""
Normalization = Literal["softmax", "entailment_vs_contradiction"]
"""How NLI logits become probabilities: softmax over all classes, or entailment vs contradiction only
(the formula of transformers' zero-shot pipeline with ``multi_label=True``)."""
Truncation = Literal["window", "head", "error"]
"""Policy for pairs longer than the model's max length: sliding windows over the premise (max over
windows), cut the end of the premise (logged), or raise."""
NativeCall = Literal["pairs", "labels"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PairScore(_Frozen):
    """The scores of one (premise, hypothesis) pair.

    ``score`` is the one number the head means: relevance for 1-logit heads, entailment for NLI heads,
    clipped cosine for embedding models.
    """

    score: float
    entailment: float | None = None
    neutral: float | None = None
    contradiction: float | None = None
    relevance: float | None = None
    logits: tuple[float, ...] = ()
    window: Span | None = None
    """Character span of the premise window that gave ``score`` (None when the whole premise fit)."""
    num_windows: int = 1
    truncated: bool = False
    """True when the ``head`` policy cut this pair to fit."""


class PairScores(_Frozen):
    """Scores of a batch of pairs, in input order."""

    items: tuple[PairScore, ...] = ()
    head: HeadKind
    normalization: Normalization | None = None

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
    multi_label: bool

    def as_dict(self) -> dict[str, float]:
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


class LabelledExample(_Frozen):
    """A labelled example for few-shot / retrieval-augmented classification (GLiClass RAC format)."""

    text: str
    true_labels: tuple[str, ...]
    all_labels: tuple[str, ...] = ()


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
    kind: ScorerKind
    head: HeadKind
    native: NativeCall
    id2label: dict[int, str] = Field(default_factory=dict)
    label_map: dict[str, int] = Field(default_factory=dict)
    """NLI role ("entailment", "neutral", "contradiction", "not_entailment") -> output index."""
    max_length: int
    device: str
    dtype: str
    revision: str | None = None
    first_stage: FirstStageFusion | None = None
    """Set for relevance models trained on top of a retriever's scores (``Reranker(first_stage_scores=)``)."""


# --- task results: rerank, groundedness, zero-shot classification (tasks/rerank, groundedness, classify) ---


def _jsonable(value: Any) -> Any:
    """A JSON-friendly copy of a caller's document or metadata, for dumping only (the object is kept)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, BaseModel):
        try:
            return value.model_dump(mode="json")
        except Exception:  # a pydantic model holding unserialisable values
            return {key: _jsonable(val) for key, val in dict(value).items()}
    if isinstance(value, dict):
        return {str(key): _jsonable(val) for key, val in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    text = getattr(value, "page_content", None)
    if text is None:
        text = getattr(value, "text", None)
    if isinstance(text, str):
        return {"text": text, "metadata": _jsonable(getattr(value, "metadata", None))}
    return str(value)


def _is_container(value: Any) -> bool:
    return isinstance(value, (BaseModel, dict, list, tuple, set, frozenset)) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


class _FrozenAny(_Frozen):
    """A frozen model that may hold the caller's own objects (kept as they are, never copied)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class RerankItem(_FrozenAny):
    """One reranked document: where it was in the input, its score and the caller's object itself."""

    index: int
    """Position of the document in the input list."""
    score: float
    """Relevance in [0, 1]: entailment (NLI) or relevance probability, calibrated if a calibrator is set."""
    raw_score: float
    """The model's score before calibration."""
    text: str
    """The text that was scored."""
    document: Any = None
    """The caller's document object itself (same identity, never mutated); a str input is the str."""
    metadata: Any = None
    """The document's metadata object as given (same identity), or None."""
    window: Span | None = None
    """Character span of the best window of ``text`` when it was too long for one pass, else None."""
    num_windows: int = 1
    pair: PairScore
    """Everything the model said about this (passage, query) pair: class probabilities, logits."""
    first_stage_score: float | None = None
    """The retriever's score passed in ``first_stage_scores`` (fused into ``raw_score``), else None."""

    @field_serializer("document", "metadata", mode="wrap")
    def _dump_caller_object(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except Exception:  # pydantic cannot dump it to JSON: plain containers field by field, else text + metadata
            if value is self.document and not _is_container(value):
                return {"text": self.text, "metadata": _jsonable(self.metadata)}
            return _jsonable(value)


class RerankResult(_Frozen):
    """Documents sorted by descending score (stable: ties keep input order), filtered and cut."""

    query: str
    hypothesis: str
    """What the model scored as the claim: the templated query for NLI heads, the raw query otherwise."""
    items: tuple[RerankItem, ...] = ()
    num_documents: int
    """How many documents came in (before ``threshold`` and ``top_n``)."""
    head: HeadKind
    calibrated: bool = False
    threshold: float | None = None
    top_n: int | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[RerankItem]:  # type: ignore[override]
        return iter(self.items)

    def __getitem__(self, index: int) -> RerankItem:
        return self.items[index]

    @property
    def documents(self) -> list[Any]:
        """The caller's document objects in ranked order."""
        return [item.document for item in self.items]

    @property
    def indices(self) -> list[int]:
        """Input positions in ranked order."""
        return [item.index for item in self.items]

    @property
    def scores(self) -> list[float]:
        return [item.score for item in self.items]


SentenceVerdict = Literal["supported", "contradicted", "unsupported"]
GroundednessAggregate = Literal["mean", "min"]
"""How sentence scores become the answer's ``aggregate_score``: their mean or their minimum."""


class Evidence(_Frozen):
    """The context window that best supports (or contradicts) a sentence."""

    context_index: int
    """Index of the context passage in the ``contexts`` given to ``check``."""
    span: Span
    """Character span of the window inside that context passage."""
    text: str
    entailment: float
    contradiction: float | None = None


class SentenceCheck(_Frozen):
    """The verdict on one sentence (or claim) of an answer."""

    index: int
    text: str
    span: Span | None
    """Character span in the answer; None when a custom splitter returned text not found in it."""
    verdict: SentenceVerdict
    score: float
    """Support in [0, 1]: the best entailment over all context windows, calibrated if a calibrator is set."""
    entailment: float
    """Best raw entailment probability over all context windows."""
    contradiction: float | None = None
    """Best contradiction probability over all windows (3-label models only)."""
    supporting: Evidence | None = None
    contradicting: Evidence | None = None
    num_windows: int = 0
    """How many context windows the sentence was scored against."""

    @property
    def evidence(self) -> Evidence | None:
        """The evidence behind the verdict: the contradicting window if contradicted, else the supporting."""
        return self.contradicting if self.verdict == "contradicted" else self.supporting


class GroundednessReport(_Frozen):
    """How well an answer is supported by its contexts, sentence by sentence."""

    answer: str
    question: str | None = None
    sentences: tuple[SentenceCheck, ...] = ()
    score: float
    """Fraction of sentences that are supported (0.0 for an answer without a checkable sentence)."""
    min_score: float
    mean_score: float
    aggregate: GroundednessAggregate
    aggregate_score: float
    """``mean_score`` or ``min_score``, as ``aggregate`` says."""
    grounded: bool
    """``aggregate_score >= threshold``, no sentence contradicted, and at least one sentence checked."""
    threshold: float
    head: HeadKind
    num_contexts: int
    no_sentences: bool = False
    """True when the answer has no checkable sentence (empty, blank, or without a letter or digit, e.g.
    emoji only): nothing could be verified, so it is not grounded and every score is 0.0."""

    def _with(self, verdict: SentenceVerdict) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.verdict == verdict]

    @property
    def supported(self) -> list[SentenceCheck]:
        return self._with("supported")

    @property
    def contradicted(self) -> list[SentenceCheck]:
        return self._with("contradicted")

    @property
    def unsupported(self) -> list[SentenceCheck]:
        return self._with("unsupported")


class Classification(_Frozen):
    """Zero-shot labels of one text, sorted by descending score (ties keep the given order)."""

    text: str
    labels: tuple[str, ...]
    scores: tuple[float, ...]
    predicted: tuple[str, ...]
    """Labels at or above the threshold (multi-label), or the top label (single-label, if above it)."""
    multi_label: bool
    threshold: float | None = None
    examples: tuple[LabelledExample, ...] = ()
    """The labelled examples the model saw for this text (given or retrieved)."""

    @property
    def top(self) -> str | None:
        return self.labels[0] if self.labels else None

    @property
    def top_score(self) -> float | None:
        return self.scores[0] if self.scores else None

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.labels, self.scores, strict=True))


# --- task results: routing and calibration (tasks/routing.py, tasks/calibration.py) ---

CalibrationMethod = Literal["temperature", "platt", "isotonic"]
"""How raw scores become calibrated probabilities: one temperature on the log-odds, Platt's 1-D logistic
regression on the log-odds, or a monotone step function (isotonic regression)."""
RouteSignal = Literal["zero-shot", "knn", "both", "blend", "fallback"]
"""Which signal decided a route: zero-shot alone, kNN alone, both agreeing, only their blend, or none
(no route passed its threshold, so the fallback was taken)."""


class CalibrationReport(_Frozen):
    """Expected calibration error (ECE) of one split before and after calibration."""

    split: Literal["calibration", "held_out"]
    n: int
    positives: int
    ece_before: float
    ece_after: float
    n_bins: int = 15


class PrecisionPoint(_Frozen):
    """Precision and recall of ``calibrated score >= threshold`` on the calibration data."""

    threshold: float
    precision: float
    recall: float
    support: int
    """How many calibration items scored at or above the threshold."""


class Route(_Frozen):
    """A destination for queries: a name, a description the zero-shot model reads, example utterances
    for the kNN signal, and an optional threshold under which the route is not taken."""

    name: str
    description: str
    examples: tuple[str, ...] = ()
    threshold: float | None = None

    def __init__(
        self,
        name: str,
        description: str,
        examples: Sequence[str] = (),
        threshold: float | None = None,
    ) -> None:
        from entailkit._validation import check_probability, check_text, check_texts

        for field, value in (("name", name), ("description", description)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(f"Route {field} must be a non-empty str, got {value!r}.")
            check_text(value, f"Route {field}")
        texts = check_texts(examples, f"Route {name!r} examples")
        fields: dict[str, object] = {
            "name": name,
            "description": description,
            "examples": tuple(texts),
            "threshold": check_probability(threshold, f"Route {name!r} threshold"),
        }
        super().__init__(**fields)


class RouteDecision(_Frozen):
    """Where one query goes, with every route's score and the signal that decided."""

    query: str
    route: str | None
    """The chosen route, or the fallback (None when there is no fallback) if no route passed its threshold."""
    routes: tuple[str, ...] = ()
    """Every route that passed its threshold, best first (one at most unless the router is multi)."""
    scores: dict[str, float]
    """Final score of every route (blend of the signals, calibrated when the router has a calibrator)."""
    zero_shot: dict[str, float]
    knn: dict[str, float] | None = None
    """kNN vote of every route, or None when the router has no example signal for this query."""
    decided_by: RouteSignal
    abstained: bool = False
    blend_weight: float = 0.0


class RouteMetrics(_Frozen):
    """Precision and recall of one route on labelled queries."""

    precision: float
    recall: float
    f1: float
    support: int
    """Queries whose true routes include this one."""
    predicted: int
    """Queries routed here."""


class RouterReport(_Frozen):
    """How a router did on labelled queries (``Router.fit`` and ``Router.evaluate``)."""

    split: Literal["fit", "evaluate"]
    n: int
    accuracy: float
    """Share of queries whose decision matches the label exactly (abstaining on out-of-scope counts)."""
    abstention_rate: float
    per_route: dict[str, RouteMetrics]
    blend_weight: float
    thresholds: dict[str, float]
    signals: tuple[str, ...]
    """The signals the router used: ("zero-shot",) or ("zero-shot", "knn")."""
    blend_search: tuple[tuple[float, float], ...] = ()
    """(blend weight, accuracy) for every weight ``fit`` tried."""


# --- task results: passage de-duplication and contradiction filter (tasks/dedup.py) ---

PassageAction = Literal["keep", "drop", "flag"]
PassageReason = Literal["duplicate", "contradiction"]


class PassageDecision(_Frozen):
    """What the passage filter does with one passage, and which higher-ranked passage caused it."""

    index: int
    """Position of the passage in the input (rank order)."""
    action: PassageAction
    reason: PassageReason | None = None
    """None for a plain keep; ``duplicate`` (entailed by ``of``) or ``contradiction`` (contradicts ``of``)."""
    of: int | None = None
    """Input position of the higher-ranked passage that entails or contradicts this one."""
    score: float | None = None
    """The entailment (duplicate) or contradiction probability behind the decision."""


class PassageFilterResult(_Frozen):
    """Decisions for every passage in input order; ``kept`` lists the positions that stay (flagged ones too)."""

    decisions: tuple[PassageDecision, ...] = ()
    head: HeadKind
    num_pairs: int = 0
    """How many (higher-ranked, lower-ranked) pairs the scorer saw."""

    def __len__(self) -> int:
        return len(self.decisions)

    def __iter__(self) -> Iterator[PassageDecision]:  # type: ignore[override]
        return iter(self.decisions)

    def __getitem__(self, index: int) -> PassageDecision:
        return self.decisions[index]

    @property
    def kept(self) -> list[int]:
        return [d.index for d in self.decisions if d.action != "drop"]

    @property
    def dropped(self) -> list[int]:
        return [d.index for d in self.decisions if d.action == "drop"]

    @property
    def flagged(self) -> list[int]:
        return [d.index for d in self.decisions if d.action == "flag"]


# --- labelled-example retrieval (index.py) ---


class ExampleHit(_Frozen):
    """A labelled example found by ``ExampleStore.search``, with its cosine similarity to the query."""

    example: LabelledExample
    similarity: float
