"""A learner's examples as a dataset: rows appended, removed and put back by ranges.

The state these functions change is plain data, the layout a learner saves:
    {"examples": [row, ...], "take": last take number, "model": {"examples": n, "spec": ..., "kept": [...]}}
A row is never changed once appended, so memos, saves and the engine's copy share rows
instead of copying them, and each change costs the size of the change, not of the dataset.

The document keeps its datasets with these; a learner running in the engine calls the same
functions on its own copy and keeps its caches (feature matrix, counts, model) in step.
"""
from __future__ import annotations

from .errors import EditError


def copy(state: dict) -> dict:
    """Another owner's copy: its own list of the same rows, its own small rest. A derived
    score is left out (it is worked out again): a retrain on the same examples must not make
    the file differ."""
    rest = {k: _deep(v) for k, v in state.items() if k not in ("examples", "score")}
    if isinstance(rest.get("model"), dict):
        rest["model"].pop("score", None)
    return dict(rest, examples=list(state.get("examples", ())))


def _deep(v):
    if isinstance(v, dict):
        return {k: _deep(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_deep(x) for x in v]
    return v


def take_rows(state, take) -> list:
    """Indices (ascending) of the rows recorded in `take`."""
    return [i for i, ex in enumerate(state["examples"]) if ex.get("take") == take]


def at_end(state, rows):
    """Indices of `rows` (these very row objects) if they are the last rows, else None: a take
    just recorded, or put back by a redo, is found by looking at as many rows as it has."""
    examples, k = state["examples"], len(rows)
    n = len(examples)
    if not k or k > n or any(a is not b for a, b in zip(examples[n - k:], rows)):
        return None
    return list(range(n - k, n))


def append_rows(state, rows, take):
    state["examples"].extend(rows)
    state["take"] = max(state.get("take", 0), take)


def remove_rows(state, indices, whole_take=None) -> dict:
    """Delete the rows at `indices` (ascending); returns the memo restore_rows takes. A model
    record that knew some of them is trimmed (memo["trimmed"]): it was trained on fewer now.
    `whole_take`: these are every row of that take (no need to look for others)."""
    examples = state["examples"]
    memo = {"rows": [(i, examples[i]) for i in indices], "model": state.get("model"),
            "take": state.get("take", 0), "trimmed": None}
    if not indices:
        return memo
    if indices[-1] - indices[0] + 1 == len(indices):
        del examples[indices[0]:indices[-1] + 1]
    else:
        gone = set(indices)
        examples[:] = [ex for i, ex in enumerate(examples) if i not in gone]
    model = memo["model"]
    if model is not None:
        known = sum(1 for i in indices if i < model["examples"])
        if known:
            trimmed = {k: v for k, v in model.items() if k != "score"}
            trimmed["examples"] = model["examples"] - known
            memo["trimmed"] = trimmed
            if trimmed["examples"]:
                state["model"] = trimmed
            else:
                state.pop("model", None)
    last = memo["rows"][-1][1].get("take")
    if last == state.get("take") and (whole_take == last or not take_rows(state, last)):
        state["take"] = last - 1  # the next take reuses its number
    return memo


def restore_rows(state, memo) -> bool:
    """Put back the rows remove_rows took, where they were. True when the model record they
    trimmed is back too (nothing was trained since)."""
    examples = state["examples"]
    for i, ex in memo["rows"]:  # ascending, so each lands where it was
        examples.insert(min(i, len(examples)), ex)
    state["take"] = max(state.get("take", 0), memo["take"])
    if memo["trimmed"] is not None and same_model(state.get("model"), memo["trimmed"]):
        state["model"] = memo["model"]
        return True
    return False


def cleared(state) -> dict:
    """The state after `clear`: no examples, no model, takes counted from 1 again."""
    return {"examples": [], "take": 0}


def without_examples(state, model_runs=True) -> dict:
    """The state after Wekinator's deleteAllExamples: no examples, but the model keeps running;
    the examples it learned move into its record ("kept"), so a reload can still refit it."""
    out = {"examples": [], "take": state.get("take", 0)}
    model = state.get("model")
    if model is not None and model_runs:
        kept = model.get("kept", []) + state["examples"][:model["examples"]]
        out["model"] = dict(model, examples=0, kept=kept)
    return out


def without_example(state, index, take=None, t=None, owner="") -> dict:
    """The state with example `index` (from 0) deleted. `take` and `t`, if given, must match it:
    the click was about that example, not another."""
    examples = state["examples"]
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(examples):
        raise EditError(f"'{owner}' has no example {index} (it has {len(examples)})")
    ex = examples[index]
    if (take is not None and ex.get("take") != take) or (t is not None and ex.get("t") != t):
        raise EditError(f"the examples of '{owner}' changed since that one was shown: click it again")
    out = dict(state, examples=examples[:index] + examples[index + 1:])
    model = out.get("model")
    if model is not None and index < model["examples"]:
        # the running model is refitted without it; its score was for the old examples
        out["model"] = {k: v for k, v in model.items() if k != "score"}
        out["model"]["examples"] = model["examples"] - 1
        if not out["model"]["examples"]:
            del out["model"]
    return out


def same_model(a, b) -> bool:
    """The same model as far as a redo can tell (a refit adds fields to the spec)."""
    if a is None or b is None:
        return a is b
    return a["examples"] == b["examples"] and a["spec"].get("algorithm") == b["spec"].get("algorithm")


def model_record(model):
    """A model record as the document keeps it: without its derived score."""
    if model is None:
        return None
    return {k: _deep(v) if k != "kept" else list(v) for k, v in model.items() if k != "score"}
