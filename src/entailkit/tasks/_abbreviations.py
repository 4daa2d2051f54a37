"""Per-language word lists for the sentence splitter: abbreviations, sentence openers, months.

Each entry is lower case, without its final period ("z.b" for "z.B.", "dott" for "Dott."). English keeps
the lists the splitter has always used (``entailkit.tasks.sentences``); the others start from the
abbreviations of style guides and Wikipedia's lists, kept to the ones LLM answers actually use.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["LANGUAGE_WORDS", "LanguageWords"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class LanguageWords(NamedTuple):
    """The word lists of one language."""

    never_end: frozenset[str]
    """Titles and inline abbreviations that never end a sentence ("Dr.", "z.B.", "Sr.")."""
    may_end: frozenset[str]
    """Abbreviations that end a sentence only when one of ``openers`` follows ("etc.", "usw.")."""
    before_number: frozenset[str]
    """Abbreviations that precede a number ("Nr. 5", "pág. 10")."""
    openers: frozenset[str]
    """Usual first words of a sentence (after an initial or a may-end abbreviation they mean a boundary)."""
    ordinal_next: frozenset[str] = frozenset()
    """Words after a number with a period that make it an ordinal, not a sentence end ("am 3. Mai")."""


# Loan abbreviations an answer in any language may hold.
_LOAN_NEVER = "e.g i.e vs cf dr prof"
_LOAN_MAY = "etc"

_DE_MONTHS = "januar jänner februar märz april mai juni juli august september oktober november dezember"

LANGUAGE_WORDS: dict[str, LanguageWords] = {
    "de": LanguageWords(
        never_end=_words(
            f"{_LOAN_NEVER} hr hrn fr frl dipl ing mag bzw bspw ca vgl ggf evtl sog z.b u.a d.h o.ä u.u "
            "i.d.r z.t inkl exkl geb gest st hl zzgl abzgl"
        ),
        may_end=_words(
            f"{_LOAN_MAY} usw mio mrd tsd jh jhd chr str u.ä o.ä jan feb mär apr jun jul aug sep sept okt nov dez"
        ),
        before_number=_words("nr s abs bd art kap abb tab ziff"),
        openers=_words(
            "der die das den dem des ein eine einen einem einer es er sie wir ich du ihr man dies diese dieser "
            "dieses dann danach aber und oder doch auch so im in am an auf aus bei mit nach seit von vor zu zum "
            "zur als wenn weil da dort hier heute jetzt nun ja nein nicht kein keine wie was wer wo warum alle "
            "viele einige"
        ),
        ordinal_next=_words(
            f"{_DE_MONTHS} jan feb mär apr jun jul aug sep sept okt nov dez jahrhundert jahrhunderts "
            "jahrtausend platz rang stock etage klasse liga runde auflage weltkrieg weltkriegs geburtstag "
            "jahrestag lebensjahr kapitel mal"
        ),
    ),
    "fr": LanguageWords(
        never_end=_words(f"{_LOAN_NEVER} mm mme mmes mlle mlles pr me mgr st ste p.ex env"),
        may_end=_words(f"{_LOAN_MAY} cie éd janv févr avr juil sept oct nov déc"),
        before_number=_words("p pp n no vol chap art fig éd t"),
        openers=_words(
            "le la les l un une des ce cet cette ces il elle ils elles on nous vous je tu j c en dans pour mais "
            "et ou donc puis ensuite alors aussi si quand comme après avant depuis oui non pas voici voilà"
        ),
    ),
    "es": LanguageWords(
        never_end=_words(
            f"{_LOAN_NEVER} sr sra srta sres sras dra dres lic ing profa ud uds vd vds dña sto sta p.ej aprox"
        ),
        may_end=_words(f"{_LOAN_MAY} cía ene feb mar abr may jun jul ago sep sept oct nov dic"),
        before_number=_words("núm n pág págs p pp vol cap art fig"),
        openers=_words(
            "el la los las lo un una unos unas este esta estos estas ese esa eso esto yo tú él ella usted "
            "nosotros ellos ellas en de pero y o así luego después entonces también cuando si aunque porque no "
            "sí hay hoy ya mi su sus"
        ),
    ),
    "it": LanguageWords(
        never_end=_words(f"{_LOAN_NEVER} sig sigg dott ing avv arch geom rag egr gent on cfr es ca"),
        may_end=_words(f"{_LOAN_MAY} ecc spa srl genn febbr mar apr magg giu lug ag sett ott nov dic"),
        before_number=_words("n pag pagg p pp vol cap art fig"),
        openers=_words(
            "il lo la i gli le l un uno una questo questa quello quella io tu lui lei noi voi loro in ma e o "
            "poi quindi allora anche se quando come dopo prima sì no non c è ci"
        ),
    ),
    "pt": LanguageWords(
        never_end=_words(f"{_LOAN_NEVER} sr sra srta dra dras drs profa eng exmo exma ilmo ilma aprox"),
        may_end=_words(f"{_LOAN_MAY} lda cia jan fev mar abr mai jun jul ago set out nov dez"),
        before_number=_words("n nº pág págs p pp vol cap art fig"),
        openers=_words(
            "o a os as um uma uns umas este esta isso isto esse essa eu tu ele ela nós eles elas você em no na "
            "mas e ou então depois também quando se como após antes sim não há hoje já meu seu sua"
        ),
    ),
    "nl": LanguageWords(
        never_end=_words(f"{_LOAN_NEVER} dhr mevr mw mr ir ing drs bijv o.a m.b.t t.a.v i.p.v d.w.z ca vgl resp"),
        may_end=_words(f"{_LOAN_MAY} enz jl jan feb mrt apr jun jul aug sep sept okt nov dec"),
        before_number=_words("nr blz p pp vol art fig hfst"),
        openers=_words(
            "de het een dit dat deze die ik je jij hij zij ze wij we u in op maar en of dus toen daarna ook "
            "als na voor ja nee niet er"
        ),
    ),
    "ru": LanguageWords(
        never_end=_words(f"{_LOAN_NEVER} проф акад доц тов им ул пер просп наб пл т.е т.к т.н т.о и.о ср см напр ок"),
        may_end=_words(f"{_LOAN_MAY} г гг в вв др пр млн млрд тыс руб коп долл"),
        before_number=_words("рис стр с гл табл № п ст ч т вып"),
        openers=_words(
            "он она оно они мы я ты вы это этот эта эти тот в на но и а или так потом затем тогда также когда "
            "если хотя потому поэтому да нет не все многие там здесь сегодня"
        ),
    ),
    "hi": LanguageWords(
        never_end=_words(f"{_LOAN_NEVER} डॉ प्रो श्री श्रीमती कु"),
        may_end=_words(_LOAN_MAY),
        before_number=frozenset(),
        openers=frozenset(),
    ),
    "ar": LanguageWords(
        never_end=_words(f"{_LOAN_NEVER} د أ"),
        may_end=_words(_LOAN_MAY),
        before_number=frozenset(),
        openers=frozenset(),
    ),
}
