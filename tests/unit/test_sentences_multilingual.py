"""Sentences in any language (issue 19): the case table of docs/groundedness.md, with exact spans.

Each case gives the language passed to the splitter (None: detected from the script), the text and the
expected spans; ``text[start:end]`` is the sentence. The table in the docs also shows what sentencex,
pysbd and blingfire return on the same cases.
"""

from __future__ import annotations

import pytest

from entailkit.errors import InvalidInputError
from entailkit.tasks import GroundednessChecker
from entailkit.tasks.sentences import check_language, detect_language, split_sentences
from entailkit.tasks.specs import CheckSpec
from entailkit.tasks.streaming import _FIRST_WORD
from fakes import FakeScorer

CASES = [
    pytest.param("en", "Dr. Smith arrived at 3.30 p.m. The meeting began.", [(0, 30), (31, 49)], id="en-abbrev"),
    pytest.param(
        "en", "Fruits, e.g. apples, are sweet. Wait... what? Yes.", [(0, 31), (32, 45), (46, 50)], id="en-eg-ellipsis"
    ),
    pytest.param("en", 'He said "Stop." Then he left.', [(0, 15), (16, 29)], id="en-quote"),
    pytest.param(
        None, "Facts:\n- Paris is in France.\n- Berlin is in Germany.", [(0, 6), (9, 28), (31, 52)], id="en-list"
    ),
    pytest.param("de", "Er kam am 3. Mai an. Sie blieb bis zum 10. Juni.", [(0, 20), (21, 48)], id="de-ordinal"),
    pytest.param("de", "Das ist z. B. gut. Dr. Müller kommt um 14 Uhr.", [(0, 18), (19, 46)], id="de-zb"),
    pytest.param(
        "de",
        "Es kostet 2,5 Mio. Euro. Wir zahlen bar, usw. Das ist gut.",
        [(0, 24), (25, 45), (46, 58)],
        id="de-mio-usw",
    ),
    pytest.param(
        "de", "„Kommst du mit?“, fragte sie. „Ja.“ Dann gingen sie.", [(0, 29), (30, 35), (36, 52)], id="de-quotes"
    ),
    pytest.param(
        "de",
        "Vorteile:\n- Schnell, d. h. im 19. Jahrhundert neu.\n- Günstig",
        [(0, 9), (12, 50), (53, 60)],
        id="de-century-list",
    ),
    pytest.param(
        "fr",
        "« Il pleut. » Elle est partie. Vraiment ? Oui !",
        [(0, 13), (14, 30), (31, 41), (42, 47)],
        id="fr-guillemets",
    ),
    pytest.param(
        "fr",
        "M. Dupont est arrivé. Mme Curie a gagné, cf. le tableau. Il est 8 h. Voilà.",
        [(0, 21), (22, 56), (57, 68), (69, 75)],
        id="fr-abbrev",
    ),
    pytest.param("es", "El Sr. García llegó. La Dra. López también.", [(0, 20), (21, 43)], id="es-sr"),
    pytest.param(
        "es", "¿Vienes? ¡Claro! Vivo en EE. UU. desde 2010.", [(0, 8), (9, 16), (17, 44)], id="es-inverted-eeuu"
    ),
    pytest.param("es", "Cuesta 3.500 euros, etc. Luego pagamos.", [(0, 24), (25, 39)], id="es-etc"),
    pytest.param("it", "Il Sig. Rossi è arrivato. La Dott.ssa Bianchi no.", [(0, 25), (26, 49)], id="it-titles"),
    pytest.param(
        "pt", "O Sr. Silva chegou às 10h. A taxa é 3,5%. Você sabia?", [(0, 26), (27, 41), (42, 53)], id="pt-decimal"
    ),
    pytest.param("ru", "Я купил хлеб, молоко и т. д. Потом пошёл домой.", [(0, 28), (29, 47)], id="ru-etc"),
    pytest.param(
        None, "Проф. Иванов приехал. А. С. Пушкин родился в 1799 г. в Москве.", [(0, 21), (22, 62)], id="ru-prof-detect"
    ),
    pytest.param("ru", "Цена 3.5 млн. руб. Это дорого.", [(0, 18), (19, 30)], id="ru-decimal"),
    pytest.param(None, "我喜欢猫。他喜欢狗。", [(0, 5), (5, 10)], id="zh-basic-detect"),
    pytest.param("zh", "你来吗？我不来！好吧。", [(0, 4), (4, 8), (8, 11)], id="zh-marks"),
    pytest.param("zh", "“你好。”他说。价格是3.5元。", [(0, 8), (8, 16)], id="zh-quote-decimal"),
    pytest.param(None, "我用Python写代码。It works well. 很好！", [(0, 12), (12, 26), (27, 30)], id="zh-mixed"),
    pytest.param("zh", "真的吗?是的!", [(0, 4), (4, 7)], id="zh-ascii-marks"),
    pytest.param(None, "これはペンです。あれは本です。", [(0, 8), (8, 15)], id="ja-basic-detect"),
    pytest.param("ja", "「はい。」と彼は言った。本当ですか？はい！", [(0, 12), (12, 18), (18, 21)], id="ja-quote"),
    pytest.param("ja", "価格は3.5円です。ええ…そうですね。", [(0, 10), (10, 19)], id="ja-ellipsis-decimal"),
    pytest.param(
        None,
        "手順：\n1. 電源を入れます。次に待ちます。\n2. 終了します。",
        [(0, 3), (7, 15), (15, 22), (26, 32)],
        id="ja-list",
    ),
    pytest.param("ko", "저는 고양이를 좋아합니다. 그는 개를 좋아합니다.", [(0, 14), (15, 27)], id="ko-basic"),
    pytest.param(None, "정말요? 네! 3.5%입니다.", [(0, 4), (5, 7), (8, 16)], id="ko-marks-detect"),
    pytest.param("ar", "هل أنت بخير؟ نعم، أنا بخير. شكرا.", [(0, 12), (13, 27), (28, 33)], id="ar-question"),
    pytest.param(None, "मैं घर जा रहा हूँ। वह स्कूल जा रहा है।", [(0, 18), (19, 38)], id="hi-danda-detect"),
    pytest.param("hi", "डॉ. शर्मा आए। वे खुश थे।", [(0, 13), (14, 24)], id="hi-dr"),
    pytest.param(
        None,
        "Summary:\n1. 猫很可爱。狗也可爱。\n2. Dogs bark.",
        [(0, 8), (12, 17), (17, 22), (26, 36)],
        id="mixed-en-zh-list",
    ),
]


