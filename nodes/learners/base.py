"""The Wekinator workflow on one node: record examples, train, run.

Every learner has a hot `features` inlet (a vector), a cold target inlet
(`label` or `target`, none for clustering) and control inlets that act the
moment they arrive: `record` (on/off), `train` (bang), `run` (on/off), `clear`
(bang) and `undo_take` (bang: delete the last recording).

State (saved in the patch, plain JSON):
    {"examples": [{"x": [...], "y": ..., "t": ms, "take": n}, ...],
     "take": last take number,
     "model": {"examples": n, "spec": {...}, "score": {...}}}   # what is running
The model is never saved: on load it is refitted from the first n examples
with the saved spec (seeded), so predictions after a reload equal those before.

Training runs in the training worker (nodegraph.learn.worker); the old model
keeps running until the new one is swapped in on the scheduler thread.
"""
from __future__ import annotations

import copy
import math
import threading

import numpy as np

from nodegraph import BANG, Inlet, Node, NodeError, Outlet, Param, dataset
from nodegraph.params import floats
from nodegraph.commands import ClearExamples, DeleteExamples, RecordedTake, RemovedTake, TrainedModel
from nodegraph.errors import EditError, ParamError
from nodegraph.glossary import counted
from nodegraph.learn import fit as fitting
from nodegraph.learn import predict
from nodegraph.learn.snapshot import LearnerSnapshot, frozen
from nodegraph.learn.spec import check_model
from nodegraph.learn.worker import trainer

CONTROL_INLETS = (
    Inlet("record", "bool", help="on: each feature vector becomes an example of the current target; off: stop"),
    Inlet("train", "bang", help="fit a new model on the examples, in the background"),
    Inlet("run", "bool", help="on: each feature vector gives an output at once; off: stop"),
    Inlet("clear", "bang", help="delete every example and the model"),
    Inlet("undo_take", "bang", help="delete the examples of the last recording"),
)
STATUS_OUTLETS = (
    Outlet("status", "text", help="what the learner is doing: counts, training progress, score"),
    Outlet("trained", "bang", help="a newly trained model has just started running"),
)
MODEL_OUTLET = Outlet("model", "any", help="the examples and the running model, for plots (plot.dataset, "
                                            "plot.confusion): sent whenever they change")
PUBLISH_MS = 100.0  # while recording, the plots hear of new examples at most this often

COMMON_PARAMS = (
    Param("scaling", "choice", "minmax", choices=("minmax", "standard", "none"),
          help="rescale each feature before learning: minmax to 0..1 (Wekinator), standard, or none"),
    Param("seed", "int", 0, min=0, max=2**31 - 1, help="random seed: the same seed and examples give the same model"),
    Param("folds", "int", 5, min=0, max=20, help="cross-validation folds for the score after training (0: none)"),
)


def folds_text(score):
    """"5 folds", or "on 5,000 held-out of 30,000 examples" when the score was measured once
    on a held-out part (nodegraph.learn.jobs.SCORE_LIMIT)."""
    if score.get("held_out"):
        return f"on {score['held_out']:,} held-out of {score['of']:,} examples"
    return f"{score['folds']} folds"


def warm_trainer():
    """Start the training worker now, so the first training does not wait for it; from a
    thread of its own, because starting a process is not real-time work."""
    if trainer().pid is None:
        threading.Thread(target=trainer().warm, name="nodegraph-warm", daemon=True).start()


def label_key(label):
    """Class order: numbers first (by value), then text (alphabetical)."""
    return (isinstance(label, str), label)


def show(label):
    return f"'{label}'" if isinstance(label, str) else str(label)


def finite(x) -> bool:
    """Every number of the float vector x is finite. Its dot product with itself is finite
    exactly when they are (unless a square passes 1e308: then each is asked), at a third of
    np.isfinite(x).all()'s cost for a sensor's few numbers, once per message."""
    return math.isfinite(x.dot(x)) or bool(np.isfinite(x).all())

