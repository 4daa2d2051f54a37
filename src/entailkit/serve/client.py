"""``entailkit.Client``: call an ``entailkit serve`` server and get entailkit's own result types back."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from entailkit._optional import require
from entailkit.errors import InvalidInputError, ServerError
from entailkit.serve.errors import error_kind
from entailkit.types import Classification, GroundednessReport, RerankResult, RouteDecision

__all__ = ["RETRY_STATUSES", "Client"]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
"""Statuses a call is retried on (overloaded, shutting down, or a proxy in front): the request was not served."""


class Client:
    """A synchronous client for the entailkit HTTP API (``entailkit serve``).

    ``Client("http://127.0.0.1:8080", api_key=None, timeout=60.0, max_retries=2)``. Invalid input (HTTP 422)
    raises :class:`~entailkit.errors.InvalidInputError`, every other error status
    :class:`~entailkit.errors.ServerError`. A call the server did not serve (503 overloaded, 429, 502, 504,
    or no connection) is retried after the server's ``Retry-After`` (else an exponential backoff); every
    endpoint is a pure function of its request, so a retry cannot apply anything twice.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        max_retry_wait_s: float = 30.0,
    ) -> None:
        """Open an HTTP connection pool to the server (nothing is sent until the first call).

        Args:
            url: The server's base URL (a trailing ``/`` is dropped).
            api_key: Sent as ``Authorization: Bearer <api_key>`` (for a server run with ``--api-key``);
                None: no header.
            timeout: Seconds httpx waits on each request.
            max_retries: Retries of a call the server did not serve (0: none).
            backoff_s: The first wait when the answer has no ``Retry-After``; doubled at each retry.
            max_retry_wait_s: The longest wait before a retry (a longer ``Retry-After`` is cut to this).

        Raises:
            InvalidInputError: A negative retry count or wait.
            MissingDependencyError: httpx is not installed (``pip install 'entailkit[serve]'``).
        """
        httpx = require("httpx", extra="serve")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidInputError(f"max_retries must be an int >= 0, got {max_retries!r}.")
        for name, value in (("backoff_s", backoff_s), ("max_retry_wait_s", max_retry_wait_s)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise InvalidInputError(f"{name} must be a number >= 0, got {value!r}.")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = url.rstrip("/")
        self.max_retries, self.backoff_s, self.max_retry_wait_s = max_retries, float(backoff_s), float(max_retry_wait_s)
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        # Refused or reset connections: the request never reached a handler (a timeout is not retried).
        self._unserved = (httpx.ConnectError, httpx.RemoteProtocolError)

    # -- tasks -------------------------------------------------------------------------------------

    def rerank(
        self,
        query: str,
        documents: Sequence[str | Mapping[str, Any]],
        *,
        top_n: int | None = None,
        threshold: float | None = None,
        first_stage_scores: Sequence[float] | None = None,
    ) -> RerankResult:
        """Rerank ``documents`` (strings or ``{"text": ...}`` objects) for ``query`` on the server.

        Args:
            query: The query.
            documents: Strings or ``{"text": ...}`` mappings (other keys come back in the items).
            top_n: Keep the best ``top_n``; None: the server's reranker's setting.
            threshold: Drop documents scoring below this, in [0, 1]; None: the server's reranker's setting.
            first_stage_scores: One retriever score per document, for a model trained on top of it.

        Returns:
            The server's full RerankResult (``/v1/rerank/full``).

        Raises:
            InvalidInputError: The server rejected the request (HTTP 422).
            ServerError: Any other error status (``retry_after`` set for a 503).
        """
        body: dict[str, Any] = {"query": query, "documents": list(documents), "top_n": top_n, "threshold": threshold}
        if first_stage_scores is not None:
            body["first_stage_scores"] = list(first_stage_scores)
        return RerankResult.model_validate(self._post("/v1/rerank/full", body))

    def check(
        self,
        answer: str,
        contexts: Sequence[str],
        question: str | None = None,
        *,
        threshold: float | None = None,
        contradiction_threshold: float | None = None,
        aggregate: str | None = None,
    ) -> GroundednessReport:
        """Check ``answer`` sentence by sentence against ``contexts``; options left None are the server's checker's.

        Args:
            answer: The answer to check.
            contexts: The contexts it should be grounded in.
            question: The question the answer replies to, kept in the report (and put before each sentence
                as the server's checker's ``question_mode`` says).
            threshold: The entailment a sentence needs to be supported, in [0, 1].
            contradiction_threshold: The contradiction that marks a sentence contradicted, in [0, 1].
            aggregate: ``"min"`` or ``"mean"`` of the sentence scores decides whether the answer is grounded.

        Returns:
            The server's GroundednessReport: ``score`` decides ``grounded``, ``supported_fraction`` is the
            fraction of supported sentences (an older server's ``aggregate_score`` is read as ``score``).

        Raises:
            InvalidInputError: The server rejected the request (HTTP 422), e.g. an option out of range.
            ServerError: Any other error status.
        """
        body: dict[str, Any] = {"answer": answer, "contexts": list(contexts), "question": question}
        options = {"threshold": threshold, "contradiction_threshold": contradiction_threshold, "aggregate": aggregate}
        body.update({name: value for name, value in options.items() if value is not None})  # left out: the server's
        return GroundednessReport.model_validate(self._post("/v1/check", body))

    def classify(
        self,
        texts: Sequence[str],
        labels: Sequence[str] | Mapping[str, str],
        *,
        multi_label: bool = False,
        threshold: float | None = None,
        hypothesis_template: str | None = None,
    ) -> list[Classification]:
        """Zero-shot labels for ``texts`` (one Classification per text, labels sorted by score).

        Args:
            texts: The texts (a list, not one str).
            labels: Label names, or names mapped to the descriptions the model reads instead.
            multi_label: Score each label on its own (several may apply) instead of one softmax over them.
            threshold: The score a label needs to be predicted, in [0, 1]; None: 0.5 for multi-label, and
                the top label is always predicted for single-label.
            hypothesis_template: How a label becomes the hypothesis, with one ``{}``; None: the server's.

        Raises:
            InvalidInputError: ``texts`` is a str, or the server rejected the request (HTTP 422).
            ServerError: Any other error status.
        """
        if isinstance(texts, str):
            raise InvalidInputError("texts must be a list of str; wrap a single text in a list.")
        body = {
            "texts": list(texts),
            "labels": dict(labels) if isinstance(labels, Mapping) else list(labels),
            "multi_label": multi_label,
            "threshold": threshold,
            "hypothesis_template": hypothesis_template,
        }
        return [Classification.model_validate(r) for r in self._post("/v1/classify", body)["results"]]

    def route(self, query: str) -> RouteDecision:
        """The route of one query (the server must run with ``--routes``).

        Args:
            query: The query.

        Raises:
            InvalidInputError: The server rejected the request (HTTP 422).
            ServerError: Any other error status; 404 when the server has no routes.
        """
        return RouteDecision.model_validate(self._post("/v1/route", {"query": query})["results"][0])

    def route_many(self, queries: Sequence[str]) -> list[RouteDecision]:
        """Routes of many queries, in input order.

        Args:
            queries: The queries.

        Raises:
            InvalidInputError: The server rejected the request (HTTP 422).
            ServerError: Any other error status; 404 when the server has no routes.
        """
        return [RouteDecision.model_validate(r) for r in self._post("/v1/route", {"queries": list(queries)})["results"]]

    def route_batch(self, queries: Sequence[str]) -> list[RouteDecision]:
        """Deprecated name of :meth:`route_many` (batch methods are named ``*_many`` everywhere).

        Args:
            queries: The queries.
        """
        warnings.warn("Client.route_batch is deprecated; use route_many", DeprecationWarning, stacklevel=2)
        return self.route_many(queries)

    def health(self) -> dict[str, Any]:
        """The server's status, model and queue."""
        return self._send("GET", "/health", None)  # type: ignore[no-any-return]

    # -- plumbing ----------------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("POST", path, {k: v for k, v in body.items() if v is not None})

    def _send(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        """One call, retried (up to ``max_retries``) while the server did not serve it."""
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self._http.request(method, path, json=payload)
            except self._unserved:
                if last:
                    raise
                time.sleep(self._wait(attempt, None))
                continue
            if response.status_code not in RETRY_STATUSES or last:
                return self._handle(response)
            time.sleep(self._wait(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before retry ``attempt + 1``: the server's Retry-After, else the doubling backoff; capped."""
        try:
            wait = float(retry_after) if retry_after is not None else self.backoff_s * 2**attempt
        except ValueError:  # an HTTP-date Retry-After: entailkit sends seconds, a proxy may not
            wait = self.backoff_s * 2**attempt
        return min(max(wait, 0.0), self.max_retry_wait_s)

    @staticmethod
    def _handle(response: Any) -> Any:
        if response.status_code < 400:
            return response.json()
        try:
            body = response.json()
        except ValueError:
            body = None
        kind, message = error_kind(body, response.headers)
        message = message or response.text
        if response.status_code == 422:
            raise InvalidInputError(f"the server rejected the request: {message}")
        retry = response.headers.get("retry-after")
        raise ServerError(response.status_code, kind, message, float(retry) if retry and retry.isdigit() else None)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r})"
