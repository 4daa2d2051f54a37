"""GLiClassScorer: a text and all its candidate labels in one forward pass of a GLiClass uni-encoder.

gliclass's model classes do the forward pass; input construction, batching, long-text windows and label
chunks are ours (see gliclass_inputs.py, gliclass_examples.py and gliclass_plan.py), so a long text never
loses its labels to truncation.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from entailkit._labels import check_labels_per_text
from entailkit._validation import (
    check_bool,
    check_choice,
    check_pairs,
    check_positive_int,
    check_template,
    check_text,
    check_texts,
)
from entailkit.errors import InvalidInputError
from entailkit.scorers import gliclass_inputs as gi
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, NORMALIZATIONS, TRUNCATIONS, ExamplesArg, LabelsArg
from entailkit.scorers.batching import DEFAULT_TOKEN_BUDGET, padding_tolerance_for, plan_batches, progress
from entailkit.scorers.gliclass_examples import normalize_examples
from entailkit.scorers.gliclass_plan import Layout, SetResult, count_tokens, merge_logits, plan_rows
from entailkit.scorers.heads import first_stage_values, sigmoid, softmax
from entailkit.scorers.loading import load_scorer
from entailkit.types import (
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

__all__ = ["GLiClassScorer"]

logger = logging.getLogger(__name__)


class GLiClassScorer:
    """Scores (text, labels) sets with a GLiClass uni-encoder; pairs are grouped by premise into such sets."""

    native: NativeCall = "labels"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        info: ScorerInfo,
        batch_size: int = 8,
        token_budget: int | None = None,
        truncation: Truncation = "window",
        max_labels_per_pass: int | None = None,
        example_format: gi.ExampleFormat = "rac",
        min_text_tokens: int | None = None,
    ) -> None:
        """Wrap a loaded GLiClass model; ``load_scorer`` (or ``from_pretrained``) builds this and fills ``info``.

        Args:
            model: A ``gliclass.GLiClassModel`` uni-encoder, on its device.
            tokenizer: Its fast tokenizer, with the ``<<LABEL>>`` and ``<<SEP>>`` tokens the model reads.
            info: What the model is (head ``"gliclass"``, max length, device).
            batch_size: Rows (text windows with a label chunk) per forward pass at most.
            token_budget: Padded tokens per forward pass at most (None: the larger of the default budget
                and ``info.max_length``).
            truncation: The default policy for texts that do not fit next to their labels: ``"window"``
                (max logit per label over text windows), ``"head"`` (the text cut, logged) or ``"error"``.
            max_labels_per_pass: Labels per pass at most (further labels go to further passes); capped at
                the model's label slots when it has a fixed number. None: as many as fit.
            example_format: How labelled examples are written into the input: ``"rac"`` (after the text,
                gliclass's ``rac_examples=``) or ``"fewshot"`` (after the labels, gliclass's ``examples=``).
            min_text_tokens: The text tokens a pass keeps at least when labels and examples must share the
                room (None: a quarter of ``info.max_length``).

        Raises:
            InvalidInputError: An option is not one of its values or not a positive int.
        """
        check_choice(truncation, "truncation", TRUNCATIONS)
        if example_format not in gi.EXAMPLE_FORMATS:
            raise InvalidInputError(f"example_format must be one of {gi.EXAMPLE_FORMATS}, got {example_format!r}.")
        check_positive_int(batch_size, "batch_size", allow_none=False)
        check_positive_int(max_labels_per_pass, "max_labels_per_pass")
        check_positive_int(min_text_tokens, "min_text_tokens")
        self.model = model
        self.tokenizer = tokenizer
        self._info = info
        self.batch_size = batch_size
        self.token_budget = token_budget or max(DEFAULT_TOKEN_BUDGET, info.max_length)
        self.truncation: Truncation = truncation
        self.example_format: gi.ExampleFormat = example_format
        config = model.config
        self.prompt_first = bool(getattr(config, "prompt_first", False))
        alloc = getattr(config, "max_labels_alloc", "dynamic")
        self._alloc: int | None = alloc if isinstance(alloc, int) else None
        limit = alloc if isinstance(alloc, int) else (int(config.max_num_classes) if alloc == "fixed" else None)
        if limit is not None and max_labels_per_pass is not None and max_labels_per_pass > limit:
            logger.warning(
                "max_labels_per_pass=%d exceeds the model's %d label slots; using %d.",
                max_labels_per_pass,
                limit,
                limit,
            )
        caps = [c for c in (max_labels_per_pass, limit) if c is not None]
        self.max_labels_per_pass: int | None = min(caps) if caps else None
        self.min_text_tokens = min_text_tokens or max(1, info.max_length // 4)
        self._fixed_alloc = alloc == "fixed"
        self._special = int(tokenizer.num_special_tokens_to_add(pair=False))
        self._device = next(model.parameters()).device
        self.padding_tolerance = padding_tolerance_for(self._device)  # CPU: a batch ends where padding would grow
        self._pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)

    @classmethod
    def from_pretrained(cls, model: str | os.PathLike[str], **options: Any) -> GLiClassScorer:
        """Load a GLiClass checkpoint (local directory or hub id): ``load_scorer(model, kind="gliclass", ...)``.

        GLiClass reads 8 texts per pass unless ``batch_size`` says otherwise.

        Args:
            model: A local GLiClass uni-encoder directory or a hub id.
            **options: Any option of ``load_scorer`` (``device``, ``dtype``, ``batch_size``, ...) and
                GLiClass's own: ``max_labels_per_pass``, ``example_format``, ``min_text_tokens``.

        Returns:
            The loaded scorer.

        Raises:
            InvalidInputError: A bad option.
            MissingDependencyError: The ``gliclass`` extra is not installed.
            ModelLoadError: The model cannot be found or loaded, or is not a GLiClass uni-encoder.
        """
        scorer = load_scorer(model, "gliclass", **{"batch_size": 8, **options})
        assert isinstance(scorer, GLiClassScorer)
        return scorer

    @property
    def info(self) -> ScorerInfo:
        return self._info

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
        """One pass per text window and label chunk; sigmoid per label (multi-label) or softmax over labels.

        GLiClass reads the labels themselves, so ``hypothesis_template`` is checked but not used. Long
        texts are scored in windows (max logit per label over windows), never by dropping labels.

        Args:
            texts: The texts to classify.
            labels: One list of distinct labels for all texts, or one list per text.
            hypothesis_template: Checked but not used (GLiClass reads the labels as they are).
            multi_label: A sigmoid per label (independent scores) instead of a softmax over the text's labels.
            examples: Labelled examples (``LabelledExample`` or dicts with ``text`` and ``true_labels``), one
                list for all texts or one per text, written into the input in the scorer's ``example_format``;
                the last ones are dropped (logged) when they do not fit.
            show_progress: Show a progress bar over the forward passes.

        Returns:
            One ``TextLabelScores`` per text, labels in the order given.

        Raises:
            InvalidInputError: ``texts`` is not a list of str; a label list is empty or has duplicates;
                per-text labels or examples do not match the texts; a text, label or example holds a
                GLiClass marker (``<<LABEL>>``, ``<<SEP>>``, ``<<EXAMPLE>>``); a label is too long for one
                pass, or labels and examples leave no room for the text; or a text is too long under
                ``truncation="error"``.
        """
        check_template(hypothesis_template)
        multi_label = check_bool(multi_label, "multi_label")
        text_list = check_texts(texts)
        per_text = check_labels_per_text(labels, len(text_list))
        per_examples = normalize_examples(examples, len(text_list))
        if not text_list:
            return LabelScores(items=())
        results = self._score_sets(text_list, per_text, per_examples, self.truncation, show_progress)
        items = []
        for ls, res in zip(per_text, results, strict=True):
            scores = sigmoid(res.logits) if multi_label else softmax(res.logits)
            items.append(
                TextLabelScores(labels=tuple(ls), scores=tuple(float(s) for s in scores), multi_label=multi_label)
            )
        return LabelScores(items=tuple(items))

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
        """Hypotheses sharing a premise become the labels of one pass; score = sigmoid of the label logit.

        ``normalization`` does not apply (GLiClass has no NLI classes); it is accepted for the protocol.

        Args:
            premises: The texts (passages, contexts); equal premises are scored in one pass.
            hypotheses: The claims, one per premise, each read as a label of its premise (not blank).
            normalization: Checked but not used.
            truncation: This call's policy for long premises (None: the scorer's default).
            show_progress: Show a progress bar over the forward passes.
            first_stage_scores: Refused when given: GLiClass models do no first-stage fusion.

        Returns:
            One ``PairScore`` per pair (head ``"gliclass"``): ``score`` and ``entailment`` the label's sigmoid,
            ``logits`` its raw logit, ``window`` the best text window when the premise was windowed or cut.

        Raises:
            InvalidInputError: The lists are not lists of str of the same length, a hypothesis is blank, an
                option is not one of its values, a text or hypothesis holds a GLiClass marker, or a premise
                is too long under ``truncation="error"``, or ``first_stage_scores`` are given.
        """
        policy = truncation or self.truncation
        check_choice(policy, "truncation", TRUNCATIONS)
        check_choice(normalization, "normalization", NORMALIZATIONS)
        p, h = check_pairs(premises, hypotheses)
        first_stage_values(first_stage_scores, len(p), self.info)  # no fusion here: refused when given
        if not p:
            return PairScores(items=(), head="gliclass")
        for i, hyp in enumerate(h):
            if not hyp.strip():
                raise InvalidInputError(f"hypotheses[{i}] is empty or blank; every hypothesis needs text.")
        groups: dict[str, dict[str, int]] = {}
        for premise, hyp in zip(p, h, strict=True):
            slots = groups.setdefault(premise, {})
            slots.setdefault(hyp, len(slots))
        group_texts = list(groups)
        group_labels = [list(slots) for slots in groups.values()]
        results = self._score_sets(group_texts, group_labels, [() for _ in group_texts], policy, show_progress)
        by_premise = dict(zip(group_texts, results, strict=True))
        items = []
        for premise, hyp in zip(p, h, strict=True):
            res, j = by_premise[premise], groups[premise][hyp]
            logit = float(res.logits[j])
            prob = float(sigmoid(np.array([logit]))[0])
            windowed = res.windows[j] > 1 or res.cut
            items.append(
                PairScore(
                    score=prob,
                    entailment=prob,
                    logits=(logit,),
                    num_windows=res.windows[j],
                    window=res.spans[res.best[j]] if windowed else None,
                    truncated=res.cut,
                )
            )
        return PairScores(items=tuple(items), head="gliclass")

    # -- core --------------------------------------------------------------------------------------

    def _score_sets(
        self,
        texts: Sequence[str],
        label_lists: Sequence[Sequence[str]],
        example_lists: Sequence[tuple[LabelledExample, ...]],
        policy: Truncation,
        show_progress: bool,
    ) -> list[SetResult]:
        """Max logit over windows for every label of every (text, labels) set, in input order.

        The rows are planned by ``gliclass_plan.plan_rows`` (one row per set that fits, label chunks,
        fitted examples and text windows for the others) and their logits merged by ``merge_logits``.
        """
        layout = Layout(
            max_length=self._info.max_length,
            special=self._special,
            max_labels_per_pass=self.max_labels_per_pass,
            min_text_tokens=self.min_text_tokens,
            example_format=self.example_format,
            prompt_first=self.prompt_first,
        )
        rows, cuts = plan_rows(self.tokenizer, layout, texts, label_lists, example_lists, policy)
        results = merge_logits(rows, self._forward(rows, show_progress), label_lists, cuts)
        if cuts:
            logger.warning(
                "truncation='head': cut %d text(s) to fit max_length=%d tokens; use truncation='window' "
                "to score long texts in full.",
                len(cuts),
                self._info.max_length,
            )
        return results

    def _forward(self, rows: Sequence[gi.Row], show_progress: bool) -> list[np.ndarray]:
        """Logits of each row's labels, computed in length-sorted batches of rows with equal label counts."""
        out: list[np.ndarray] = [np.zeros(0)] * len(rows)
        by_count: dict[int, list[int]] = {}
        for r, row in enumerate(rows):
            by_count.setdefault(row.hi - row.lo, []).append(r)
        batches: list[list[int]] = []
        for members in by_count.values():
            lengths = [len(rows[r].ids) for r in members]
            plan = plan_batches(lengths, self.batch_size, self.token_budget, padding_tolerance=self.padding_tolerance)
            batches.extend([members[i] for i in batch] for batch in plan)
        left = self.tokenizer.padding_side == "left"
        with torch.inference_mode():
            for batch in progress(batches, total=len(rows), enabled=show_progress, description="gliclass"):
                count = rows[batch[0]].hi - rows[batch[0]].lo
                width = max(len(rows[r].ids) for r in batch)
                ids = torch.full((len(batch), width), self._pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for b, r in enumerate(batch):
                    n = len(rows[r].ids)
                    where = slice(width - n, width) if left else slice(0, n)
                    ids[b, where] = torch.tensor(rows[r].ids, dtype=torch.long)
                    mask[b, where] = 1
                slots = None if self._fixed_alloc else (self._alloc or count)
                output = self.model(
                    input_ids=ids.to(self._device),
                    attention_mask=mask.to(self._device),
                    max_num_classes=slots,
                    return_dict=True,
                )
                logits = output.logits[:, :count].float().cpu().numpy()
                for b, r in enumerate(batch):
                    out[r] = logits[b]
        return out

    # -- helpers -----------------------------------------------------------------------------------

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        """Character spans of the windows ``text`` is cut into when scored with ``hypothesis`` as its label.

        Args:
            text: The premise.
            hypothesis: The label it will be scored with (a blank one: no label).

        Returns:
            ``(start, end)`` spans into ``text``, in order; one span over the whole text when it fits.

        Raises:
            InvalidInputError: ``text`` or ``hypothesis`` is not a str.
        """
        text, hypothesis = check_text(text, "text"), check_text(hypothesis, "hypothesis")
        labels = [hypothesis] if hypothesis.strip() else []
        prompt = gi.build_prompt(text, labels, "", example_format=self.example_format, prompt_first=self.prompt_first)
        rows, _ = gi.make_rows(self.tokenizer, [prompt], [(0, 0, len(labels))], self._info.max_length, "window")
        return [row.span or (0, len(text)) for row in rows]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens.

        Args:
            texts: The texts to count (a list of str).

        Returns:
            One count per text, in input order.

        Raises:
            InvalidInputError: ``texts`` is not a list of str.
        """
        return count_tokens(self.tokenizer, check_texts(texts))

    def __repr__(self) -> str:
        i = self._info
        return f"GLiClassScorer(model={i.model!r}, device={i.device!r}, dtype={i.dtype!r}, max_length={i.max_length})"