class Learner(Node):
    """Shared shape of the learners (not registered itself)."""

    imports = predict.IMPORTS

    task = ""
    target = None  # name of the cold target inlet, if any
    counts_labels = False  # keep a count of examples per label
    options_for = {}  # algorithm -> names of the params that matter to it

    # ---- set up -------------------------------------------------------------------------

    def setup(self):
        self.state = {"examples": [], "take": 0}
        self._recording = False
        self._running = False
        self._predictor = None
        self._job = None
        self._job_kind = None
        self._modelled = None
        self._progress = None
        self._stage = ""
        self._status = "no examples yet"
        self._counts = {}
        self._refit = None  # a loaded model waiting to be refitted
        self._publish_timer = None
        self._published = 0
        self._model_version = 0
        self._shown_predictor = None
        self._epoch = 0
        self._rebuild()

    def start(self):
        if self.state["examples"]:
            warm_trainer()  # a patch that can train will
        self._refit_now()
        self._publish()

    def stop(self):
        self._cancel()

    def get_state(self):
        return self.state

    def copy_state(self, state):
        # rows are never changed once appended: the copy shares them (nodegraph.dataset)
        return dataset.copy(state)

    def validate_state(self, state):
        state = super().validate_state(state)
        examples = state.get("examples", [])
        if not isinstance(examples, list):
            raise ParamError("state 'examples' must be a list")
        for n, ex in enumerate(examples):
            where = f"example {n + 1}"
            if not isinstance(ex, dict):
                raise ParamError(f"{where} must be an object like {{\"x\": [...], ...}}")
            self.check_example(ex, where)
        if not isinstance(state.get("take", 0), int):
            raise ParamError("state 'take' must be a whole number")
        check_model(self, state.get("model"), len(examples))
        model = state.get("model")
        if model is not None and "kept" in model:
            if not isinstance(model["kept"], list):
                raise ParamError("state 'model' 'kept' must be a list of examples")
            for n, ex in enumerate(model["kept"]):
                if not isinstance(ex, dict):
                    raise ParamError(f"kept example {n + 1} must be an object like {{\"x\": [...], ...}}")
                self.check_example(ex, f"kept example {n + 1}")
        return state

    def check_example(self, ex, where):
        x = ex.get("x")
        if not isinstance(x, list) or not x or not (floats(x) or all(_number(v) for v in x)):
            raise ParamError(f"{where}: 'x' must be a non-empty list of numbers")

    def set_state(self, state):
        self._cancel()
        self.state = state
        self.state.setdefault("examples", [])
        self.state.setdefault("take", 0)
        self._predictor = None
        self._rebuild()
        self._say(self._summary())
        model = state.get("model")
        self._refit = model
        if model is not None:
            spec = model["spec"]
            if self.host is not None:
                self._refit_now()  # at once; otherwise when the patch starts (nothing runs in `check`)
        self._publish()

    # ---- for subclasses ----------------------------------------------------------------------

    def _rebuild(self):
        """Rebuild caches (feature matrix, counts) from self.state['examples']."""
        examples = self.state["examples"]
        self._epoch += 1  # the examples changed other than by growing: snapshots start their rows afresh
        self._rows = ([], [], [])  # takes, times and targets of the examples, for snapshots
        lengths = {len(ex["x"]) for ex in examples}
        self._mixed = len(lengths) > 1
        self._dim = next(iter(lengths)) if len(lengths) == 1 else None
        self._xs = np.zeros((max(64, len(examples)), self._dim or 1))
        if self._dim is not None and examples:
            self._xs[:len(examples)] = np.array([ex["x"] for ex in examples], dtype=np.float64)
        self._counts = self.count_examples(examples)

    def count_examples(self, examples):
        counts = {}
        if self.counts_labels:
            for ex in examples:
                counts[ex["y"]] = counts.get(ex["y"], 0) + 1
        return counts

    def make_target(self):
        """The target for a new example (None: this learner has none); NodeError if not set."""
        return None

    def run_one(self, x):
        """Emit the outputs for one feature vector, with the running model."""

    def training_data(self, examples):
        """(X, y, extra spec fields) for these examples, or a sentence saying why not."""
        raise NotImplementedError

    def spec(self):
        p = self.params
        algo = p.get("algorithm", "kmeans")
        options = {name: p[name] for name in self.options_for.get(algo, ())}
        return {"task": self.task, "algorithm": algo, "options": options, "scaling": p["scaling"], "seed": p["seed"]}

    def describe_score(self, score):
        return ""

    # ---- the workflow ------------------------------------------------------------------------

    def process(self, fired):
        if self._refit is not None and self._job is None:
            self._refit_now()
        if "clear" in fired:
            self._clear()
        if "delete_examples" in fired:  # an inlet of the learners whose model outlives its examples
            self._delete_examples()
        if "cancel" in fired:
            self._cancel_training()
        if "undo_take" in fired:
            self._undo_take()
        if "record" in fired:
            if self.inputs["record"]:
                self._set_recording(True)
            else:
                if "features" in fired:
                    # features that come with "record off" (a file's last row, whose end
                    # switches recording off) are still part of the recording
                    self._feed(self.inputs["features"])
                    fired = tuple(name for name in fired if name != "features")
                self._set_recording(False)
        if "train" in fired:
            self._train()
        if "run" in fired:
            self._set_running(bool(self.inputs["run"]))
        if "features" in fired:
            self._feed(self.inputs["features"])

    def expected_length(self):
        if self._dim is not None:
            return self._dim
        if self._predictor is not None:
            return self._predictor.n_features
        return None

    def _feed(self, x):
        n = self.expected_length()
        if n is not None and len(x) != n:
            raise NodeError(f"got {len(x)} features, but this learner's examples have {n}: "
                            f"send vectors of length {n}, or clear it to start again")
        if self._recording:
            self._record(x)
        elif self._running:
            if self._predictor is not None:
                if not finite(x):  # a model answers nan with a confident class
                    raise NodeError("features contain a value that is not a number (nan or infinity): no output")
                self.run_one(x)

    def _record(self, x):
        if not finite(x):
            raise NodeError("features contain a value that is not a number (nan or infinity): not recorded")
        y = self.make_target()
        ex = {"x": x.tolist(), "t": round(float(self.now), 3), "take": self.state["take"]}
        if y is not None:
            ex["y"] = y
        self._append(ex, x)

    def _append(self, ex, x):
        examples = self.state["examples"]
        n = len(examples)
        if self._dim is None and not self._mixed:
            self._dim = len(x)
            self._xs = np.zeros((64, self._dim))
        if not self._mixed:
            if n >= len(self._xs):
                grown = np.zeros((2 * len(self._xs), self._dim))
                grown[:n] = self._xs[:n]
                self._xs = grown
            self._xs[n] = x
        examples.append(ex)
        if self.counts_labels:
            counts = dict(self._counts)  # copy on write: the editor reads it from another thread
            counts[ex["y"]] = counts.get(ex["y"], 0) + 1
            self._counts = counts
        self._publish(PUBLISH_MS)

    def _set_recording(self, on):
        if on and not self._recording:
            if self.target is not None:
                self.make_target()  # refuse now, not on every vector, if there is no target yet
            self.state["take"] += 1
            self._recording = True
            # teaching has begun: start the worker now, so training does not wait for it. Not
            # earlier: a patch that only runs a saved model must not pay for one while it plays.
            warm_trainer()
            self._say(f"recording take {self.state['take']}")
        elif not on and self._recording:
            self._recording = False
            take = self.state["take"]
            # by take, not from where it started: an undo during the take may have changed what came before
            examples = self.state["examples"]
            start = len(examples)
            while start and examples[start - 1].get("take") == take:  # the take is the tail: O(take)
                start -= 1
            rows = examples[start:]
            self.state_changed()
            self._say(f"recorded {counted(len(rows), 'example')} in take {take}; {self._summary()}")
            if rows:
                self.propose(RecordedTake(self.id, take, rows))

    def _set_running(self, on):
        self._running = on
        if on and self._predictor is None:
            self._say("running as soon as training finishes" if self._job is not None
                      else "running, but there is no model yet: record examples and train")
        else:
            self._say(("running; " if on else "stopped; ") + self._summary())

    def _clear(self):
        had = len(self.state["examples"])
        memo = self.clear_examples()
        if had:
            # an undo step: a slip of the mouse must not cost the examples
            self.propose(ClearExamples(self.id, memo))
            self.log(f"cleared {counted(had, 'example')} (Ctrl+Z brings them back)")

    def _delete_examples(self):
        """Delete every example but keep the trained model running (Wekinator's
        deleteAllExamples). The examples it learned move into its record ("kept"), so it is
        still refitted after a reload; the next training forgets them. Undoable, as clear."""
        if not self.state["examples"]:
            self._say("no examples to delete")
            return
        n = len(self.state["examples"])
        self.propose(DeleteExamples(self.id, self.delete_examples()))
        self._say(f"deleted {counted(n, 'example')}" + (
            "; the trained model keeps running (train again to replace it)" if "model" in self.state else ""))

    def delete_examples(self):
        """What _delete_examples does; returns the memo restore_dataset takes (undo)."""
        if self._job is not None and self._job_kind == "train":
            self._cancel()  # a training of the examples just deleted: the running model stays
        memo = {"state": self.state, "caches": self._caches(), "predictor": self._predictor}
        state = dataset.without_examples(self.state, self._predictor is not None or self._refit is not None)
        if self._refit is not None and "model" in state:  # loaded, not yet refitted: refit it from what it learned
            self._refit = state["model"]
        self.state = state
        self._rebuild()
        self.state_changed()
        return memo

    def _cancel_training(self):
        if self._job is not None and self._job_kind == "train":
            self._cancel()
            self._say("training cancelled; " + ("the previous model keeps running" if self._predictor is not None
                                                else "no model yet"))
        else:
            self._say("nothing to cancel: not training")

    def training_features(self, examples):
        """The feature matrix of `examples`: from the cache when they are the first examples
        (the usual case), else built (a kept model's examples, after they were deleted)."""
        current = self.state["examples"]
        # `is` first: comparing 30,000 examples one by one took 13-23 ms of the scheduler thread
        if examples is current or (len(examples) <= len(current)
                                   and all(a is b for a, b in zip(examples, current))):
            return self._xs[:len(examples)].copy()
        return np.array([ex["x"] for ex in examples], dtype=np.float64)

    def _undo_take(self):
        examples = self.state["examples"]
        if not examples:
            self._say("no examples to delete")
            return
        take = examples[-1]["take"]
        rows = self.take_rows(take)
        self.propose(RemovedTake(self.id, take, self.remove_rows(rows)))

    def _train(self):
        if self._recording:
            self._set_recording(False)
        examples = self.state["examples"]
        if not examples:
            self._say("no examples to train on: record some first")
            return
        if self._mixed:
            lengths = {}
            for ex in examples:
                lengths[len(ex["x"])] = lengths.get(len(ex["x"]), 0) + 1
            parts = ", ".join(f"{c} with {n} features" for n, c in sorted(lengths.items()))
            self._say(f"cannot train: the examples have different lengths ({parts}); clear and record again")
            return
        data = self.training_data(examples)
        if isinstance(data, str):
            self._say(f"cannot train: {data}")
            return
        X, y, extra = data
        spec = dict(self.spec(), **extra)
        self._launch(spec, X, y, len(examples), folds=self.params["folds"], announce=True)

    # ---- background jobs ---------------------------------------------------------------------

    def _launch(self, spec, X, y, n, folds, announce):
        self._cancel()
        arrays = {"X": X} if y is None else {"X": X, "y": y}
        header = {"kind": "train", "spec": spec, "folds": folds}
        self._progress, self._stage = 0.0, "starting" if announce else "refitting the saved model"
        # every fit happens off this thread: a kNN's (a scaled copy, numpy only) on the trainer's
        # own thread here, the others in the worker process, which imports scikit-learn
        if announce:
            self._say(f"training {spec.get('algorithm')} on {counted(n, 'example')}...")
        def on_model(job_id, h, a):
            try:
                ready = predict.make(a["model"])  # built here, off the real-time thread
            except Exception as e:
                self.post(self._job_error, job_id, f"{type(e).__name__}: {e}")
                return
            self.post(self._swap, job_id, spec, n, ready, h.get("notes", []), announce)

        on_event = self._job_events("training failed", on_model)
        self._job = trainer().submit(header, arrays, on_event)
        self._job_kind = "train" if announce else "refit"

    def _job_events(self, failure, on_model=None):
        """The callback a trainer job reports through. It runs on the trainer's thread, so it
        only hands each event over to the scheduler thread."""

        def on_event(h, a):
            if self.host is None:
                return
            # the job id comes with the event: a fast job may answer before submit() returns
            event, job_id = h.get("event"), h.get("id")
            if event == "model" and on_model is not None:
                on_model(job_id, h, a)
            elif event == "progress":
                self.post(self._job_progress, job_id, h["progress"], h.get("stage", ""))
            elif event == "score":
                self.post(self._job_score, job_id, h["score"])
            elif event == "error":
                self.post(self._job_error, job_id, h.get("message", failure))
            elif event == "done":
                self.post(self._job_done, job_id)
        return on_event

    def _swap(self, job_id, spec, n, predictor, notes, announce):
        if job_id is not None and job_id != self._job:
            return  # an older training, overtaken by a newer one
        before = (self.state.get("model"), self._predictor)
        self._predictor = predictor
        self._modelled = job_id  # that job's model is in: what is left of it is the score
        self._refit = None
        model = {"examples": n, "spec": spec}
        old = self.state.get("model")
        if not announce and old is not None and "score" in old:
            model["score"] = old["score"]
        if not announce and old is not None and "kept" in old:  # a restored model whose examples were deleted
            model.update(examples=old["examples"], kept=old["kept"])
        self.state["model"] = model
        self.model_ready(predictor, spec)
        self.state_changed()
        note = f" ({notes[0]})" if notes else ""
        if announce:
            self.propose(TrainedModel(self.id, before, (model, predictor)))  # Ctrl+Z: the old model again
            self._say(f"trained {spec['algorithm']} on {counted(n, 'example')}{note}; running it")
            self.log(self._status)  # the console keeps the story: takes, a training, its score
            self.emit("trained", BANG)
        else:
            self._say(f"model restored ({spec['algorithm']}, {counted(n, 'example')})")

    def model_ready(self, predictor, spec):
        """A new model is running (subclasses note its class order...)."""

    def _job_progress(self, job_id, progress, stage):
        if job_id == self._job:
            self._progress, self._stage = progress, stage
            if self._job_kind == "train":
                self._say(f"training: {stage} ({round(100 * progress)}%)")

    def _job_score(self, job_id, score):
        if job_id != self._job:
            return
        model = self.state.get("model")
        if model is not None:
            model["score"] = score
        self.state_changed()
        self._say(self.describe_score(score) if "skipped" not in score else f"no score: {score['skipped']}")
        if self._job_kind == "train":
            self.log(self._status)

    def _job_error(self, job_id, message):
        if job_id == self._job:
            self._job, self._progress = None, None
            self._say(f"training failed: {message}")

    def _job_done(self, job_id):
        if job_id == self._job:
            self._job, self._progress, self._stage = None, None, ""

    def _cancel(self):
        if self._job is not None:
            trainer().cancel(self._job)
            self._job, self._progress = None, None

    def _refit_now(self):
        model = self._refit
        if model is None:
            return
        examples = model.get("kept", []) + self.state["examples"][:model["examples"]]
        if not examples:
            self._refit = None
            return
        data = self.training_data(examples)
        if isinstance(data, str):
            self._refit = None
            self._say(f"could not restore the model: {data}")
            return
        X, y, extra = data
        self._refit = None
        self.state["model"] = model
        # the class order comes from the examples, as it did when the model was trained; the
        # score is not saved, so it is worked out again (in the worker, after the model)
        self._launch(dict(model["spec"], **extra), X, y, len(examples), folds=self.params["folds"], announce=False)

    # ---- the `model` outlet: what the plots draw -------------------------------------------------

    def state_changed(self):
        super().state_changed()
        self._publish()

    def outlet_linked(self, outlet):
        if outlet == "model":
            self._publish()

    def _publish(self, delay=0.0):
        """Send a snapshot out of `model` now, or (delay > 0) within `delay` ms if none is due.
        Nothing is built when nothing listens: the recording path only pays a lookup."""
        if self.host is None or not (self._out.get("model") or "model" in self.probes):
            return
        if delay or self.host.quiet:
            # (an undo sends nothing while it is performed; the picture of the examples, a
            # view of what the learner holds, follows just after, or a plot shows a take undone)
            if self._publish_timer is None:
                self._publish_timer = self.schedule(delay, self._send_snapshot)
            return
        if self._publish_timer is not None:
            self._publish_timer.cancel()
        self._send_snapshot()

    def _send_snapshot(self):
        self._publish_timer = None
        self.emit("model", self.snapshot())

    def snapshot(self) -> LearnerSnapshot:
        """The examples and the running model, frozen (see nodegraph.learn.snapshot)."""
        examples = self.state["examples"]
        usable = not self._mixed and self._dim is not None
        n = len(examples) if usable else 0
        if self._predictor is not self._shown_predictor:
            self._shown_predictor = self._predictor
            self._model_version += 1
        self._published += 1
        model = self.state.get("model") or {}
        score = model.get("score")
        takes, times, ys = self._rows  # grown by what was appended since the last snapshot
        for ex in examples[len(takes):n]:
            takes.append(ex.get("take", 0))
            times.append(ex.get("t", 0.0))
            ys.append(ex.get("y"))
        fields = dict(source=self.id, task=self.task, version=self._published, epoch=self._epoch,
                      X=frozen(self._xs[:n] if n else np.zeros((0, self._dim or 0))),
                      takes=frozen(takes[:n], np.int64), times=frozen(times[:n]),
                      trained=model.get("examples", 0) if self._predictor is not None else 0,
                      model_version=self._model_version, scaling=self.params["scaling"],
                      predictor=self._predictor, recording=self._recording,
                      score=None if score is None else _scalars(score))
        fields.update(self.snapshot_extra(ys[:n], score))
        return LearnerSnapshot(**fields)

    def snapshot_extra(self, ys, score) -> dict:
        """Task-specific snapshot fields (labels, targets, classes, confusion) from the
        examples' targets `ys`."""
        return {}

    # ---- the dataset: rows appended and removed by ranges ----------------------------------
    # Undo steps (commands.RecordedTake, RemovedTake, ClearExamples) call these: each costs
    # the size of the change, never of the dataset. Rows are never changed once appended, so
    # a memo may hold them (and a save may share them) without copying.

    def take_rows(self, take):
        """Indices (ascending) of the rows recorded in `take`."""
        return [i for i, ex in enumerate(self.state["examples"]) if ex.get("take") == take]

    def remove_rows(self, indices, whole_take=None):
        """Delete the rows at `indices` (ascending); returns the memo restore_rows takes.
        A running model that knew some of them is refitted without them in the background
        (it keeps answering meanwhile); its score was for the old examples."""
        n = len(self.state["examples"])
        memo = dataset.remove_rows(self.state, indices, whole_take)
        memo["predictor"] = self._predictor
        if not indices:
            return memo
        self._rows_removed(memo["rows"], n)
        if memo["trimmed"] is not None:
            self._set_model(memo["trimmed"] if memo["trimmed"]["examples"] else None)
        self.state_changed()
        self._say(f"removed {counted(len(indices), 'example')}; {self._summary()}")
        return memo

    def restore_rows(self, memo):
        """Put back the rows remove_rows took, where they were; the model that knew them runs
        again if nothing was trained since."""
        rows = memo["rows"]
        if not rows:
            return
        if dataset.restore_rows(self.state, memo):
            self._set_model(memo["model"], memo["predictor"])
        self._rows_inserted(rows)
        self.state_changed()
        self._say(f"restored {counted(len(rows), 'example')}; {self._summary()}")

    def clear_examples(self):
        """Forget every example and the model; returns the memo restore_dataset takes."""
        self._cancel()
        memo = {"state": self.state, "caches": self._caches(), "predictor": self._predictor}
        # a fresh start counts takes from 1 again; undo puts the old state (and count) back
        self.state = {"examples": [], "take": 0}
        self._predictor = None
        self._refit = None
        self._rebuild()
        self.state_changed()
        self._say("cleared: no examples, no model")
        return memo

    def restore_dataset(self, memo):
        """Undo clear_examples: the same examples and the same running model, at once."""
        self._cancel()
        self.state = memo["state"]
        self._restore_caches(memo["caches"])
        self._predictor = memo["predictor"]
        self._refit = None
        if self._predictor is not None:
            self.model_ready(self._predictor, self.state["model"]["spec"])
        self.state_changed()
        self._say(f"examples back; {self._summary()}")

    def _caches(self):
        return (self._xs, self._dim, self._mixed, self._counts)

    def _restore_caches(self, caches):
        self._xs, self._dim, self._mixed, self._counts = caches
        self._epoch += 1
        self._rows = ([], [], [])

    def _rows_removed(self, rows, n):
        """Keep the feature matrix and counts in step with `rows` (index, row) just removed
        from n rows."""
        examples = self.state["examples"]
        self._epoch += 1  # snapshots start their rows afresh
        self._rows = ([], [], [])
        if self._mixed or not examples:
            self._rebuild()
            return
        if rows[0][0] != n - len(rows):  # (taken from the end, what stays has not moved)
            keep = np.ones(n, dtype=bool)
            keep[[i for i, _ in rows]] = False
            self._xs[:n - len(rows)] = self._xs[:n][keep]
        if self.counts_labels:
            counts = dict(self._counts)  # copy on write: the editor reads it from another thread
            for _, ex in rows:
                counts[ex["y"]] -= 1
                if not counts[ex["y"]]:
                    del counts[ex["y"]]
            self._counts = counts

    def _rows_inserted(self, rows):
        """Keep the feature matrix and counts in step with `rows` (index, row) just put back."""
        examples = self.state["examples"]
        self._epoch += 1
        self._rows = ([], [], [])
        if self._mixed or self._dim is None or any(len(ex["x"]) != self._dim for _, ex in rows):
            self._rebuild()
            return
        n, old = len(examples), len(examples) - len(rows)
        if n > len(self._xs):
            grown = np.zeros((max(2 * len(self._xs), n), self._dim))
            grown[:old] = self._xs[:old]
            self._xs = grown
        at = [i for i, _ in rows]
        keep = np.ones(n, dtype=bool)
        keep[at] = False
        self._xs[:n][keep] = self._xs[:old].copy()  # a copy: the two ranges overlap
        self._xs[at] = np.array([ex["x"] for _, ex in rows], dtype=np.float64)
        if self.counts_labels:
            counts = dict(self._counts)
            for _, ex in rows:
                counts[ex["y"]] = counts.get(ex["y"], 0) + 1
            self._counts = counts

    def use_model(self, model, predictor):
        """Run this model (undo and redo of a training)."""
        self._set_model(model, predictor)
        self.state_changed()
        self._say(f"running the model of {counted(model['examples'], 'example')}" if model else "no model")

    def _set_model(self, model, predictor=None):
        """The model the document names; with no predictor given, one is refitted for it."""
        self._cancel()
        if model is None:
            self.state.pop("model", None)
            self._predictor, self._refit = None, None
            return
        self.state["model"] = model
        if predictor is not None:
            self._predictor, self._refit = predictor, None
            self.model_ready(predictor, model["spec"])
        else:
            self._refit = model
            if self.host is not None:
                self._refit_now()

    # ---- what people see ---------------------------------------------------------------------

    def _say(self, text):
        self._status = text
        if self.host is not None:
            self.emit("status", text)

    def _summary(self):
        n = len(self.state["examples"])
        if not n:
            return "no examples"
        if self._counts:
            parts = ", ".join(f"{show(k)}: {c}" for k, c in sorted(self._counts.items(), key=lambda kv: label_key(kv[0])))
            return f"{counted(n, 'example')} ({parts})"
        return counted(n, "example")

    def inlet_state(self, name):
        # the true state: a take ends with train, running waits for a model...
        if name == "record":
            return self._recording
        if name == "run":
            return self._running
        return super().inlet_state(name)

    def relevant_params(self):
        """The chosen algorithm's options and the params every algorithm uses (options_for)."""
        names = super().relevant_params()
        algo = self.params.get("algorithm")
        if algo is None or not self.options_for:
            return names
        options = {name for names_ in self.options_for.values() for name in names_}
        mine = set(self.options_for.get(algo, ()))
        return [name for name in names if name not in options or name in mine]

    def info(self):
        model = self.state.get("model")
        training = self._job is not None
        info = {
            "mode": "recording" if self._recording else "running" if self._running else "idle",
            "training": training,
            # a bar only while a job reports how far it is (a fit alone says nothing until it ends)
            "progress": self._progress if training and self._job_kind != "refit" and self._progress else None,
            "stage": self._stage if training and self._progress else "",
            "examples": len(self.state["examples"]),
            "takes": self.state.get("take", 0),
            "counts": {str(k): v for k, v in self._counts.items()} if self.counts_labels else None,
            "model": None if model is None else {"algorithm": model["spec"].get("algorithm"),
                                                 "examples": model["examples"] + len(model.get("kept", ()))},
            "score": None if model is None or "score" not in model else _scalars(model["score"]),
            "status": self._status,
            "show": ("text", "counts", "progress"),  # on the node; the inspector shows everything
        }
        info["text"] = self.info_text(info)
        return info

    needs_training = True  # False: examples are used as they are (ml.gesture)
    PROBLEMS = ("cannot", "could not", "training failed", "no examples to", "no score")

    def info_text(self, info) -> str:
        """What the learner is doing now, in a few short lines: mode, model, score, a problem."""
        lines = []
        if self._recording:
            target = self.inputs.get(self.target) if self.target else None
            lines.append(f"● recording take {self.state.get('take', 0)}" + (
                f" as {_target_text(target)}" if target is not None else ""))
        else:
            lines.append("▶ running" if self._running else "■ stopped")
        model = info.get("model")
        algo = (model or {}).get("algorithm") or self.params.get("algorithm", "")
        if self._job is not None and self._job == self._modelled:
            lines.append("scoring (cross-validation)…")
        elif self._job is not None and self._job_kind == "refit":
            lines.append(f"restoring the saved model ({algo})…")
        elif self._job is not None and self._predictor is None and self._job_kind == "train":
            lines.append(f"training {algo}" + (f": {self._stage}" if self._stage and self._stage != "starting" else "…"))
        elif self._job is not None:
            lines.append("scoring (cross-validation)…")
        if self.needs_training and self._predictor is not None and model:
            lines.append(f"model: {algo}, learned {counted(model['examples'], 'example')}")
        elif self.needs_training and self._job is None:
            lines.append("no model yet: record examples, then train" if info.get("examples")
                         else "no examples yet: record some")
        if not self.counts_labels and info.get("examples"):
            takes = len({ex.get("take") for ex in self.state["examples"]})
            lines.append(f"{counted(info['examples'], 'example')} in {counted(takes, 'take')}")
        score = info.get("score")
        if score and self._job is None:
            try:
                text = f"no score: {score['skipped']}" if "skipped" in score else self.describe_score(score)
            except (KeyError, TypeError, ValueError):
                text = ""
            if text:
                lines.append(text)
        status = self._status or ""
        if status.startswith(self.PROBLEMS) and status not in lines:
            lines.append("⚠ " + status)
        return "\n".join(lines)


def _target_text(target):
    if isinstance(target, np.ndarray):
        target = target.tolist()
    if isinstance(target, list):
        return "[" + " ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in target[:6]) + \
            (" …]" if len(target) > 6 else "]")
    return show(target)


def _scalars(score):
    """The score's numbers, without the confusion matrix (plot.confusion draws that)."""
    return {k: v for k, v in score.items() if not isinstance(v, (list, dict))}


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
