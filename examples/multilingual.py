"""Answers and labels in other languages: built-in templates per language, and sentence splitting that
knows German abbreviations and Chinese / Japanese full stops.

A multilingual NLI model (e.g. MoritzLaurer/multilingual-MiniLMv2-L6-mnli-xnli) is what these are for;
this example runs the English general checker of ../shared/models so that it works offline, so read the
scores as mechanics, not quality. Exits 2 with a message when the model is absent.

    python examples/multilingual.py
"""

from __future__ import annotations

import sys

from _shared import GENERAL_NLI, require

from entailkit import GroundednessChecker, ZeroShotClassifier, load_scorer, split_sentences, template_for


def main() -> int:
    require(GENERAL_NLI)
    # Sentences, with exact character spans: "z. B." and "3." do not end a German sentence; 。 ends a Chinese one.
    for text, language in [("Er kam am 3. Mai an. Das ist z. B. gut.", "de"), ("我喜欢猫。他喜欢狗。", None)]:
        print(split_sentences(text, language=language))  # (sentence, (start, end)) pairs
    # The built-in template of a language (route descriptions and queries are read as they are: "{}");
    # an explicit hypothesis_template always wins.
    print("de template:", template_for("classify", "de"), "| topic:", template_for("topic", "de"))
    scorer = load_scorer(GENERAL_NLI, device="cpu")
    classifier = ZeroShotClassifier(scorer, language="de")
    result = classifier.classify(["Der Mann spielt Gitarre auf der Bühne."], ["Musik", "Kochen"])[0]
    print(f"template in force: {classifier.template!r}; top label: {result.top}")
    report = GroundednessChecker(scorer, language="de").check(
        "Er kam am 3. Mai an. Das ist z. B. gut.", ["Er kam am 3. Mai in Berlin an."]
    )
    print(f"{len(report.sentences)} sentences checked; score {report.score:.2f}; grounded: {report.grounded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
