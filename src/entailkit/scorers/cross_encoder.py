"""CrossEncoderScorer: one forward pass per (premise, hypothesis) pair, heads with 1, 2 or 3 outputs."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from entailkit._labels import check_labels_per_text
from entailkit._validation import check_bool, check_choice, check_pairs, check_template, check_text, check_texts
from entailkit.scorers import heads
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, NORMALIZATIONS, TRUNCATIONS, ExamplesArg, LabelsArg
from entailkit.scorers.batching import DEFAULT_TOKEN_BUDGET, padding_tolerance_for, plan_batches, progress
from entailkit.scorers.pairs import (
    MIN_PREMISE_TOKENS,
    Unit,
    fit_windows,
    plan_units,
    tokenize_texts,
    window_char_spans,
)
from entailkit.scorers.tokenizer_lock import tokenize
from entailkit.types import (
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

__all__ = ["CrossEncoderScorer"]

logger = logging.getLogger(__name__)


class CrossEncoderScorer:
    """Scores pairs with an ``AutoModelForSequenceClassification`` model; builds label scores on top.

    Relevance heads (1 logit) are fed (hypothesis=query, premise=passage) in that order, as MS MARCO
    cross-encoders were trained; NLI heads are fed (premise, hypothesis).
    """

    native: NativeCall = "pairs"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        info: ScorerInfo,
        batch_size: int = 32,
        token_budget: int | None = None,
        truncation: Truncation = "window",
    ) -> None:
        """Wrap a loaded model; ``load_scorer`` builds this from a checkpoint and fills ``info``.

        Args:
            model: A transformers sequence-classification model with 1, 2 or 3 outputs, already on its
                device (or another runtime with the same call, e.g. ONNX).
            tokenizer: The model's fast tokenizer (character offsets are needed for windows).
            info: What the model is: head, label map, max length, device, first-stage fusion.
            batch_size: Pairs per forward pass at most.
            token_budget: Padded tokens per forward pass at most (None: the larger of the default budget
                and ``info.max_length``).
            truncation: The default policy for pairs longer than ``info.max_length``: ``"window"``,
                ``"head"`` or ``"error"``.

        Raises:
            InvalidInputError: ``truncation`` is not one of the policies.
        """
        check_choice(truncation, "truncation", TRUNCATIONS)
        self.model = model
        self.tokenizer = tokenizer
        self._info = info
        self.batch_size = batch_size
        self.token_budget = token_budget or max(DEFAULT_TOKEN_BUDGET, info.max_length)
        self.truncation: Truncation = truncation
        self._special_tokens = int(tokenizer.num_special_tokens_to_add(pair=True))
        self._device = _model_device(model)
        self.padding_tolerance = padding_tolerance_for(self._device)  # CPU: a batch ends where padding would grow
        self._num_labels = int(model.config.num_labels)

    @property
    def info(self) -> ScorerInfo:
        return self._info

    @property
    def head(self) -> str:
        return self._info.head

    # -- pairs -------------------------------------------------------------------------------------

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
        """Probabilities for each pair, in input order; long premises follow the truncation policy.

        Args:
            premises: The evidence side of each pair (for relevance heads: the passage).
            hypotheses: The claim side, one per premise (for relevance heads: the query, fed first).
            normalization: ``"softmax"`` over the NLI classes, or ``"entailment_vs_contradiction"`` (the
                neutral class left out); relevance heads ignore it (a sigmoid of their logit).
            truncation: This call's policy for pairs over ``info.max_length``: ``"window"`` (overlapping
                premise windows, the best one kept), ``"head"`` (the premise's end cut, logged) or
                ``"error"``; None: the scorer's default.
            show_progress: Show a progress bar over the forward passes.
            first_stage_scores: One retriever score per pair, fused into a relevance model trained on top
                of that retriever (``info.first_stage``): its score is then the fused relevance.

        Returns:
            One ``PairScore`` per pair with every class probability, the raw logits and, for a windowed or
            cut premise, the span of the best window.

        Raises:
            InvalidInputError: The lists are not lists of str of the same length, an option is not one of
                its values, a pair is too long under ``truncation="error"``, or ``first_stage_scores`` is
                given to a model without first-stage fusion or is not one finite number per pair.
        """
        check_choice(normalization, "normalization", NORMALIZATIONS)
        policy = self._policy(truncation)
        p, h = check_pairs(premises, hypotheses)
        first_stage = heads.first_stage_values(first_stage_scores, len(p), self._info)
        norm = None if self.head == "relevance" else normalization
        if not p:
            return PairScores(items=(), head=self._info.head, normalization=norm)
        units = plan_units(
            self.tokenizer,
            p,
            h,
            max_length=self._info.max_length,
            special_tokens=self._special_tokens,
            truncation=policy,
        )
        logits = self._forward_units(units, show_progress)
        probs = heads.probabilities(logits, self._info.head, self._info.label_map, normalization)
        items = _best_per_pair(units, logits, probs, len(p))
        scores = PairScores(items=tuple(items), head=self._info.head, normalization=norm)
        return heads.fuse_first_stage(scores, first_stage, self._info.first_stage)

    def _policy(self, truncation: Truncation | None) -> Truncation:
        policy = truncation or self.truncation
        check_choice(policy, "truncation", TRUNCATIONS)
        return policy

    def _forward_units(self, units: Sequence[Unit], show_progress: bool) -> np.ndarray:
        """Raw logits ``(len(units), num_labels)`` in unit order, computed in length-sorted batches."""
        batches = plan_batches(
            [u.n_tokens for u in units], self.batch_size, self.token_budget, padding_tolerance=self.padding_tolerance
        )
        out = np.zeros((len(units), self._num_labels), dtype=np.float32)
        relevance = self.head == "relevance"
        with torch.inference_mode():
            for batch in progress(batches, total=len(units), enabled=show_progress, description="scoring pairs"):
                first = [units[i].hypothesis if relevance else units[i].premise for i in batch]
                second = [units[i].premise if relevance else units[i].hypothesis for i in batch]
                out[batch] = self._forward_batch(first, second, relevance)
        return out

    def _encode(self, first: list[str], second: list[str], relevance: bool, tensors: str) -> Any:
        """Tokenize one batch of pairs, padded to its longest member (batches are length-sorted)."""
        return tokenize(
            self.tokenizer,
            first,
            second,
            padding=True,
            return_tensors=tensors,
            truncation="only_second" if relevance else "only_first",
            max_length=self._info.max_length,
        )

    def _forward_batch(self, first: list[str], second: list[str], relevance: bool) -> np.ndarray:
        """Raw logits ``(len(first), num_labels)`` of one batch; other runtimes (ONNX) override this."""
        encoded = self._encode(first, second, relevance, "pt")
        encoded = {k: v.to(self._device) for k, v in encoded.items()}
        logits = self.model(**encoded).logits
        return logits.float().cpu().numpy()  # type: ignore[no-any-return]

    # -- labels ------------------------------------------------------------------------------------

    def score_labels(
        self,
        texts: Sequence[str],
        labels: LabelsArg,
        *,
        hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
        multi_label: bool = False,
        examples: ExamplesArg = None,
        show_progress: bool = False,
    ) -> LabelScores:
        """Zero-shot label scores with the semantics of transformers' ZeroShotClassificationPipeline.

        multi_label (or a single label): entailment vs contradiction per label, independently.
        Otherwise: softmax of the entailment logits over the text's labels. Unlike the pipeline, the
        contradiction output is read from id2label, not assumed to be index 0 (or -1).

        Args:
            texts: The texts to classify (each is the premise of its label pairs).
            labels: One list of distinct labels for all texts, or one list per text.
            hypothesis_template: How a label becomes the hypothesis, with one ``{}``.
            multi_label: Score each label independently (entailment vs contradiction).
            examples: Ignored by cross-encoders (a warning is logged); GLiClass models use them.
            show_progress: Show a progress bar over the forward passes.

        Returns:
            One ``TextLabelScores`` per text, labels in the order given.

        Raises:
            InvalidInputError: ``texts`` is not a list of str, a label list is empty or has duplicates,
                per-text labels do not match the texts, the template has not exactly one ``{}``, or
                ``multi_label`` is not a bool.
        """
        template = check_template(hypothesis_template)
        multi_label = check_bool(multi_label, "multi_label")
        text_list = check_texts(texts)
        per_text = check_labels_per_text(labels, len(text_list))
        if examples:
            logger.warning("examples= is used by GLiClass models only; the cross-encoder ignores it.")
        if not text_list:
            return LabelScores(items=())
        premises = [t for t, ls in zip(text_list, per_text, strict=True) for _ in ls]
        hypotheses = [template.format(label) for ls in per_text for label in ls]
        independent = multi_label or all(len(ls) == 1 for ls in per_text)
        pairs = self.score_pairs(
            premises,
            hypotheses,
            show_progress=show_progress,
            normalization="entailment_vs_contradiction" if independent else "softmax",
        )
        items, offset = [], 0
        for ls in per_text:
            chunk = pairs.items[offset : offset + len(ls)]
            offset += len(ls)
            scores = self._label_scores(chunk, multi_label or len(ls) == 1)
            items.append(TextLabelScores(labels=tuple(ls), scores=tuple(scores), multi_label=multi_label))
        return LabelScores(items=tuple(items))

    def _label_scores(self, chunk: Sequence[PairScore], independent: bool) -> list[float]:
        if independent:
            if self.head != "nli3":
                return [item.score for item in chunk]
            # Entailment vs contradiction from the logits: with mixed per-text label counts the pairs
            # were scored with a 3-way softmax, which is not the pipeline's single-label formula.
            lm = self._info.label_map
            two = np.array(
                [[item.logits[heads.contradiction_index(lm)], item.logits[lm["entailment"]]] for item in chunk]
            )
            return [float(x) for x in heads.softmax(two)[:, 1]]
        index = self._info.label_map.get("entailment", 0)
        logits = np.array([item.logits[index] for item in chunk], dtype=np.float32)
        return [float(x) for x in heads.softmax(logits, axis=0)]

    # -- helpers -----------------------------------------------------------------------------------

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        """Character spans of the premise windows used when ``text`` is paired with ``hypothesis``.

        Args:
            text: The premise.
            hypothesis: The hypothesis it will be paired with (its tokens take room from the windows; one
                too long to leave a usable window is counted at half of ``max_length``, as in scoring).

        Returns:
            ``(start, end)`` spans into ``text``, in order; one span over the whole text when it fits.

        Raises:
            InvalidInputError: ``text`` or ``hypothesis`` is not a str.
        """
        pair = [check_text(text, "text"), check_text(hypothesis, "hypothesis")]
        (t_tokens, h_tokens) = tokenize_texts(self.tokenizer, pair)
        budget = self._info.max_length - self._special_tokens
        hyp_keep = h_tokens.n_tokens
        if budget - hyp_keep < MIN_PREMISE_TOKENS:  # the same rule as plan_units: cut the hypothesis to half
            hyp_keep = max(1, budget // 2)
        room = budget - hyp_keep
        return [
            span
            for span, _ in fit_windows(self.tokenizer, text, t_tokens, window_char_spans(text, t_tokens, room), room)
        ]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens.

        Args:
            texts: The texts to count (a list of str).

        Returns:
            One count per text, in input order.

        Raises:
            InvalidInputError: ``texts`` is not a list of str.
        """
        return [t.n_tokens for t in tokenize_texts(self.tokenizer, check_texts(texts))]

    def __repr__(self) -> str:
        i = self._info
        return f"CrossEncoderScorer(model={i.model!r}, head={i.head!r}, device={i.device!r}, dtype={i.dtype!r})"


def _model_device(model: Any) -> torch.device:
    """The device of a torch model's weights; CPU for runtimes without torch parameters (ONNX)."""
    parameters = getattr(model, "parameters", None)
    if parameters is None:
        return torch.device("cpu")
    return next(parameters()).device  # type: ignore[no-any-return]


def _best_per_pair(
    units: Sequence[Unit], logits: np.ndarray, probs: Mapping[str, np.ndarray | None], n_pairs: int
) -> list[PairScore]:
    """For each pair, the unit with the highest score (first on ties), with its window span."""
    score = probs["score"]
    assert score is not None
    best: list[int] = [-1] * n_pairs
    counts = [0] * n_pairs
    for u, unit in enumerate(units):
        counts[unit.pair] += 1
        current = best[unit.pair]
        if current < 0 or score[u] > score[current]:
            best[unit.pair] = u
    items = []
    for pair, u in enumerate(best):
        unit = units[u]
        values = {role: (None if arr is None else float(arr[u])) for role, arr in probs.items() if role != "score"}
        items.append(
            PairScore(
                score=float(score[u]),
                logits=tuple(float(x) for x in logits[u]),
                window=unit.span if counts[pair] > 1 or unit.truncated else None,
                num_windows=counts[pair],
                truncated=unit.truncated,
                **values,
            )
        )
    return items