@pytest.mark.parametrize(("language", "text", "spans"), CASES)
def test_case_table(language: str | None, text: str, spans: list[tuple[int, int]]) -> None:
    pieces = split_sentences(text, language=language)
    assert [span for _, span in pieces] == spans
    for sentence, (start, end) in pieces:
        assert text[start:end] == sentence and sentence == sentence.strip()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Paris is in France.", "en"),
        ("", "en"),
        ("我喜欢猫。", "zh"),
        ("これはペンです。", "ja"),
        ("저는 학생입니다.", "ko"),
        ("Он пришёл. He came.", "ru"),
        ("Das ist gut.", "en"),  # Latin script: English rules unless language= says otherwise
        ("هل أنت بخير؟", "ar"),
        ("वह स्कूल जा रहा है।", "hi"),
    ],
)
def test_language_from_the_script(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_english_rules_unless_told() -> None:
    text = "Das ist z. B. gut. Er kam am 3. Mai an."
    assert [t for t, _ in split_sentences(text)] == ["Das ist z.", "B. gut.", "Er kam am 3.", "Mai an."]
    assert [t for t, _ in split_sentences(text, language="de")] == ["Das ist z. B. gut.", "Er kam am 3. Mai an."]
    assert split_sentences(text, language="DE-at") == split_sentences(text, language="de")


def test_other_languages_get_generic_rules() -> None:
    text = "Dr. Nowak przyszedł. Jest 3. Świetnie."
    assert [t for t, _ in split_sentences(text, language="pl")] == ["Dr. Nowak przyszedł.", "Jest 3.", "Świetnie."]
    assert [t for t, _ in split_sentences("我喜欢猫。他喜欢狗。", language="sw")] == ["我喜欢猫。", "他喜欢狗。"]


@pytest.mark.parametrize("bad", ["german", "d", "de de", "", 3, ["de"]])
def test_bad_language(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="ISO 639-1"):
        split_sentences("Text.", language=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="ISO 639-1"):
        check_language(bad)


def test_long_cjk_and_cyrillic_texts_split_in_one_pass() -> None:
    text = "我喜欢猫。" * 50_000
    pieces = split_sentences(text)
    assert len(pieces) == 50_000 and pieces[-1] == ("我喜欢猫。", (len(text) - 5, len(text)))
    text = "т. " * 30_000 + "Конец."
    assert split_sentences(text, language="ru")[-1][0].endswith("Конец.")
    text = "3. " * 30_000 + "Mai."
    assert [t for t, _ in split_sentences(text, language="de")][-1].endswith("Mai.")


def _checker(**options: object) -> GroundednessChecker:
    return GroundednessChecker(FakeScorer({}, head="nli3", default=(0.05, 0.05)), **options)  # type: ignore[arg-type]


def test_checker_language_option() -> None:
    checker = _checker(language="de")
    report = checker.check("Er kam am 3. Mai an. Das ist z. B. gut.", ["Er kam im Mai."])
    assert [s.text for s in report.sentences] == ["Er kam am 3. Mai an.", "Das ist z. B. gut."]
    assert checker.language == "de"
    spec = CheckSpec.of(checker)
    assert spec.language == "de" and spec.build(checker.scorer).language == "de"
    assert CheckSpec(language="pt-BR").build(checker.scorer).language == "pt-BR"
    detected = _checker().check("我喜欢猫。他喜欢狗。", ["我喜欢猫。"])
    assert [s.text for s in detected.sentences] == ["我喜欢猫。", "他喜欢狗。"]


def test_checker_language_errors() -> None:
    with pytest.raises(InvalidInputError, match="ISO 639-1"):
        _checker(language="German")
    with pytest.raises(InvalidInputError, match="splitter was given"):
        _checker(language="de", splitter=lambda text: [text])


def test_checker_streams_in_its_language() -> None:
    checker = _checker(language="de")
    chunks = ["Er kam am 3. M", "ärz an. Das ist z. ", "B. gut."]
    streamed = list(checker.stream(chunks, ["Er kam im März."]))
    assert [s.check.text for s in streamed] == ["Er kam am 3. März an.", "Das ist z. B. gut."]
    assert _FIRST_WORD.match("Mär").end() == 3 and _FIRST_WORD.match("他喜欢").end() == 0
