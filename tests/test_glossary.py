"""Jargon is explained where it appears: a node's help ends with the plain definitions of the
glossary's terms its help, ports and settings use (the editor's help and `nodegraph nodes`)."""
import re
import subprocess
import sys

import pytest

from nodegraph import glossary, registry


def words_for(type_id):
    return glossary.terms_in(*glossary.texts_of(registry.get(type_id)().describe()))


@pytest.mark.parametrize("type_id, term, words", [
    ("trigger", "bang", "a trigger with no value"),
    ("ml.regress", "R²", "how much better than guessing the average"),
    ("plot.dataset", "PCA", "a flat view of many numbers, keeping their spread"),
    ("math", "cold inlet", "stores without sending"),
    ("pack", "vector", "several numbers"),
    ("ml.gesture", "DTW", "faster or slower"),
    ("osc.in", "OSC", "Open Sound Control"),
    ("midi.out", "CC", "knob or fader"),
])
def test_a_nodes_help_explains_the_words_it_uses(type_id, term, words):
    assert term in words_for(type_id)
    assert words in glossary.define(term)


def test_only_the_words_used_and_in_the_order_they_are_met():
    assert glossary.terms_in("a bang on the left inlet") == ["bang", "inlet"]
    assert glossary.terms_in("the left inlet takes a bang") == ["inlet", "bang"]
    assert glossary.terms_in("for example, a number") == []  # "for example" is no learner's example
    assert glossary.terms_in("a float, OSC") == ["float", "OSC"]
    assert glossary.terms_in("the last take", "undo_take") == ["take"]
    assert glossary.terms_in("it takes the first port") == []  # the verb is not a recording
    assert "OSC" not in glossary.terms_in("Oscillators")
    assert glossary.words_used("") == []


def test_every_definition_is_one_plain_sentence():
    for term, (pattern, definition) in glossary.GLOSSARY.items():
        re.compile(pattern)
        assert definition.endswith(".") and len(definition) < 160, term


def test_the_command_line_help_ends_with_the_words_used():
    out = subprocess.run([sys.executable, "-m", "nodegraph.cli", "nodes", "trigger"],
                         capture_output=True, text=True, check=True).stdout
    assert "Words used here:" in out
    assert "bang: a trigger with no value" in out.split("Words used here:")[1]


@pytest.mark.parametrize("n, text", [(0, "0 takes"), (1, "1 take"), (2, "2 takes"), (1.0, "1.0 take")])
def test_counts_say_the_plural_only_when_not_one(n, text):
    assert glossary.counted(n, "take") == text
