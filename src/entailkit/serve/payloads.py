"""Response bodies in the shapes other rerank APIs speak (Cohere / Jina), built from entailkit's results."""

from __future__ import annotations

import uuid
from typing import Any

from entailkit.types import RerankResult


def rerank_payload(result: RerankResult, *, return_documents: bool, version: str, model: str) -> dict[str, Any]:
    """The Cohere / Jina response: ``{id, results: [{index, relevance_score, document?}], meta, model}``.

    Args:
        result: The Reranker's result (items best first).
        return_documents: Whether each entry carries ``document: {text}``.
        version: The API version reported in ``meta`` ("1" or "2").
        model: The served model's public name.

    Returns:
        The JSON body.
    """
    results: list[dict[str, Any]] = []
    for item in result.items:
        entry: dict[str, Any] = {"index": item.index, "relevance_score": item.score}
        if return_documents:
            entry["document"] = {"text": item.text}
        results.append(entry)
    return {
        "id": str(uuid.uuid4()),
        "results": results,
        "meta": {"api_version": {"version": version}, "billed_units": {"search_units": 1}},
        "model": model,
    }


__all__ = ["rerank_payload"]
