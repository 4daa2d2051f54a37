"""Built-in templates per task and language: how a label, a route description or a query becomes the hypothesis.

One default per kind of hypothesis, each the best measured: a label reads "This example is {}."; a route
description and a search query, phrases that already say something, are the hypothesis as they are ("{}",
in every language: they need no translation). "topic" is no task's default: "This text is about {}." in
each language, for descriptions or queries that are bare topics. The English entries of "classify" and
"topic" are ``DEFAULT_HYPOTHESIS_TEMPLATE`` and ``TOPIC_TEMPLATE``. The others are idiomatic translations,
each a full sentence with one ``{}`` placed where a label in its dictionary form reads right: a nominative slot ("Das Thema
dieses Textes ist {}.", "Тема этого текста — {}."), a preposition that neither contracts nor elides
("Ce texte porte sur {}.", "Este texto trata sobre {}."), or a particle that does not change with the
word before it (Korean 에). ``language`` is checked by ``sentences.check_language``, the one check of a
language code (the groundedness checker's): "de", "DE" and "de-AT" all give German.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from entailkit._validation import check_template
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE
from entailkit.tasks.sentences import check_language

__all__ = [
    "DEFAULT_HYPOTHESIS_TEMPLATE",
    "DEFAULT_QUERY_TEMPLATE",
    "DEFAULT_ROUTE_TEMPLATE",
    "TEMPLATES",
    "TEMPLATE_LANGUAGES",
    "TOPIC_TEMPLATE",
    "TemplateTask",
    "check_template_options",
    "template_for",
]

TemplateTask = Literal["classify", "route", "rerank", "topic"]
"""The kinds with built-in templates: a label (classify), a route description (route), a query (rerank), and
"this text is about <topic>" (topic, no task's default)."""

TOPIC_TEMPLATE = "This text is about {}."
"""A topic phrase as a statement about the text; the route and query default until 2026-12, now an option."""

DEFAULT_ROUTE_TEMPLATE = "{}"
"""How a route description becomes the hypothesis: the description itself. On AG News zero-shot with
route-style descriptions ("sports, teams and games") it scored above "This example is {}." and well above
``TOPIC_TEMPLATE`` with both checkers measured (docs/concepts.md)."""

DEFAULT_QUERY_TEMPLATE = "{}"
"""How a query becomes an NLI hypothesis: the query itself. On held-out MS MARCO queries (questions and
entities) the bare query ranks better than "This text is about {}." with every NLI checker measured
(docs/rerank.md "Which path when"). Queries that are bare topics may read better with ``TOPIC_TEMPLATE``."""

_NONE_IS_ENGLISH = "for the English template"

# fmt: off
_CLASSIFY: dict[str, str] = {
    "en": DEFAULT_HYPOTHESIS_TEMPLATE,
    "de": "Dieses Beispiel ist {}.",
    "fr": "Cet exemple est {}.",
    "es": "Este ejemplo es {}.",
    "it": "Questo esempio è {}.",
    "pt": "Este exemplo é {}.",
    "nl": "Dit voorbeeld is {}.",
    "ru": "Этот пример — {}.",
    "zh": "这个例子是{}。",
    "ja": "この例は{}です。",
    "ko": "이 예시는 {}입니다.",
    "ar": "هذا المثال {}.",
    "hi": "यह उदाहरण {} है।",
    "tr": "Bu örnek {}.",
    "pl": "Ten przykład to {}.",
}
"""'This example is {}.': the subject is a masculine or neuter noun, so an adjective label in its
dictionary form agrees ("Cet exemple est positif"); nouns take a copula that keeps them nominative."""

_ABOUT: dict[str, str] = {
    "en": TOPIC_TEMPLATE,
    "de": "Das Thema dieses Textes ist {}.",
    "fr": "Ce texte porte sur {}.",
    "es": "Este texto trata sobre {}.",
    "it": "Questo testo riguarda {}.",
    "pt": "Este texto é sobre {}.",
    "nl": "Deze tekst gaat over {}.",
    "ru": "Тема этого текста — {}.",
    "zh": "这段文字是关于{}的。",
    "ja": "この文章は{}に関するものです。",
    "ko": "이 글은 {}에 관한 내용입니다.",
    "ar": "يتحدث هذا النص عن {}.",
    "hi": "इस पाठ का विषय {} है।",
    "tr": "Bu metin {} hakkındadır.",
    "pl": "Temat tego tekstu to {}.",
}
"""'This text is about {}.' (``TOPIC_TEMPLATE``): what a text is about, for topic phrases."""
# fmt: on

TEMPLATES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "classify": MappingProxyType(_CLASSIFY),
        "route": MappingProxyType(dict.fromkeys(_CLASSIFY, DEFAULT_ROUTE_TEMPLATE)),
        "rerank": MappingProxyType(dict.fromkeys(_CLASSIFY, DEFAULT_QUERY_TEMPLATE)),
        "topic": MappingProxyType(_ABOUT),
    }
)
"""task -> ISO 639-1 code -> template (read-only); every task has the same languages."""

TEMPLATE_LANGUAGES: tuple[str, ...] = tuple(_CLASSIFY)
"""The languages with built-in templates, English first."""


def template_for(task: TemplateTask, language: str | None = None) -> str:
    """The built-in template of ``task`` in ``language``; None gives the English one.

    Args:
        task: ``"classify"`` (a label or its description), ``"route"`` (a route description), ``"rerank"``
            (a query, for NLI heads) or ``"topic"`` ("This text is about {}." in ``language``).
        language: An ISO 639-1 code (``"de"``; a region is ignored: ``"pt-BR"`` is ``"pt"``), or None.

    Returns:
        The template with one ``{}``: a full sentence for "classify" and "topic", ``"{}"`` for the others.

    Raises:
        InvalidInputError: ``task`` is not one of the four, ``language`` is not a language code, or no
            template is built in for it (the message lists the languages that have one).
    """
    table = TEMPLATES.get(task) if isinstance(task, str) else None
    if table is None:
        raise InvalidInputError(f"task must be one of {tuple(TEMPLATES)}, got {task!r}.")
    code = check_language(language, unset=_NONE_IS_ENGLISH)
    if code is None:
        return table["en"]
    if code not in table:
        raise InvalidInputError(
            f"no built-in {task} template for language {language!r}; built in: {', '.join(TEMPLATE_LANGUAGES)}. "
            "Pass your own template instead (a full sentence with one {}), with or without language=."
        )
    return table[code]


def check_template_options(
    template: str | None, language: str | None, task: TemplateTask, name: str
) -> tuple[str | None, str | None]:
    """A task's template and ``language`` options, checked once and kept as given (None: not given).

    A given template wins over ``language``, which then only needs to be a language code (one without a
    built-in template is fine: yours is in it). Without a template, ``language`` must have a built-in one,
    so a typo fails when the task is built rather than on its first call.

    Args:
        template: The template option as given, or None.
        language: The language option as given, or None.
        task: The task whose built-in templates ``language`` picks from.
        name: The template option's name in messages (``hypothesis_template``, ``query_template``).

    Returns:
        ``(template, language)`` as given, both checked.

    Raises:
        InvalidInputError: The template has not exactly one plain ``{}``, ``language`` is not a code, or
            (without a template) no template is built in for ``language``.
    """
    if template is None:
        template_for(task, language)
        return None, language
    check_language(language, unset=_NONE_IS_ENGLISH)
    return check_template(template, name), language
