"""Kind detection reads the model's own config, never its name."""

from __future__ import annotations

from typing import Any

import pytest

from entailkit.scorers.loading import detect_kind

NLI_LABELS = {"0": "entailment", "1": "neutral", "2": "contradiction"}


@pytest.mark.parametrize(
    ("config", "kind"),
    [
        ({"model_type": "gliclass", "architectures": ["GLiClassModel"]}, "gliclass"),
        ({"model_type": "bert", "architectures": ["BertForSequenceClassification"]}, "cross-encoder"),
        ({"model_type": "bert", "architectures": ["BertModel"], "id2label": NLI_LABELS}, "embedding"),
        ({"model_type": "bert", "architectures": ["BertModel"]}, "embedding"),
        ({"model_type": "bert", "id2label": NLI_LABELS}, "cross-encoder"),
        ({"model_type": "bert", "id2label": {"0": "LABEL_0", "1": "LABEL_1"}}, "embedding"),
        ({"model_type": "bert", "sentence_transformers": {"activation_fn": "torch.nn.Sigmoid"}}, "cross-encoder"),
        ({"model_type": "bert"}, "embedding"),
        ({"_name_or_path": "cross-encoder/ms-marco-MiniLM-L6-v2", "model_type": "bert"}, "embedding"),
    ],
)
def test_kind_comes_from_the_config(config: dict[str, Any], kind: str) -> None:
    assert detect_kind(config) == kind
