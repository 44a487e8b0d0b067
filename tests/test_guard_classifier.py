"""The learned guard: segments, the three levels, rules that generalise, reproducible weights."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from guardrails.classifier import WEIGHTS_FILE, GuardScores, Heads
from guardrails.classifier.segments import WORD_BUDGET, segment, units
from guardrails.classifier.train import (
    HEAD_GROUPS,
    Example,
    concern_thresholds,
    data_digest,
    load_examples,
)
from guardrails.crisis import CrisisDetector
from guardrails.crisis.detector import RULES_FILE as CRISIS_RULES
from guardrails.levels import Levels
from guardrails.medical.detector import RULES_FILE as MEDICAL_RULES
from guardrails.rules import Rule, RuleSet
from guardrails.text import normalise, sentences
from wegwijs.domain import CrisisKind

ROOT = Path(__file__).resolve().parent.parent


# ---- segments -------------------------------------------------------------------------------


def test_short_message_is_read_with_every_sentence_and_window() -> None:
    segments = segment("Vroeger wilde ik dood. Nu gaat het goed. Hoe vraag ik een pgb aan?")
    assert segments.units == 3
    assert set(segments.spans) == {(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)}


def test_long_message_reads_the_ranked_sentence_first_within_the_budget() -> None:
    story = [
        f"Dit is zin {i} over formulieren van de gemeente en de wachtlijst." for i in range(40)
    ]
    story[23] = "Ik heb de pillen al gespaard."
    priority = [0.0] * 40
    priority[23] = 0.9
    from guardrails.classifier.segments import segment_units

    segments = segment_units(story, priority)
    assert segments.texts[0] == story[23]
    assert (22, 24) in segments.spans  # the cue with its context
    words = sum(len(t.split()) for t in segments.texts)
    assert words <= WORD_BUDGET


def test_run_on_text_without_punctuation_is_cut_into_word_windows() -> None:
    text = " ".join(["ik zorg al jaren voor mijn moeder en"] * 10) + " ik wil er niet meer zijn"
    parts = units(text)
    assert len(parts) > 2 and all(len(p.split()) <= 28 for p in parts)
    assert "niet meer zijn" in parts[-1]


# ---- three levels ---------------------------------------------------------------------------


def _scores(crisis: float = 0.0, distress: float = 0.0, kind: str = "suicide") -> GuardScores:
    return GuardScores(crisis=crisis, kind=kind, medical=0.0, scope=0.0, distress=distress)


LEVELS = Levels(
    {"crisis": 0.8, "concern": 0.3, "window": 0.7, "distress": 0.6, "medical": 0.5, "scope": 0.5}
)
NO_RULES = CrisisDetector.from_files().detect("wie betaalt de rolstoel")


@pytest.mark.parametrize(
    ("scores", "crisis", "concern"),
    [
        (_scores(0.85), True, False),
        (_scores(0.5), False, True),
        (_scores(0.1, distress=0.7), False, True),
        (_scores(0.1, distress=0.2), False, False),
        (GuardScores(0.1, "suicide", 0.0, 0.0, 0.0, window=0.75), False, True),  # buried cue
        (None, False, False),  # no classifier: rules only
    ],
)
def test_levels_from_scores(scores: GuardScores | None, crisis: bool, concern: bool) -> None:
    assert (LEVELS.crisis(NO_RULES, scores) is not None) is crisis
    if not crisis:
        assert LEVELS.concern(NO_RULES, scores)[0] is concern


def test_rules_decide_kind_and_acute_and_defused_cues_become_a_concern() -> None:
    rules = CrisisDetector.from_files()
    found = LEVELS.crisis(rules.detect("hij pakt haar pensioen af en staat met een mes"), None)
    assert found is not None and found.kind is CrisisKind.violence and found.acute
    classifier_only = LEVELS.crisis(
        rules.detect("hij komt met een mes op me af"), _scores(0.9, kind="violence")
    )
    assert classifier_only is not None and classifier_only.acute
    defused = rules.detect("ik zie geen uitweg meer met al die formulieren van de gemeente")
    assert LEVELS.crisis(defused, None) is None
    assert LEVELS.concern(defused, None) == (True, CrisisKind.suicide)


def test_concern_thresholds_are_chosen_together_within_the_bounds() -> None:
    """Twenty navigation messages, of which two have a risky-sounding sentence (window 0.9) and
    one a high whole-message score; five crises, one of them only visible in a window; two
    distress messages. The best choice within <= 10% navigation and >= 90% distress catches
    every crisis; thresholds chosen one by one at a fixed rate each could not."""

    def case(group: str, crisis: float, window: float, distress: float) -> tuple:
        return Example("", group, "suicide" if group == "crisis" else None, ""), {
            "crisis": crisis,
            "window": window,
            "distress": distress,
        }

    cases = [case("navigation", 0.02, 0.1, 0.05) for _ in range(17)]
    cases += [case("navigation", 0.02, 0.9, 0.05), case("navigation", 0.02, 0.9, 0.05)]
    cases += [case("navigation", 0.5, 0.1, 0.05)]
    cases += [case("crisis", 0.8, 0.9, 0.3) for _ in range(4)]
    cases += [case("crisis", 0.1, 0.97, 0.1)]  # the cue is buried: only a window sees it
    cases += [case("distress", 0.1, 0.1, 0.6), case("distress", 0.1, 0.1, 0.45)]
    examples, scores = [c[0] for c in cases], [c[1] for c in cases]
    tc, tw, td = concern_thresholds(scores, examples)
    line = [s["crisis"] >= tc or s["window"] >= tw or s["distress"] >= td for s in scores]
    by_group = {
        g: [flag for flag, e in zip(line, examples, strict=True) if e.group == g]
        for g in ("navigation", "crisis", "distress")
    }
    assert sum(by_group["navigation"]) / 20 <= 0.10
    assert all(by_group["distress"]) and all(by_group["crisis"])
    assert 0.9 < tw <= 0.97 and td <= 0.45


# ---- rules generalise -----------------------------------------------------------------------


def _training_sentences() -> list[tuple[str, list[str]]]:
    return [(e.group, sentences(normalise(e.text))) for e in load_examples()]


def _distinct_matches(rule: Rule, groups: set[str], data: list[tuple[str, list[str]]]) -> int:
    single = RuleSet([rule])
    return sum(1 for group, parts in data if group in groups and any(single.scan(p) for p in parts))


@pytest.mark.parametrize(
    ("rules_file", "positive"),
    [(CRISIS_RULES, {"crisis"}), (MEDICAL_RULES, {"medical", "crisis"})],
)
def test_every_rule_pattern_matches_at_least_three_training_cases(
    rules_file: Path, positive: set[str]
) -> None:
    data = _training_sentences()
    # A role play that asks for a dose (misuse) is also a medical question: neither side.
    negative = (
        {group for group, _ in data} - positive - ({"misuse"} if "medical" in positive else set())
    )
    weak = []
    for rule in RuleSet.from_yaml(rules_file).rules:
        for number, pattern in enumerate(rule.patterns):
            single = Rule(**{**rule.__dict__, "patterns": (pattern,)})
            hits = _distinct_matches(single, positive, data)
            false = _distinct_matches(single, negative, data) if rule.strength != "marker" else 0
            if hits < 3 or false > hits * 0.1:
                weak.append(f"{rule.id}[{number}]: {hits} training cases, {false} false")
    assert not weak, "rules that do not generalise:\n" + "\n".join(weak)


# ---- the weights ----------------------------------------------------------------------------


def test_weights_were_trained_on_the_committed_data() -> None:
    weights = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert weights["data_sha256"] == data_digest(load_examples()), "run `make train-guards`"
    heads = Heads.load()
    assert set(heads.e5.binary) == set(HEAD_GROUPS) == set(heads.ngrams.binary)
    assert 0 < heads.thresholds["concern"] <= heads.thresholds["crisis"] < 1


@pytest.mark.slow
def test_train_guards_rebuilds_the_weights_bit_for_bit(tmp_path: Path) -> None:
    out = tmp_path / "weights.json"
    subprocess.run(
        [sys.executable, "-m", "guardrails.classifier.train", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert (
        hashlib.sha256(out.read_bytes()).hexdigest()
        == hashlib.sha256(WEIGHTS_FILE.read_bytes()).hexdigest()
    )
