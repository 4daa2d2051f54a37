"""``language=`` on a real (tiny XLM-R) model: the classifier scores as transformers' zero-shot pipeline does
with ``hypothesis_template`` set to the built-in template of that language (fp32, 1e-5).

The method of ``test_ce_parity.py`` (its ``pipeline_scores``), on German and Chinese texts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ce_parity import TOL, pipeline_scores

from entailkit import ZeroShotClassifier, load_scorer, template_for
from fixtures.tiny_multilingual import XLMR

pytest.importorskip("torch")

MODELS = [n for n in XLMR if "-nli" in n and not n.endswith("nce")]  # the heads the pipeline reads right
CASES = {
    "de": (["Der alte Mann kauft frisches Brot am Bahnhof.", "Unsere Mannschaft spielt Fußball im Park."],
           ["Sport", "Essen", "Politik"]),
    "zh": (["我们的队伍在公园里踢足球。", "老师在家里看书。"], ["体育", "教育", "政治"]),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(CASES))
@pytest.mark.parametrize("multi_label", [False, True])
@pytest.mark.parametrize("name", MODELS)
def test_classifier_language_matches_the_pipeline_with_that_template(
    name: str, multi_label: bool, language: str, tiny_multilingual_models: dict[str, Path]
) -> None:
    path = tiny_multilingual_models[name]
    texts, labels = CASES[language]
    classifier = ZeroShotClassifier(load_scorer(path, device="cpu"), language=language)
    template = template_for("classify", language)
    assert classifier.template == template != template_for("classify")
    ours = classifier.classify(texts, labels, multi_label=multi_label)
    ref = pipeline_scores(path, texts, [labels] * len(texts), template, multi_label)
    diffs = [abs(c.as_dict()[label] - r[label]) for c, r in zip(ours, ref, strict=True) for label in labels]
    assert max(diffs) <= TOL, f"max abs diff {max(diffs):.3g} > {TOL}"
    # The template reached the model: the English one scores otherwise.
    english = pipeline_scores(path, texts, [labels] * len(texts), template_for("classify"), multi_label)
    assert (
        max(abs(c.as_dict()[label] - e[label]) for c, e in zip(ours, english, strict=True) for label in labels) > 1e-4
    )
