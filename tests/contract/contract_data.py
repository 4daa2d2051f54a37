"""Model names and texts shared by the contract tests."""

from __future__ import annotations

NLI3 = ["bert-nli3-cen", "bert-nli3-enc", "bert-nli3-nce", "deberta-nli3-cen", "deberta-nli3-enc", "deberta-nli3-nce"]
NLI2 = ["bert-nli2-ent0", "bert-nli2-ent1", "deberta-nli2-ent0", "deberta-nli2-ent1"]
REL1 = ["bert-rel1", "deberta-rel1"]
CROSS_ENCODERS = REL1 + NLI2 + NLI3

TEXTS = [
    "A man is playing guitar in the park.",
    "The company sells the stock at the bank today.",
    "Nobody wins the election this week.",
    "The dog eats an apple at home.",
    "",
    "A student reads a book about science and technology in the morning.",
    "Is the price of coffee cheap? The customer said no.",
]
HYPOTHESES = [
    "A person plays music.",
    "The market is positive.",
    "The president is happy.",
    "The dog is hungry.",
    "This example is empty.",
    "A girl is reading.",
    "",
]
