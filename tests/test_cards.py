"""Answer cards: the shipped library, the calibrated matcher, the frozen held-out measurement
(eval/blind/cards_heldout_v1.jsonl, never trained on) and the rebuild of the scorer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assistant.matching import FEATURES, SCORER_PATH, decide, pieces
from eval.card_metrics import TARGETS, card_report, failed_targets, load_labelled
from ingest.cards import opens_with_fragment
from wegwijs.container import Container
from wegwijs.legal import is_law_text


def test_the_library_has_300_sourced_cards_with_readable_pages(shipped: Container) -> None:
    corpus = shipped.corpus
    assert len(corpus.library) >= 300 and len(corpus.faq) >= 20
    assert not [p for p in corpus.problems if p.severity == "error" and "cards/" in p.path]
    for card in corpus.cards:
        assert card.read_more is not None and not is_law_text(card.read_more.url), card.id
        assert card.sources and card.checked and card.review_by, card.id
        assert not opens_with_fragment(card.answer), card.id
        assert 40 <= len(card.answer.split()) <= 160, card.id
        assert all(
            item.url.startswith("https://wetten.overheid.nl/jci1.3:c:") for item in card.legal
        )


def test_every_document_has_a_readable_source(shipped: Container) -> None:
    for doc in shipped.corpus.documents:
        assert doc.read_more is not None and not is_law_text(doc.read_more.url), doc.id


def test_the_question_inside_a_story_finds_its_card(shipped: Container) -> None:
    """A card's own question, buried in a story of unrelated sentences, still ranks first."""
    matcher = shipped.card_strategy.matcher
    cards = matcher.cards[::12]  # 29 cards spread over every group
    found = 0
    for card in cards:
        story = (
            "Ik zorg al een paar jaar voor iemand in mijn familie. Het is vaak druk met werk "
            f"en de kinderen erbij. {card.question} Ik hoop dat jullie me verder helpen."
        )
        ranked = matcher.rank(story)
        found += bool(ranked) and ranked[0].card.id == card.id
    assert found / len(cards) >= 0.9, f"{found}/{len(cards)}"


def test_pieces_put_the_question_first_and_keep_the_whole_message() -> None:
    parts = pieces("Mijn moeder is 84. Ze woont alleen. Wie betaalt de traplift? Dank je.")
    assert parts[0] == (
        "Mijn moeder is 84. Ze woont alleen. Wie betaalt de traplift? Dank je.",
        True,
    )
    questions = [text for text, whole in parts[1:4] if not whole]
    assert all("Wie betaalt de traplift?" in text for text in questions)  # questions come first


def test_scorer_file_matches_the_features_and_has_sane_thresholds() -> None:
    data = json.loads(SCORER_PATH.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == FEATURES and len(data["coef"]) == len(FEATURES)
    assert 0 < data["choice_threshold"] <= data["answer_threshold"] < 1


def test_decide_shows_offers_or_declines(shipped: Container) -> None:
    matcher = shipped.card_strategy.matcher
    sure = decide(
        matcher.rank("Hoe vraag ik kortdurend zorgverlof aan bij mijn werkgever?"), matcher.scorer
    )
    assert sure.card is not None and sure.card.card.topic == "kortdurend-zorgverlof"
    off = decide(matcher.rank("Wat is de hoofdstad van Frankrijk?"), matcher.scorer)
    assert off.card is None


# Measured once on the frozen held-out set with the committed scorer (README "Answer cards").
# A regression floor: matching may get better, never worse.
MEASURED = {"rank1": 0.774, "in_choices": 0.848, "precision": 0.808, "recall": 0.673}


@pytest.fixture(scope="module")
def heldout(shipped: Container) -> dict[str, Any]:
    return card_report(load_labelled(), shipped.card_strategy.matcher)


def test_matching_does_not_fall_below_the_measured_heldout_scores(heldout: dict[str, Any]) -> None:
    for key, floor in MEASURED.items():
        assert heldout[key] >= floor - 0.005, f"{key} {heldout[key]} < {floor}"


@pytest.mark.xfail(strict=True, reason="answer-cards targets not met yet (README, issue 14)")
def test_matching_meets_the_targets_on_the_heldout_set(heldout: dict[str, Any]) -> None:
    assert not failed_targets(heldout), failed_targets(heldout)
    assert set(TARGETS) <= set(heldout)


@pytest.mark.slow
def test_train_cards_reproduces_the_shipped_scorer(shipped: Container) -> None:
    """Same cards, same labels -> the same scorer (`make train-cards` gives the identical file;
    here the test embedder batches differently, so floats may differ in the last digits)."""
    from assistant.train_cards import load_labels, train

    result = train(shipped.corpus.cards, shipped.embedder, load_labels())
    shipped_file = json.loads(SCORER_PATH.read_text(encoding="utf-8"))
    assert result["features"] == shipped_file["features"]
    assert result["coef"] == pytest.approx(shipped_file["coef"], abs=1e-3)
    assert result["answer_threshold"] == pytest.approx(shipped_file["answer_threshold"], abs=0.01)
    assert result["choice_threshold"] == pytest.approx(shipped_file["choice_threshold"], abs=0.01)
