"""FakeScorer: a deterministic Scorer driven by a lookup table, for unit tests of the tasks (no torch).

Table keys are ``(premise_needle, hypothesis)``: an entry applies to a pair when the hypothesis is equal
and the needle occurs in the premise (window). Values are the entailment (or relevance) probability, or
``(entailment, contradiction)``. Several matching entries: the one with the highest entailment wins.
Tokens are whitespace-separated words; a premise longer than ``max_tokens`` minus the hypothesis is cut
into overlapping word windows, as the real cross-encoder does with token windows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from entailkit._labels import check_labels_per_text
from entailkit._validation import check_pairs, check_template, check_texts
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE
from entailkit.scorers.heads import first_stage_values, fuse_first_stage
from entailkit.types import (
    HeadKind,
    LabelledExample,
    LabelScores,
    NativeCall,
    Normalization,
    PairScore,
    PairScores,
    ScorerInfo,
    Span,
    TextLabelScores,
    Truncation,
)

Entry = float | tuple[float, float]

_ID2LABEL: dict[HeadKind, dict[int, str]] = {
    "relevance": {0: "LABEL_0"},
    "nli2": {0: "entailment", 1: "not_entailment"},
    "nli3": {0: "contradiction", 1: "entailment", 2: "neutral"},
    "cosine": {},
    "gliclass": {},
}


@dataclass
class Call:
    """One call made to the fake: which method, with what."""

    method: str
    premises: list[str] = field(default_factory=list)
    hypotheses: list[str] = field(default_factory=list)
    normalization: str | None = None
    examples: Any = None
    passes: int = 0
    """GLiClass-like fake: forward passes (one per distinct premise: all its hypotheses at once)."""


class FakeScorer:
    """A Scorer whose scores come from a table; records every call in ``calls``."""

    def __init__(
        self,
        table: Mapping[tuple[str, str], Entry] | None = None,
        *,
        head: HeadKind = "nli3",
        native: NativeCall | None = None,
        default: Entry = 0.1,
        max_tokens: int = 64,
        model: str | None = None,
    ) -> None:
        self.table: dict[tuple[str, str], tuple[float, float]] = {}
        for key, value in (table or {}).items():
            self.table[key] = _entry(value)
        self.default = _entry(default)
        self.head: HeadKind = head
        self._native: NativeCall = native or ("labels" if head == "gliclass" else "pairs")
        self.max_tokens = max_tokens
        self.calls: list[Call] = []
        label_map = {name: index for index, name in _ID2LABEL[head].items()} if head.startswith("nli") else {}
        kind = {"gliclass": "gliclass", "cosine": "embedding"}.get(head, "cross-encoder")
        self._info = ScorerInfo(
            model=model or f"fake-{head}",
            kind=kind,  # type: ignore[arg-type]
            head=head,
            native=self._native,
            id2label=_ID2LABEL[head],
            label_map=label_map,
            max_length=max_tokens,
            device="cpu",
            dtype="float32",
        )

    # -- protocol ----------------------------------------------------------------------------------

    @property
    def info(self) -> ScorerInfo:
        return self._info

    @property
    def native(self) -> NativeCall:
        return self._native

    def lookup(self, premise: str, hypothesis: str) -> tuple[float, float]:
        """(entailment, contradiction) of a premise window and a hypothesis."""
        best: tuple[float, float] | None = None
        for (needle, hyp), value in self.table.items():
            if hyp == hypothesis and needle in premise and (best is None or value[0] > best[0]):
                best = value
        return best if best is not None else self.default

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in check_texts(texts)]

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        words = [m.span() for m in re.finditer(r"\S+", text)]
        room = self.max_tokens - 3 - len(hypothesis.split())
        if room < 1:
            raise InvalidInputError(f"hypothesis of {len(hypothesis.split())} words leaves no room in the fake")
        if len(words) <= room:
            return [(0, len(text))]
        stride = max(1, room // 2)
        spans: list[Span] = []
        start = 0
        while True:
            end = min(start + room, len(words))
            spans.append((words[start][0], words[end - 1][1]))
            if end == len(words):
                return spans
            start += stride

    def score_pairs(
        self,
        premises: Sequence[str],
        hypotheses: Sequence[str],
        *,
        normalization: Normalization = "softmax",
        truncation: Truncation | None = None,
        show_progress: bool = False,
        first_stage_scores: Sequence[float] | None = None,
    ) -> PairScores:
        p, h = check_pairs(premises, hypotheses)
        first_stage = first_stage_values(first_stage_scores, len(p), self.info)
        call = Call("score_pairs", p, h, normalization)
        call.passes = len(set(p)) if self._native == "labels" else len(p)
        self.calls.append(call)
        items = []
        for premise, hypothesis in zip(p, h, strict=True):
            spans = self.window_spans(premise, hypothesis)
            if (truncation == "error") and len(spans) > 1:
                raise InvalidInputError("pair too long for the fake and truncation='error'")
            if truncation == "head":
                spans = spans[:1]
            scored = [(self._pair_score(premise[s:e], hypothesis, normalization), (s, e)) for s, e in spans]
            best, span = max(scored, key=lambda item: item[0].score)  # first on ties
            windowed = len(spans) > 1
            items.append(best.model_copy(update={"window": span if windowed else None, "num_windows": len(spans)}))
        scores = PairScores(
            items=tuple(items),
            head=self.head,
            normalization=normalization if self.head.startswith("nli") else None,
        )
        return fuse_first_stage(scores, first_stage, self.info.first_stage)

    def score_labels(
        self,
        texts: Sequence[str],
        labels: Sequence[str] | Sequence[Sequence[str]],
        *,
        hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
        multi_label: bool = False,
        examples: Sequence[LabelledExample] | Sequence[Sequence[LabelledExample]] | None = None,
        show_progress: bool = False,
    ) -> LabelScores:
        template = check_template(hypothesis_template)
        text_list = check_texts(texts)
        per_text = check_labels_per_text(labels, len(text_list))
        hyps = [[label if self._native == "labels" else template.format(label) for label in ls] for ls in per_text]
        self.calls.append(
            Call(
                "score_labels",
                text_list,
                [h for hs in hyps for h in hs],
                examples=examples,
                passes=len(text_list),
            )
        )
        items = []
        for text, ls, hs in zip(text_list, per_text, hyps, strict=True):
            raw = [self.lookup(text, hyp) for hyp in hs]
            if multi_label or len(ls) == 1:
                scores = [e if self.head != "nli3" else e / max(e + c, 1e-9) for e, c in raw]
            else:
                total = sum(e for e, _ in raw) or 1.0
                scores = [e / total for e, _ in raw]
            items.append(TextLabelScores(labels=tuple(ls), scores=tuple(scores), multi_label=multi_label))
        return LabelScores(items=tuple(items))

    # -- helpers -----------------------------------------------------------------------------------

    def _pair_score(self, premise: str, hypothesis: str, normalization: Normalization) -> PairScore:
        e, c = self.lookup(premise, hypothesis)
        if self.head == "relevance":
            return PairScore(score=e, relevance=e, logits=(_logit(e),))
        if self.head == "cosine":
            return PairScore(score=e, relevance=e, logits=(e,))
        if self.head == "gliclass":
            return PairScore(score=e, entailment=e, logits=(_logit(e),))
        if self.head == "nli2":
            return PairScore(score=e, entailment=e, logits=(math.log(max(e, 1e-9)), math.log(max(1 - e, 1e-9))))
        n = max(0.0, 1.0 - e - c)
        logits = (math.log(max(c, 1e-9)), math.log(max(e, 1e-9)), math.log(max(n, 1e-9)))
        if normalization == "entailment_vs_contradiction":
            total = max(e + c, 1e-9)
            return PairScore(score=e / total, entailment=e / total, contradiction=c / total, logits=logits)
        return PairScore(score=e, entailment=e, neutral=n, contradiction=c, logits=logits)


def _entry(value: Entry) -> tuple[float, float]:
    e, c = (float(value), 0.0) if isinstance(value, (int, float)) else (float(value[0]), float(value[1]))
    if not (0.0 <= e <= 1.0 and 0.0 <= c <= 1.0 and e + c <= 1.0 + 1e-9):
        raise ValueError(f"bad fake table entry {value!r}: probabilities in [0, 1] summing to at most 1")
    return e, c


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
