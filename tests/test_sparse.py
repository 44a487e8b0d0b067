"""The Dutch sparse encoder: stemming, stop words, BM25-style saturation."""

from __future__ import annotations

from wegwijs.sparse import DutchSparseEncoder

enc = DutchSparseEncoder()


def test_stemming_matches_inflections() -> None:
    assert enc.terms("aanvragen") == enc.terms("aanvraag")
    assert enc.terms("de gemeente") == enc.terms("gemeentes")
    assert enc.terms("mantelzorgers") == enc.terms("mantelzorger")


def test_stop_words_are_dropped_and_compounds_split() -> None:
    terms = enc.terms("Hoe vraag ik het aan bij het Wmo-loket?")
    assert "het" not in terms and "hoe" not in terms
    assert enc.terms("loket")[0] in terms and enc.terms("wmo")[0] in terms


def test_document_weights_saturate() -> None:
    once = enc.encode_document("zorg")
    many = enc.encode_document("zorg " * 50)
    assert many.values[0] > once.values[0]
    assert many.values[0] < 2.2 * once.values[0] + 1.0


def test_query_vector_has_unit_weights_and_sorted_ids() -> None:
    vec = enc.encode_query("wijkverpleging thuiszorg wijkverpleging")
    assert vec.values == [1.0, 1.0]
    assert vec.indices == sorted(vec.indices)
