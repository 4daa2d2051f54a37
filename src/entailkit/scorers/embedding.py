"""EmbeddingScorer: a bi-encoder (mean pooling, L2-normalised vectors) for kNN, routes and retrieval."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from entailkit._labels import check_labels_per_text
from entailkit._numeric import softmax
from entailkit._validation import check_bool, check_choice, check_pairs, check_template, check_text, check_texts
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, NORMALIZATIONS, TRUNCATIONS, ExamplesArg, LabelsArg
from entailkit.scorers.batching import DEFAULT_TOKEN_BUDGET, padding_tolerance_for, plan_batches, progress
from entailkit.scorers.heads import first_stage_values
from entailkit.scorers.pairs import fit_windows, tokenize_texts, window_char_spans
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

__all__ = ["EmbeddingScorer"]

logger = logging.getLogger(__name__)


class EmbeddingScorer:
    """Mean-pooled, normalised sentence embeddings; pair score = cosine similarity clipped to [0, 1]."""

    native: NativeCall = "pairs"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        info: ScorerInfo,
        batch_size: int = 32,
        token_budget: int | None = None,
        truncation: Truncation = "head",
    ) -> None:
        """Wrap a loaded encoder; ``load_scorer`` builds this from a checkpoint and fills ``info``.

        Args:
            model: A transformers encoder (``AutoModel``) returning ``last_hidden_state``, on its device.
            tokenizer: The model's fast tokenizer (character offsets are needed for windows).
            info: What the model is (head ``"cosine"``, max length, device).
            batch_size: Texts per forward pass at most.
            token_budget: Padded tokens per forward pass at most (None: the larger of the default budget
                and ``info.max_length``).
            truncation: The default policy for premises longer than ``info.max_length``: ``"window"``,
                ``"head"`` or ``"error"`` (not checked here; ``score_pairs`` checks it).
        """
        self.model = model
        self.tokenizer = tokenizer
        self._info = info
        self.batch_size = batch_size
        self.token_budget = token_budget or max(DEFAULT_TOKEN_BUDGET, info.max_length)
        self.truncation = truncation
        self._device = next(model.parameters()).device
        self.padding_tolerance = padding_tolerance_for(self._device)  # CPU: a batch ends where padding would grow

    @property
    def info(self) -> ScorerInfo:
        return self._info

    @property
    def dimension(self) -> int:
        """The length of each embedding vector (the model's hidden size)."""
        return int(self.model.config.hidden_size)

    def embed(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors ``(len(texts), dimension)`` in input order.

        A text longer than ``info.max_length`` is cut to it (logged), unless the scorer's ``truncation`` is
        ``"error"``.

        Args:
            texts: The texts to embed (a list of str).
            show_progress: Show a progress bar over the batches.

        Returns:
            A ``(len(texts), dimension)`` array, one mean-pooled unit vector per text (``(0, dimension)``
            for no texts).

        Raises:
            InvalidInputError: ``texts`` is not a list of str, or a text is too long and the scorer's
                ``truncation`` is ``"error"``.
        """
        text_list = check_texts(texts)
        out = np.zeros((len(text_list), self.dimension), dtype=np.float32)
        if not text_list:
            return out
        lengths = [t.n_tokens + 2 for t in tokenize_texts(self.tokenizer, text_list)]
        too_long = sum(n > self._info.max_length for n in lengths)
        if too_long and self.truncation == "error":
            raise InvalidInputError(
                f"{too_long} text(s) exceed max_length={self._info.max_length} tokens; shorten them or use truncation='head'."
            )
        if too_long:
            logger.info("embedding: %d text(s) cut to max_length=%d tokens.", too_long, self._info.max_length)
        lengths = [min(n, self._info.max_length) for n in lengths]
        batches = plan_batches(lengths, self.batch_size, self.token_budget, padding_tolerance=self.padding_tolerance)
        with torch.inference_mode():
            for batch in progress(batches, total=len(text_list), enabled=show_progress, description="embedding"):
                encoded = tokenize(
                    self.tokenizer,
                    [text_list[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self._info.max_length,
                    return_tensors="pt",
                )
                encoded = {k: v.to(self._device) for k, v in encoded.items()}
                hidden = self.model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled.float(), p=2, dim=1)
                out[batch] = pooled.cpu().numpy()
        return out

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
        """Cosine similarity of each pair; ``score`` = max(cosine, 0), the raw cosine in ``logits``.

        A premise longer than the model reads follows ``truncation`` (default: the scorer's): ``"window"``
        embeds overlapping windows and keeps the best cosine, ``"head"`` embeds the first window only and
        marks the pair truncated, ``"error"`` refuses it. ``normalization`` does not apply to cosines.

        Args:
            premises: The passages (the side that is windowed when long).
            hypotheses: The queries or claims, one per premise (each embedded on its own).
            normalization: Checked but not used (cosines are not logits).
            truncation: This call's policy for long premises (None: the scorer's default).
            show_progress: Show a progress bar over the batches.
            first_stage_scores: Refused when given: embedding models do no first-stage fusion.

        Returns:
            One ``PairScore`` per pair (head ``"cosine"``): ``score`` and ``relevance`` the clipped cosine,
            ``logits`` the raw cosine.

        Raises:
            InvalidInputError: The lists are not lists of str of the same length, an option is not one of
                its values, a premise is too long under ``truncation="error"``, or ``first_stage_scores``
                is given.
        """
        check_choice(normalization, "normalization", NORMALIZATIONS)
        policy = check_choice(truncation or self.truncation, "truncation", TRUNCATIONS)
        p, h = check_pairs(premises, hypotheses)
        first_stage_values(first_stage_scores, len(p), self.info)  # no fusion here: refused when given
        if not p:
            return PairScores(items=(), head="cosine")
        units = self._premise_units(p, policy)
        texts = list(dict.fromkeys([p[i][s:e] for i, (s, e), _ in units] + h))
        row = {text: n for n, text in enumerate(texts)}
        vectors = self.embed(texts, show_progress=show_progress)
        best: dict[int, tuple[float, Span, bool]] = {}
        counts = [0] * len(p)
        for i, (start, end), cut in units:
            counts[i] += 1
            cosine = float(np.dot(vectors[row[p[i][start:end]]], vectors[row[h[i]]]))
            if i not in best or cosine > best[i][0]:
                best[i] = (cosine, (start, end), cut)
        items = []
        for i in range(len(p)):
            cosine, span, cut = best[i]
            score = min(max(cosine, 0.0), 1.0)
            window = span if counts[i] > 1 or cut else None
            items.append(
                PairScore(
                    score=score, relevance=score, logits=(cosine,), window=window, num_windows=counts[i], truncated=cut
                )
            )
        return PairScores(items=tuple(items), head="cosine")

    def _premise_units(self, premises: list[str], policy: str) -> list[tuple[int, Span, bool]]:
        """(pair, character span, cut) of every premise window the policy asks for."""
        limit = self._info.max_length - 2
        units: list[tuple[int, Span, bool]] = []
        cuts = 0
        for i, (text, tokens) in enumerate(zip(premises, tokenize_texts(self.tokenizer, premises), strict=True)):
            if tokens.n_tokens <= limit:
                units.append((i, (0, len(text)), False))
            elif policy == "error":
                raise InvalidInputError(
                    f"premises[{i}] is {tokens.n_tokens} tokens, over max_length={self._info.max_length}; shorten it, "
                    "or use truncation='window' (best window) or 'head' (cut)."
                )
            elif policy == "head":
                cuts += 1
                units.append((i, (0, tokens.offsets[limit - 1][1]), True))
            else:
                spans = fit_windows(self.tokenizer, text, tokens, window_char_spans(text, tokens, limit), limit)
                units.extend((i, span, False) for span, _ in spans)
        if cuts:
            logger.warning(
                "embedding: cut %d premise(s) to max_length=%d tokens; use truncation='window' to score them in full.",
                cuts,
                self._info.max_length,
            )
        return units

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
        """Cosine between text and each templated label: clipped per label, or softmax(cos / 0.05) over labels.

        Args:
            texts: The texts to classify.
            labels: One list of distinct labels for all texts, or one list per text.
            hypothesis_template: How a label becomes the text embedded for it, with one ``{}``.
            multi_label: Score each label on its own (its cosine clipped to [0, 1]); a text with one label is
                scored the same way.
            examples: Ignored (only GLiClass uses examples).
            show_progress: Ignored (label scoring shows no progress bar).

        Returns:
            One ``TextLabelScores`` per text, labels in the order given.

        Raises:
            InvalidInputError: ``texts`` is not a list of str, a label list is empty or has duplicates,
                per-text labels do not match the texts, the template has not exactly one ``{}``, or a text
                is too long under ``truncation="error"``.
        """
        template = check_template(hypothesis_template)
        multi_label = check_bool(multi_label, "multi_label")
        text_list = check_texts(texts)
        per_text = check_labels_per_text(labels, len(text_list))
        if not text_list:
            return LabelScores(items=())
        hyps = [template.format(label) for ls in per_text for label in ls]
        vectors = self.embed(text_list + hyps)
        text_vecs, label_vecs = vectors[: len(text_list)], vectors[len(text_list) :]
        items, offset = [], 0
        for i, ls in enumerate(per_text):
            cos = label_vecs[offset : offset + len(ls)] @ text_vecs[i]
            offset += len(ls)
            scores = np.clip(cos, 0.0, 1.0) if multi_label or len(ls) == 1 else softmax(cos / 0.05)
            items.append(
                TextLabelScores(labels=tuple(ls), scores=tuple(float(s) for s in scores), multi_label=multi_label)
            )
        return LabelScores(items=tuple(items))

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        """Character spans of the windows ``text`` is embedded in (the hypothesis is embedded on its own).

        Args:
            text: The premise.
            hypothesis: Checked only: it does not change the windows.

        Returns:
            ``(start, end)`` spans into ``text``, in order; one span over the whole text when it fits.

        Raises:
            InvalidInputError: ``text`` or ``hypothesis`` is not a str.
        """
        check_text(hypothesis, "hypothesis")
        (tokens,) = tokenize_texts(self.tokenizer, [check_text(text, "text")])
        limit = self._info.max_length - 2
        return [
            span for span, _ in fit_windows(self.tokenizer, text, tokens, window_char_spans(text, tokens, limit), limit)
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
        return f"EmbeddingScorer(model={self._info.model!r}, device={self._info.device!r}, dim={self.dimension})"
