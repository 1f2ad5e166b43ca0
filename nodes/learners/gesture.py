"""ml.gesture: recognises movements over time by dynamic time warping (Wekinator's DTW)."""
from __future__ import annotations

import numpy as np

from nodegraph import BANG, Inlet, NodeError, Outlet, Param, register
from nodegraph.commands import RecordedTake, RemovedTake
from nodegraph.errors import ParamError
from nodegraph.glossary import counted
from nodegraph.learn import dtw
from nodegraph.learn.worker import trainer

from .base import CONTROL_INLETS, STATUS_OUTLETS, Learner, _number, label_key, show, warm_trainer


def parse_classes(text):
    out = []
    for token in text.replace(",", " ").split():
        try:
            out.append(int(token))
        except ValueError:
            out.append(token)
    return out


class RemovedGesture(RemovedTake):
    """Every example of one gesture deleted (its `delete_gesture` inlet); already done when it
    enters the history. Undo puts them back where they were."""

    label = "delete a gesture's examples"

    def __init__(self, node_id, gesture, memo):
        super().__init__(node_id, None, memo)
        self.gesture = gesture

    def change(self, rows):
        return rows.remove_where(lambda ex: ex["y"] == self.gesture)


@register("ml.gesture", category="learn")
class Gesture(Learner):
    """Recognises gestures (movements over time) from recorded examples (DTW, as Wekinator or finer).

    Teach: send a gesture name or number to `label`, switch `record` on, make
    the gesture, switch `record` off: that is one example. Record a few of each.
    With `run` on, the incoming stream is compared continuously with every
    example by dynamic time warping (which forgives faster or slower
    performances). When the closest gesture is nearer than `threshold`, its
    label is sent out of `label` (once, until the match changes), and after
    every compared frame each gesture's distance goes out of `distances`
    (in the order of `classes`, or of the labels; infinite = no candidate).

    `mode` chooses how. "wekinator" matches as Wekinator does: examples are
    downsampled to at most `max_length` frames (0: keep every frame),
    candidates are at least `min_length` frames long, and `match_width`
    limits how far the warping may stray (0: no limit); a distance is the
    total along the match. "precise" compares every frame and ignores those
    three settings: a match may start at any frame and be a third to three
    times as long as an example, and a distance is the average distance
    per example frame (so its threshold is smaller: 0.1 suits a mouse in a
    unit square). On the UCR Trace benchmark "precise" names 99 of 100
    gestures where "wekinator" names 72.

    No training is needed; `train` scores the examples (leave-one-out
    accuracy). Recording pauses running. `undo_take` deletes the last example,
    `delete_gesture` every example of one gesture (Wekinator's
    deleteExamplesForOutput).
    """

    task = "gesture"
    target = "label"
    needs_training = False  # the examples themselves are matched
    counts_labels = True
    inlets = (Inlet("features", "vector", help="one frame of the movement (e.g. x, y of the mouse)"),
              Inlet("label", "label", hot=False, help="the gesture the next recording is an example of"),
              *CONTROL_INLETS,
              Inlet("delete_gesture", "label", help="a gesture whose examples are all deleted "
                                                    "(Wekinator's deleteExamplesForOutput)"))
    outlets = (Outlet("label", "label", help="the gesture that matches, when the match changes"),
               Outlet("distances", "vector", help="each gesture's DTW distance, after every compared frame"),
               *STATUS_OUTLETS)
    params = (Param("mode", "choice", "wekinator", choices=("wekinator", "precise"),
                    help="wekinator: as Wekinator (downsampled); precise: every frame, more accurate"),
              Param("threshold", "float", 5.0, min=0.0, max=1e9,
                    help="a gesture matches when its distance is below this (Wekinator: 5; precise: about 0.1)"),
              Param("min_length", "int", 5, min=1, max=10_000,
                    help="wekinator mode: shortest candidate, in (downsampled) frames"),
              Param("max_length", "int", 10, min=0, max=10_000,
                    help="wekinator mode: downsample examples to at most this many frames (0: none)"),
              Param("match_width", "int", 5, min=0, max=10_000,
                    help="wekinator mode: how far the warping may stray from the diagonal, in frames (0: no limit)"),
              Param("classes", "text", "", help="the order of `distances`, e.g. 1 2 3 (empty: the labels' order)"))

    def setup(self):
        self._frames = []
        self._matcher = None
        self._order = []
        self._last_match = -1
        self._factor = 1
        super().setup()

    def check_example(self, ex, where):
        x = ex.get("x")
        if (not isinstance(x, list) or not x
                or not all(isinstance(f, list) and f and all(_number(v) for v in f) for f in x)):
            raise ParamError(f"{where}: 'x' must be a list of frames, each a list of numbers")
        if len({len(f) for f in x}) != 1:
            raise ParamError(f"{where}: its frames have different lengths")
        y = ex.get("y")
        if isinstance(y, bool) or not isinstance(y, (str, int)):
            raise ParamError(f"{where}: 'y' must be a gesture name (text or a whole number)")

    def set_state(self, state):
        self._cancel()
        self.state = state
        self.state.setdefault("examples", [])
        self.state.setdefault("take", 0)
        self._rebuild()
        self._say(self._summary())

    def _rebuild(self):
        examples = self.state["examples"]
        dims = {len(ex["x"][0]) for ex in examples}
        self._mixed = len(dims) > 1
        self._dim = next(iter(dims)) if len(dims) == 1 else None
        self._counts = self.count_examples(examples)
        listed = parse_classes(self.params["classes"])
        extra = sorted({ex["y"] for ex in examples} - set(listed), key=label_key)
        self._order = listed + extra
        self._matcher = None
        self._last_match = -1
        if not examples or self._mixed:
            return
        p = self.params
        index = {label: i for i, label in enumerate(self._order)}
        labels = [index[ex["y"]] for ex in examples]
        if p["mode"] == "precise":
            self._factor = 1
            self._matcher = dtw.StreamMatcher([ex["x"] for ex in examples], labels, len(self._order),
                                              p["threshold"])
            return
        longest = max(len(ex["x"]) for ex in examples)
        self._factor = dtw.downsample_factor(longest, p["max_length"])
        templates = [dtw.decimate(ex["x"], self._factor) for ex in examples]
        self._matcher = dtw.Matcher(templates, labels, len(self._order),
                                    p["min_length"], p["threshold"], self._factor, p["match_width"])

    def param_changed(self, name, old):
        self._rebuild()

    def process(self, fired):
        if "delete_gesture" in fired:
            self._delete_gesture(self.inputs["delete_gesture"])
        super().process(fired)

    WEKINATOR_ONLY = ("min_length", "max_length", "match_width")  # what precise mode does not use

    def relevant_params(self):
        names = super().relevant_params()
        if self.params["mode"] == "precise":
            return [n for n in names if n not in self.WEKINATOR_ONLY]
        return names

    def gesture_rows(self, gesture):
        return [i for i, ex in enumerate(self.state["examples"]) if ex["y"] == gesture]

    def _delete_gesture(self, gesture):
        listed = parse_classes(self.params["classes"])
        if listed and gesture not in listed:
            raise NodeError(f"delete_gesture: {show(gesture)} is not one of this project's gestures "
                            f"({' '.join(map(str, listed))}); nothing deleted")
        rows = self.gesture_rows(gesture)
        if not rows:
            self._say(f"no examples of {show(gesture)} to delete")
            return
        self.propose(RemovedGesture(self.id, gesture, self.remove_rows(rows)))

    def expected_length(self):
        return self._dim

    def make_target(self):
        label = self.inputs["label"]
        if label is None:
            raise NodeError("no label yet: send a gesture name or number to the 'label' inlet before recording")
        return label

    def _record(self, x):
        if not np.isfinite(x).all():
            raise NodeError("features contain a value that is not a number (nan or infinity): not recorded")
        if not self._frames:
            self._take_time = round(float(self.now), 3)
        elif len(x) != len(self._frames[0]):
            raise NodeError(f"got {len(x)} features, but this recording's frames have {len(self._frames[0])}")
        self._frames.append(x.tolist())

    def _set_recording(self, on):
        if on and not self._recording:
            self._label = self.make_target()
            self.state["take"] += 1
            self._recording, self._frames = True, []
            warm_trainer()  # for scoring, later
            self._say(f"recording an example of {show(self._label)}")
        elif not on and self._recording:
            self._recording = False
            frames, self._frames = self._frames, []
            if not frames:
                self._say("nothing recorded (length was 0)")
            else:
                if self._dim is not None and len(frames[0]) != self._dim:
                    raise NodeError(f"this example has {len(frames[0])} features per frame, "
                                    f"but the others have {self._dim}")
                row = {"x": frames, "y": self._label, "t": self._take_time, "take": self.state["take"]}
                self.state["examples"].append(row)
                self._rebuild()
                self.state_changed()
                self._say(f"recorded {show(self._label)} ({counted(len(frames), 'frame')}); {self._summary()}")
                self.propose(RecordedTake(self.id, self.state["take"], [row]))  # an undo step, as in every learner
            if self._running and self._matcher is not None:
                self._matcher.reset()

    def _set_running(self, on):
        self._running = on
        if on and self._matcher is not None:
            self._matcher.reset()
            self._last_match = -1
        if on and self._matcher is None:
            self._say("running, but there are no examples yet: record some gestures")
        else:
            self._say(("running; " if on else "stopped; ") + self._summary())

    # a gesture's examples are matched as they are: any change to the rows rebuilds the matcher
    def _rows_removed(self, rows, n):
        self._rebuild()

    def _rows_inserted(self, rows):
        self._rebuild()

    def _caches(self):
        return None

    def _restore_caches(self, caches):
        self._rebuild()

    def _feed(self, x):
        n = self._dim
        if n is not None and len(x) != n:
            raise NodeError(f"got {len(x)} features, but this gesture learner's examples have {n}: "
                            f"send vectors of length {n}, or clear it to start again")
        if self._recording:
            self._record(x)
        elif self._running and self._matcher is not None:
            result = self._matcher.push(x)
            if result is None:
                return  # downsampling skips this frame, as Wekinator does
            distances, match = result
            self.emit("distances", distances)
            if match != self._last_match:
                self._last_match = match
                if match >= 0:
                    self.emit("label", self._order[match])

    def _train(self):
        if self._recording:
            self._set_recording(False)
        examples = self.state["examples"]
        if not examples:
            self._say("no examples: record some gestures first")
            return
        if self._mixed:
            self._say("cannot score: the examples have different numbers of features; clear and record again")
            return
        self.emit("trained", BANG)
        labels = {ex["y"] for ex in examples}
        if len(labels) < 2:
            self._say(f"ready: {self._summary()} (scoring needs at least two gestures)")
            return
        self._cancel()
        index = {label: i for i, label in enumerate(self._order)}
        series = [dtw.decimate(ex["x"], self._factor) for ex in examples]
        arrays = {"frames": np.concatenate(series), "lengths": np.array([len(s) for s in series]),
                  "labels": np.array([index[ex["y"]] for ex in examples])}
        precise = self.params["mode"] == "precise"
        header = {"kind": "gesture_score", "width": 0 if precise else self.params["match_width"]}
        self._progress, self._stage = 0.0, "scoring"
        self._say(f"ready: {self._summary()}; scoring...")

        on_event = self._job_events("scoring failed")
        self._job = trainer().submit(header, arrays, on_event)
        self._job_kind = "score"

    def _job_score(self, job_id, score):
        if job_id != self._job:
            return
        self.state["score"] = score
        self.state_changed()
        self._say(self.describe_score(score) if "skipped" not in score else f"no score: {score['skipped']}")

    def describe_score(self, score):
        return f"leave-one-out accuracy {score['accuracy']:.1%} over {counted(score['folds'], 'example')}"

    def info(self):
        info = super().info()
        info["classes"] = list(self._order)
        info["downsample"] = self._factor
        info["score"] = dict(self.state["score"]) if "score" in self.state else None
        info["model"] = None
        info["text"] = self.info_text(info)
        return info
