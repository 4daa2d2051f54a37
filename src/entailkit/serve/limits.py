"""Per-request limits, checked before any model work: item counts, characters per field, the work budget.

Each endpoint calls one method here before it queues anything, so an oversized request costs a scan of
its strings and nothing else. Every refusal uses the API's error shape and names the field and the
option that raises the limit. Work is counted in estimated pairs (:mod:`entailkit.batching.work`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from entailkit._documents import find_text
from entailkit.batching.work import label_pairs, pairs_of
from entailkit.errors import ApiError
from entailkit.serve.config import ServeConfig
from entailkit.serve.metrics import ServerMetrics
from entailkit.tasks.sentences import split_sentences

__all__ = ["QUERY_TEMPLATE_CHARS", "RequestLimits"]

QUERY_TEMPLATE_CHARS = 32
"""At most the characters a template adds to the query or label that fills it (``"This text is about {}."``
adds 21); no built-in template of ``tasks/templates.py`` adds more (tests/unit/test_templates.py checks it)."""


class RequestLimits:
    """The limits of one server (from its ServeConfig); the model's ``max_length`` and whether it reads all
    labels in one pass (``native == "labels"``, GLiClass) shape the work estimates."""

    def __init__(
        self, config: ServeConfig, max_length: int, metrics: ServerMetrics | None = None, *, single_pass: bool = False
    ) -> None:
        """Keep the server's limits and what shapes its work estimates.

        Args:
            config: The server's options; its ``max_*`` fields are the limits.
            max_length: The model's ``max_length`` in tokens: how long a premise is before it takes
                several windows.
            metrics: Where refusals are counted (``entailkit_rejected_total`` by error type); None: nowhere.
            single_pass: The model reads a text with all its labels in one pass (GLiClass), so labels
                add length rather than pairs.
        """
        self.config = config
        self.max_length = int(max_length)
        self.metrics = metrics
        self.single_pass = single_pass

    # -- building blocks ---------------------------------------------------------------------------

    def texts(
        self,
        items: Sequence[Any],
        field: str,
        *,
        max_items: int | None = None,
        items_option: str = "--max-documents",
    ) -> list[int]:
        """Character counts of ``items``; 422 when there are too many or one is longer than max_document_chars.

        Args:
            items: Strings or documents (dicts or objects whose text is found as the server finds it).
            field: The request field, named in the error message (e.g. ``"documents"``).
            max_items: The most items allowed; None: ``config.max_documents``.
            items_option: The option that raises ``max_items``, named in the error message.

        Returns:
            The characters of each item's text (0 for an item without text).

        Raises:
            ApiError: 422 ``too_many_items`` or ``document_too_long``.
        """
        limit = max_items or self.config.max_documents
        if len(items) > limit:
            self._refuse(
                422,
                "too_many_items",
                f"{len(items)} {field} in one request; the limit is {limit} ({items_option}). Split the request.",
            )
        counts = []
        for i, item in enumerate(items):
            text = find_text(item)
            n = len(text) if text is not None else 0
            if n > self.config.max_document_chars:
                self._refuse(
                    422,
                    "document_too_long",
                    f"{field}[{i}] has {n} characters; the limit is {self.config.max_document_chars} "
                    "(--max-document-chars).",
                )
            counts.append(n)
        return counts

    def chars(self, value: str | None, field: str, *, limit: int, option: str) -> int:
        """The length of a short string field; 422 naming the field when it is over ``limit``.

        Args:
            value: The field's value; None counts as 0 characters.
            field: The field's name, for the error message.
            limit: The most characters allowed.
            option: The server option that raises ``limit``, for the error message.

        Raises:
            ApiError: 422 ``field_too_long``.
        """
        if value is None:
            return 0
        if len(value) > limit:
            self._refuse(
                422, "field_too_long", f"{field} has {len(value)} characters; the limit is {limit} ({option})."
            )
        return len(value)

    def query(self, value: str | None, field: str = "query") -> int:
        """The length of a query-like field, within ``config.max_query_chars``.

        Args:
            value: The field's value; None counts as 0 characters.
            field: The field's name, for the error message.

        Raises:
            ApiError: 422 ``field_too_long``.
        """
        return self.chars(value, field, limit=self.config.max_query_chars, option="--max-query-chars")

    def label(self, value: str | None, field: str) -> int:
        """The length of a label, label description or template, within ``config.max_label_chars``.

        Args:
            value: The field's value; None counts as 0 characters.
            field: The field's name, for the error message.

        Raises:
            ApiError: 422 ``field_too_long``.
        """
        return self.chars(value, field, limit=self.config.max_label_chars, option="--max-label-chars")

    def labels(self, labels: Sequence[str] | Mapping[str, str]) -> list[int]:
        """Characters of the text the model reads for each label; 422 for too many or one too long.

        Args:
            labels: Label names, or names mapped to the descriptions the model reads instead (both are
                checked against ``config.max_label_chars``).

        Raises:
            ApiError: 422 ``too_many_items`` (over ``config.max_labels``) or ``field_too_long``.
        """
        if len(labels) > self.config.max_labels:
            self._refuse(
                422,
                "too_many_items",
                f"{len(labels)} labels in one request; the limit is {self.config.max_labels} (--max-labels).",
            )
        if isinstance(labels, Mapping):
            read = []
            for name, description in labels.items():
                self.label(name, f"labels[{name[:40]!r}] (name)")
                read.append(self.label(description, f"labels[{name[:40]!r}]"))
            return read
        return [self.label(name, f"labels[{i}]") for i, name in enumerate(labels)]

    def budget(self, pairs: int, detail: str) -> None:
        """413 when the request's estimated pairs exceed max_request_pairs: refused before any model work.

        Args:
            pairs: The request's estimated pairs (model rows, windows included).
            detail: How the pairs were counted, for the error message.

        Raises:
            ApiError: 413 ``too_many_pairs``.
        """
        limit = self.config.max_request_pairs
        if pairs > limit:
            self._refuse(
                413,
                "too_many_pairs",
                f"this request needs about {pairs} model pairs ({detail}); the limit is {limit} pairs per request "
                "(--max-request-pairs). Send fewer or shorter items per request.",
            )

    def _refuse(self, status: int, error_type: str, message: str) -> None:
        if self.metrics is not None:
            self.metrics.reject(error_type)
        raise ApiError(status, error_type, message)

    # -- one check per endpoint --------------------------------------------------------------------

    def rerank(self, query: str, documents: Sequence[Any], *, field: str = "documents") -> None:
        """Rerank: the query's length, the documents, and documents x windows within the budget.

        Args:
            query: The query.
            documents: The documents (strings or dicts / objects holding their text).
            field: The request field that holds the documents, for error messages.

        Raises:
            ApiError: 422 for a limit on counts or characters, 413 over the pair budget.
        """
        query_chars = self.query(query)
        counts = self.texts(documents, field)
        pairs = pairs_of(counts, self.max_length, query_chars + QUERY_TEMPLATE_CHARS)
        self.budget(pairs, f"{len(counts)} {field} in {pairs} windows")

    def check(self, answer: str, contexts: Sequence[str], question: str | None) -> None:
        """Check: the answer, contexts and question, and sentences x context windows within the budget.

        Args:
            answer: The answer, checked as one document and split into sentences for the estimate.
            contexts: The contexts the answer is checked against.
            question: The question, or None.

        Raises:
            ApiError: 422 for a limit on counts or characters, 413 over the pair budget.
        """
        self.texts([answer], "answer")
        self.query(question, "question")
        counts = self.texts(contexts, "contexts")
        sentences = split_sentences(answer) if answer.strip() else []
        longest = max((len(text) for text, _ in sentences), default=0)
        windows = pairs_of([n for n in counts if n], self.max_length, longest)
        pairs = len(sentences) * windows
        self.budget(pairs, f"{len(sentences)} answer sentences x {windows} context windows")

    def classify(self, texts: Sequence[str], labels: Sequence[str] | Mapping[str, str], template: str | None) -> None:
        """Classify: texts, labels and template, and the texts' windows x labels within the budget.

        Args:
            texts: The texts to classify.
            labels: Label names, or names mapped to descriptions.
            template: The hypothesis template, or None (estimated as ``QUERY_TEMPLATE_CHARS`` characters).

        Raises:
            ApiError: 422 for a limit on counts or characters, 413 over the pair budget.
        """
        label_chars = self.labels(labels)
        template_chars = self.label(template, "hypothesis_template") or QUERY_TEMPLATE_CHARS
        counts = self.texts(texts, "texts")
        pairs = sum(self._label_pairs(n, label_chars, template_chars) for n in counts)
        self.budget(pairs, f"{len(counts)} texts x {len(label_chars)} labels")

    def route(self, queries: Sequence[str], descriptions: Sequence[str]) -> None:
        """Route: the queries, and their windows x routes within the budget.

        Args:
            queries: The queries to route.
            descriptions: The text the model reads for each route (the server's routes, not checked here).

        Raises:
            ApiError: 422 for a limit on counts or characters, 413 over the pair budget.
        """
        counts = self.texts(queries, "queries")
        label_chars = [len(d) for d in descriptions]
        pairs = sum(self._label_pairs(n, label_chars, QUERY_TEMPLATE_CHARS) for n in counts)
        self.budget(pairs, f"{len(counts)} queries x {len(label_chars)} routes")

    def _label_pairs(self, text_chars: int, label_chars: list[int], template_chars: int) -> int:
        return label_pairs(
            text_chars, label_chars, self.max_length, single_pass=self.single_pass, template_chars=template_chars
        )
