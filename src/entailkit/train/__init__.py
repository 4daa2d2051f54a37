"""Fine-tuning of cross-encoders (NLI, relevance) and GLiClass; imports torch only when training starts.

Every training name is importable from here (``from entailkit.train import train_cross_encoder, TrainConfig``);
each loads its module on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entailkit._lazy import lazy_exports

_LAZY: dict[str, str] = {
    "TrainConfig": "entailkit.train.recipe",
    "TrainResult": "entailkit.train._common",
    "NLIExample": "entailkit.train.data",
    "RelevanceExample": "entailkit.train.data",
    "ClassificationExample": "entailkit.train.data",
    "load_sick": "entailkit.train.datasets",
    "load_rte": "entailkit.train.datasets",
    "load_nli_jsonl": "entailkit.train.datasets",
    "load_named": "entailkit.train.datasets",
    "load_ag_news": "entailkit.train.datasets",
    "few_shot": "entailkit.train.data",
    "classification_to_nli": "entailkit.train.data",
    "nli_to_classification": "entailkit.train.data",
    "mix": "entailkit.train.data",
    "split_dev": "entailkit.train.data",
    "holdout_split": "entailkit.train.data",
    "train_cross_encoder": "entailkit.train.cross_encoder",
    "train_gliclass": "entailkit.train.gliclass",
    "build_gliclass": "entailkit.train.gliclass",
    "evaluate_nli": "entailkit.train.evaluate",
    "evaluate_reranking": "entailkit.train.evaluate",
    "evaluate_classification": "entailkit.train.evaluate",
    "rerank_candidates": "entailkit.train.evaluate",
    "evaluate_groundedness": "entailkit.train.evaluate",
    "GroundingData": "entailkit.train.grounding",
    "passage_claims": "entailkit.train.grounding",
    "boolq_claims": "entailkit.train.grounding",
    "groundedness_dev_set": "entailkit.train.grounding_dev",
    "groundedness_train_pairs": "entailkit.train.grounding_dev",
    "groundedness_qa_dev_set": "entailkit.train.grounding_dev",
    "QAExample": "entailkit.train.grounding_qa",
    "HeadCalibration": "entailkit.train.head_calibration",
    "fit_head_calibration": "entailkit.train.head_calibration",
    "fold_head_calibration": "entailkit.train.head_calibration",
    "fit_fusion": "entailkit.train.fusion",
    "write_model_card": "entailkit.train.card",
    "BeirData": "entailkit.train.relevance",
    "load_beir": "entailkit.train.relevance",
    "relevance_examples": "entailkit.train.relevance",
    "dense_scores": "entailkit.train.relevance",
    "dense_retrieve": "entailkit.train.relevance",
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

if TYPE_CHECKING:
    from entailkit.train._common import TrainResult
    from entailkit.train.card import write_model_card
    from entailkit.train.cross_encoder import train_cross_encoder
    from entailkit.train.data import (
        ClassificationExample,
        NLIExample,
        RelevanceExample,
        classification_to_nli,
        few_shot,
        holdout_split,
        mix,
        nli_to_classification,
        split_dev,
    )
    from entailkit.train.datasets import load_ag_news, load_named, load_nli_jsonl, load_rte, load_sick
    from entailkit.train.evaluate import (
        evaluate_classification,
        evaluate_groundedness,
        evaluate_nli,
        evaluate_reranking,
        rerank_candidates,
    )
    from entailkit.train.fusion import fit_fusion
    from entailkit.train.gliclass import build_gliclass, train_gliclass
    from entailkit.train.grounding import GroundingData, boolq_claims, passage_claims
    from entailkit.train.grounding_dev import groundedness_dev_set, groundedness_qa_dev_set, groundedness_train_pairs
    from entailkit.train.grounding_qa import QAExample
    from entailkit.train.head_calibration import HeadCalibration, fit_head_calibration, fold_head_calibration
    from entailkit.train.recipe import TrainConfig
    from entailkit.train.relevance import BeirData, dense_retrieve, dense_scores, load_beir, relevance_examples

__all__ = [
    "BeirData",
    "ClassificationExample",
    "GroundingData",
    "HeadCalibration",
    "NLIExample",
    "QAExample",
    "RelevanceExample",
    "TrainConfig",
    "TrainResult",
    "boolq_claims",
    "build_gliclass",
    "classification_to_nli",
    "dense_retrieve",
    "dense_scores",
    "evaluate_classification",
    "evaluate_groundedness",
    "evaluate_nli",
    "evaluate_reranking",
    "few_shot",
    "fit_fusion",
    "fit_head_calibration",
    "fold_head_calibration",
    "groundedness_dev_set",
    "groundedness_qa_dev_set",
    "groundedness_train_pairs",
    "holdout_split",
    "load_ag_news",
    "load_beir",
    "load_named",
    "load_nli_jsonl",
    "load_rte",
    "load_sick",
    "mix",
    "nli_to_classification",
    "passage_claims",
    "relevance_examples",
    "rerank_candidates",
    "split_dev",
    "train_cross_encoder",
    "train_gliclass",
    "write_model_card",
]
