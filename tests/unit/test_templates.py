"""Built-in templates per language: the table, ``template_for``, ``language=`` on the three tasks, specs, CLI.

The hypotheses a task sends are read from the FakeScorer's calls, so each test checks the exact string the
model would read.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import entailkit
from entailkit import Reranker, Route, Router, ZeroShotClassifier, template_for
from entailkit._validation import check_template
from entailkit.cli import app
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE
from entailkit.tasks import DEFAULT_QUERY_TEMPLATE
from entailkit.tasks.routing import DEFAULT_ROUTE_TEMPLATE
from entailkit.tasks.specs import ClassifySpec, RerankSpec, RouteSpec
from entailkit.tasks.templates import TEMPLATE_LANGUAGES, TEMPLATES, TOPIC_TEMPLATE
from fakes import FakeScorer

REQUIRED = {"en", "de", "fr", "es", "it", "pt", "nl", "ru", "zh", "ja", "ko", "ar", "hi", "tr", "pl"}
CASES = [(task, code) for task in ("classify", "topic") for code in TEMPLATES[task]]
TEXTS = ["Die Mannschaft gewinnt das Spiel.", "Die Aktien fallen."]
LABELS = ["Sport", "Wirtschaft"]
ROUTES = [Route("billing", "Rechnungen und Zahlungen"), Route("tech", "Fehler und Abstürze")]
DE_CLASSIFY, DE_ABOUT = "Dieses Beispiel ist {}.", "Das Thema dieses Textes ist {}."


# -- the table --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("task", "code"), CASES, ids=[f"{t}-{c}" for t, c in CASES])
def test_every_builtin_template_is_a_sentence_with_one_slot(task: str, code: str) -> None:
    template = TEMPLATES[task][code]
    assert check_template(template) == template  # exactly one plain {}
    assert template.count("{}") == 1 and template == template.strip()
    filled = template.format("LABEL")
    assert "LABEL" in filled and filled[-1] in ".。।"  # a full sentence, with its script's full stop
    assert template_for(task, code) == template  # type: ignore[arg-type]


@pytest.mark.parametrize("task", ["route", "rerank"])
def test_descriptions_and_queries_are_read_as_they_are_in_every_language(task: str) -> None:
    assert dict(TEMPLATES[task]) == dict.fromkeys(TEMPLATE_LANGUAGES, "{}")
    assert template_for(task, "de").format("Preise") == "Preise"  # type: ignore[arg-type]  # no translation


def test_english_entries_are_the_defaults_one_per_kind_of_hypothesis() -> None:
    assert template_for("classify") == template_for("classify", "en") == DEFAULT_HYPOTHESIS_TEMPLATE
    assert template_for("route") == DEFAULT_ROUTE_TEMPLATE and template_for("rerank") == DEFAULT_QUERY_TEMPLATE
    assert DEFAULT_HYPOTHESIS_TEMPLATE == "This example is {}."  # a label: the zero-shot pipeline's default
    assert DEFAULT_ROUTE_TEMPLATE == "{}"  # a description: as it is (measured best on AG News descriptions)
    assert DEFAULT_QUERY_TEMPLATE == "{}"  # a query: as it is (measured best on held-out MS MARCO)
    assert template_for("topic") == TOPIC_TEMPLATE == "This text is about {}."  # no task's default


def test_every_task_has_the_same_languages_and_the_most_used_ones() -> None:
    assert set(TEMPLATE_LANGUAGES) >= REQUIRED and TEMPLATE_LANGUAGES[0] == "en"
    assert all(tuple(table) == TEMPLATE_LANGUAGES for table in TEMPLATES.values())
    assert entailkit.TEMPLATE_LANGUAGES == TEMPLATE_LANGUAGES
    assert template_for("classify", "zh") == "这个例子是{}。"  # CJK: no spaces, the ideographic full stop
    assert template_for("topic", "zh") == "这段文字是关于{}的。"
    with pytest.raises(TypeError):
        TEMPLATES["classify"]["de"] = "x {}"  # type: ignore[index]  # read-only


def test_builtin_templates_fit_the_servers_template_estimate() -> None:
    pytest.importorskip("pydantic_settings", reason="the 'serve' extra is not installed")
    from entailkit.serve.limits import QUERY_TEMPLATE_CHARS

    added = {template: len(template) - len("{}") for table in TEMPLATES.values() for template in table.values()}
    assert max(added.values()) <= QUERY_TEMPLATE_CHARS, added


def test_the_docs_table_is_the_builtin_table() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "classify.md"
    rows = re.findall(
        r"^\| `([a-z]{2})` \| [^|]+ \| `([^`]+)` \| `([^`]+)` \|$", page.read_text(encoding="utf-8"), re.M
    )
    assert rows == [(code, TEMPLATES["classify"][code], TEMPLATES["topic"][code]) for code in TEMPLATE_LANGUAGES]


@pytest.mark.parametrize("code", ["de", "DE", "de-AT", "de_CH", " de "])
def test_language_codes_are_read_like_the_sentence_splitters(code: str) -> None:
    assert template_for("classify", code) == DE_CLASSIFY and template_for("topic", code) == DE_ABOUT


def test_unknown_and_malformed_languages_are_typed_errors() -> None:
    with pytest.raises(InvalidInputError, match=r"no built-in classify template for language 'sv'; built in: en, de"):
        template_for("classify", "sv")
    for bad in ["German", "auto", "", 3]:
        with pytest.raises(InvalidInputError, match=r"ISO 639-1 code .* or None for the English template"):
            template_for("rerank", bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"task must be one of \('classify', 'route', 'rerank', 'topic'\)"):
        template_for("summarize")  # type: ignore[arg-type]


# -- the tasks --------------------------------------------------------------------------------------------


def test_classifier_language_picks_the_template() -> None:
    fake = FakeScorer({("Mannschaft", DE_CLASSIFY.format("Sport")): 0.9})
    clf = ZeroShotClassifier(fake, language="de")
    assert clf.language == "de" and clf.hypothesis_template is None and clf.template == DE_CLASSIFY
    first, _ = clf.classify(TEXTS, LABELS)
    assert fake.calls[-1].hypotheses == [DE_CLASSIFY.format(label) for label in LABELS] * 2
    assert first.top == "Sport"
    assert ZeroShotClassifier(fake, language="pt-BR").template == "Este exemplo é {}."  # as given, region ignored
    assert ZeroShotClassifier(fake).template == DEFAULT_HYPOTHESIS_TEMPLATE


def test_an_explicit_template_wins_over_language() -> None:
    fake = FakeScorer()
    clf = ZeroShotClassifier(fake, hypothesis_template="Es geht um {}.", language="de")
    clf.classify(TEXTS[:1], LABELS)
    assert fake.calls[-1].hypotheses == ["Es geht um Sport.", "Es geht um Wirtschaft."]
    ZeroShotClassifier(fake, language="de").classify(TEXTS[:1], LABELS, hypothesis_template="Thema: {}.")
    assert fake.calls[-1].hypotheses == ["Thema: Sport.", "Thema: Wirtschaft."]  # the call's template wins too
    # With your own template any language code will do: nothing is looked up.
    assert ZeroShotClassifier(fake, hypothesis_template="Det handlar om {}.", language="sv").template.startswith("Det")


def test_tasks_refuse_an_unknown_language_when_built() -> None:
    fake = FakeScorer()
    with pytest.raises(InvalidInputError, match="no built-in classify template for language 'sv'"):
        ZeroShotClassifier(fake, language="sv")
    with pytest.raises(InvalidInputError, match="no built-in route template for language 'xx'"):
        Router(fake, ROUTES, language="xx")
    with pytest.raises(InvalidInputError, match="no built-in rerank template for language 'sv'"):
        Reranker(fake, language="sv")
    with pytest.raises(InvalidInputError, match="ISO 639-1"):
        Reranker(fake, query_template="{}", language="Swedish")  # a code even with a template


def test_router_language_keeps_the_descriptions_as_they_are() -> None:
    fake = FakeScorer({("facture", ROUTES[0].description): 0.9})
    router = Router(fake, ROUTES, language="fr")
    assert router.template == "{}" and router.hypothesis_template is None
    assert router.route("ma facture est fausse").route == "billing"
    assert fake.calls[-1].hypotheses == [r.description for r in ROUTES]
    topic = Router(fake, ROUTES, hypothesis_template=template_for("topic", "fr"), language="fr")
    topic.route("x")  # a topic template in the queries' language, if wanted
    assert fake.calls[-1].hypotheses == [f"Ce texte porte sur {r.description}." for r in ROUTES]
    Router(fake, ROUTES, hypothesis_template="Il s'agit de {}.", language="fr").route("x")
    assert fake.calls[-1].hypotheses == [f"Il s'agit de {r.description}." for r in ROUTES]


def test_router_save_keeps_the_language_and_the_template_in_force(tmp_path: Path) -> None:
    path = tmp_path / "router.json"
    Router(FakeScorer(), ROUTES, language="de", hypothesis_template=DE_ABOUT).save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["language"] == "de" and data["hypothesis_template"] == DE_ABOUT  # the one its thresholds fit
    loaded = Router.load(path, FakeScorer())
    assert loaded.language == "de" and loaded.template == DE_ABOUT
    Router(FakeScorer(), ROUTES).save(path)  # the default in force is saved too, so a later default
    assert json.loads(path.read_text(encoding="utf-8"))["hypothesis_template"] == DEFAULT_ROUTE_TEMPLATE
    data = json.loads(path.read_text(encoding="utf-8")) | {"language": "de"}
    del data["language"]  # a file saved before language= existed
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Router.load(path, FakeScorer()).language is None


def test_routes_file_takes_language(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text("language: es\nroutes:\n  - {name: billing, description: facturas}\n", encoding="utf-8")
    router = Router.from_routes_file(path, FakeScorer())
    assert router.language == "es" and router.template == "{}"
    with pytest.raises(InvalidInputError, match="no built-in route template for language 'sv'"):
        path.write_text("language: sv\nroutes:\n  - {name: billing, description: fakturor}\n", encoding="utf-8")
        Router.from_routes_file(path, FakeScorer())


def test_reranker_language_keeps_the_query_as_it_is() -> None:
    fake = FakeScorer()
    result = Reranker(fake, language="es").rerank("precios del petróleo", ["doc"])
    assert result.hypothesis == "precios del petróleo" and fake.calls[-1].hypotheses == [result.hypothesis]
    about = Reranker(fake, query_template=template_for("topic", "es"), language="es")
    assert about.rerank("q", ["doc"]).hypothesis == "Este texto trata sobre q."  # a topic template, if wanted


@pytest.mark.parametrize("head", ["cosine", "gliclass"])
def test_reranker_language_leaves_raw_query_scorers_alone(head: str) -> None:
    fake = FakeScorer(head=head)  # type: ignore[arg-type]
    assert Reranker(fake, language="de").rerank("Katzen", ["doc"]).hypothesis == "Katzen"


def test_reranker_language_ignored_with_warning_for_relevance(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeScorer(head="relevance")
    with caplog.at_level(logging.WARNING, logger="entailkit.tasks.rerank"):
        reranker = Reranker(fake, language="de")
    assert "language is ignored" in caplog.text
    assert reranker.rerank("Katzen", ["doc"]).hypothesis == "Katzen"


# -- specs ------------------------------------------------------------------------------------------------


def test_specs_carry_the_language_through_a_round_trip() -> None:
    fake = FakeScorer()
    cases: list[Any] = [
        ClassifySpec(language="de"),
        ClassifySpec(hypothesis_template="Es geht um {}.", language="de"),
        RerankSpec(language="ja", top_n=2),
        RouteSpec(routes=[r.model_dump() for r in ROUTES], language="ko"),
    ]
    for spec in cases:
        task = spec.build(fake)
        assert type(spec).of(task) == spec
        assert type(spec).parse(json.loads(spec.model_dump_json())) == spec
    assert ClassifySpec(language="de").build(fake).template == DE_CLASSIFY


def test_a_language_set_on_a_default_tasks_spec_takes_effect() -> None:
    """Templates are held as given (None: the default), so the spec of a task can change its language."""
    spec = ClassifySpec.of(ZeroShotClassifier(FakeScorer())).updated(language="it")
    assert spec.build(FakeScorer()).template == "Questo esempio è {}."
    router = RouteSpec.of(Router(FakeScorer(), ROUTES)).updated(language="nl").build(FakeScorer())
    assert router.language == "nl" and router.hypothesis_template is None


# -- command line -----------------------------------------------------------------------------------------


@pytest.fixture
def cli_fake(monkeypatch: pytest.MonkeyPatch) -> FakeScorer:
    """The scorer every CLI command loads (no model): its calls show the hypotheses."""
    fake = FakeScorer()
    monkeypatch.setattr("entailkit.cli._common.load_scorer", lambda *args, **kwargs: fake)
    return fake


def _run(args: list[str], stdin: str = "") -> str:
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_classify_language(cli_fake: FakeScorer) -> None:
    _run(["classify", "-m", "fake", "-l", "Sport,Wirtschaft", "--language", "de", "-q", "-"], "Ein Spiel\n")
    assert cli_fake.calls[-1].hypotheses == [DE_CLASSIFY.format("Sport"), DE_CLASSIFY.format("Wirtschaft")]
    _run(["classify", "-m", "fake", "-l", "a", "--language", "de", "--template", "Es ist {}.", "-q", "-"], "x\n")
    assert cli_fake.calls[-1].hypotheses == ["Es ist a."]


def test_cli_rerank_language(cli_fake: FakeScorer) -> None:
    out = json.loads(_run(["rerank", "-m", "fake", "--query", "chats", "--language", "fr", "-q", "-"], "un chat\n"))
    assert out["hypothesis"] == "chats" and cli_fake.calls[-1].hypotheses == [out["hypothesis"]]


def test_cli_route_language(cli_fake: FakeScorer, tmp_path: Path) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text("routes:\n  - {name: billing, description: faturas}\n  - {name: tech, description: erros}\n")
    _run(["route", "-m", "fake", "--routes", str(routes), "--language", "pt", "-q", "minha fatura"])
    assert cli_fake.calls[-1].hypotheses == ["faturas", "erros"]  # the descriptions as they are


def test_cli_unknown_language_exits_2(cli_fake: FakeScorer) -> None:
    result = CliRunner().invoke(app, ["rerank", "-m", "fake", "--query", "q", "--language", "sv", "-"], input="d\n")
    assert result.exit_code == 2 and "no built-in rerank template for language 'sv'" in result.output
