"""Plain words for the people who patch: what the terms in the help mean, and counts said right.

The help panel and `nodegraph nodes TYPE` end a node's help with "Words used here:", the
definitions of the terms below that its help, ports and settings use (words_used). No GUI
import: the command line and the tests use it too.
"""
from __future__ import annotations

import re

# term: (what finds it in a text, its plain definition). Patterns ignore case, except for the
# terms in EXACT (words that are also everyday words in other cases).
GLOSSARY = {
    "bang": (r"\bbang(s|ed)?\b",
             "a trigger with no value: it only says \"now\" (go, send, do it)."),
    "inlet": (r"\binlets?\b",
              "a place on a node's left side where values come in; link an outlet to it."),
    "outlet": (r"\boutlets?\b",
               "a place on a node's right side where values go out, to the inlets linked to it."),
    "hot inlet": (r"\bhot\b",
                  "an inlet that makes the node work and send at once when a value arrives."),
    "cold inlet": (r"\bcold\b|\bonly stores?\b|\bstores? (it|them|its|their) (number|value)",
                   "an inlet that stores without sending: the value waits for the next hot one."),
    "float": (r"\bfloats?\b",
              "a number, whole or with decimals (0.25, 3, -1.5)."),
    "bool": (r"\bbool\b",
             "on or off (true or false; 1 or 0)."),
    "vector": (r"\bvectors?\b|\blists? of numbers\b|\bone list\b",
               "several numbers sent together as one value, such as [0.2, 0.7] for a position "
               "(also called a list)."),
    "signal": (r"\bsignal\b",
               "sound: a stream of samples, linked from a sound outlet, never sent as a value."),
    "label": (r"\blabels?\b|\bclass(es)?\b",
              "the name or number of a kind of thing a classifier tells apart (\"apple\", 2): "
              "each class has a label."),
    "feature": (r"\bfeatures?\b",
                "a measurement a learner looks at (the pad's x, a sound's loudness); "
                "several arrive together as a vector."),
    "example": (r"(?<!for )\bexamples?\b",
                "one recorded input (its features) with the answer you want for it."),
    "take": (r"\bundo_take\b|\b(a|one|each|every|new|last|that|its) takes?\b|\btake \d",
             "one recording: everything recorded between switching record on and off."),
    "train": (r"\btrain(s|ed|ing)?\b",
              "let the learner work out a model from its examples (a bang on `train`)."),
    "model": (r"\bmodels?\b",
              "what a learner made of its examples: the rule it uses to answer new inputs."),
    "cross-validation": (r"\bcross-validat",
                         "testing a model on examples it did not learn from, a part of them at a time."),
    "R²": (r"R²|\bR2\b",
           "how much better than guessing the average the model does: 1 is perfect, 0 no better, "
           "below 0 worse."),
    "RMSE": (r"\bRMSE\b",
             "the typical size of the model's mistakes, in the units of the outputs (0: none)."),
    "PCA": (r"\bPCA\b|principal components?",
            "a flat view of many numbers, keeping their spread: the two directions in which "
            "the examples differ most."),
    "kNN": (r"\bk-?nn\b|\bk nearest\b",
            "k nearest neighbours: answers as the k taught examples closest to the input do."),
    "MLP": (r"\bmlp\b|\bneural network\b",
            "a small neural network (multi-layer perceptron): layers of simple units that learn "
            "smooth mappings."),
    "k-means": (r"\bk-means\b",
                "finds k groups: each point joins the nearest group centre, and each centre "
                "moves to the middle of its points, until they settle."),
    "DTW": (r"\bDTW\b|dynamic time warping",
            "dynamic time warping: compares two movements while forgiving one being faster or "
            "slower than the other."),
    "epoch": (r"\bepochs?\b",
              "one pass of learning over all the examples."),
    "CSV": (r"\bCSV\b",
            "a plain text table, one row per line, the values split by commas; spreadsheets open it."),
    "OSC": (r"\bOSC\b",
            "Open Sound Control: messages programs send each other over the network, each an "
            "address such as /wek/inputs followed by numbers."),
    "MIDI": (r"\bMIDI\b",
             "the language of music keyboards and controllers: notes (0–127) and knob moves."),
    "CC": (r"\bCCs?\b|\b[Cc]ontrol change\b",
           "control change: a MIDI message from a knob or fader, a controller number and a "
           "value 0–127."),
}

EXACT = {"float", "bool", "signal", "OSC", "CC"}

_FOUND = {term: re.compile(pattern, 0 if term in EXACT else re.IGNORECASE)
          for term, (pattern, _) in GLOSSARY.items()}


def define(term: str) -> str:
    """The plain definition of a glossary term."""
    return GLOSSARY[term][1]


def terms_in(*texts: str) -> list:
    """The glossary terms that appear in `texts`, in the order a reader meets them."""
    text = "\n".join(t for t in texts if t)
    found = []
    for term, pattern in _FOUND.items():
        match = pattern.search(text)
        if match:
            found.append((match.start(), term))
    return [term for _, term in sorted(found)]


def words_used(*texts: str) -> list:
    """Lines "term: definition" for the terms in `texts` (empty when there are none)."""
    return [f"{term}: {define(term)}" for term in terms_in(*texts)]


def texts_of(description: dict) -> list:
    """What a person reads about a node type, from Node.describe(): its help, and its ports and
    settings as listed ("value (float, cold): ..."), so a term in any of them is explained."""
    texts = [description.get("help", "")]
    for kind in ("inlets", "outlets"):
        for p in description.get(kind, ()):
            cold = ", cold" if p.get("hot", True) is False else ""
            texts.append(f"{p['name']} ({p['type']}{cold}) {p.get('help') or ''}")
    for p in description.get("params", ()):
        texts.append(f"{p['name']} {p.get('help') or ''}")
    return texts


def counted(n, word: str, plural: str | None = None) -> str:
    """"1 take", "2 takes", "0 takes": the plural whenever the count is not 1."""
    return f"{n} {word if n == 1 else plural or word + 's'}"
