"""What a Wekinator project's learner is also told, output by output.

A Wekinator project has N outputs, each with its own model: its own examples (an
example records the outputs whose recording is on), its own inputs
(`selectInputsForOutput`), its own run switch, and its own model file
(`saveModelToFile`, `loadModelFromFile`). ml.classify and ml.regress take these
from the inlets below once they are set up as a project (`classes` or `outputs`
set). An output's switches start from the params and the inlets change them
while the patch runs.
"""
from __future__ import annotations

import json
import os
import threading

import numpy as np

from nodegraph import Inlet, NodeError, Outlet, Param, paths
from nodegraph.commands import ClearExamples, RecordedTake
from nodegraph.errors import ParamError
from nodegraph.glossary import counted

PROJECT_INLETS = (
    Inlet("record_on", "any", help="output numbers (from 1) whose examples are recorded again "
                                   "(Wekinator's enableModelRecording)"),
    Inlet("record_off", "any", help="output numbers that stop recording examples (disableModelRecording)"),
    Inlet("run_on", "any", help="output numbers whose model runs again (enableModelRunning)"),
    Inlet("run_off", "any", help="output numbers whose model stops running; they send their last value "
                                 "(disableModelRunning)"),
    Inlet("select_inputs", "any", help="an output number, then the input numbers it learns from, from the "
                                       "next training on (selectInputsForOutput)"),
    Inlet("delete_output", "any", help="an output number: its examples are deleted, its model keeps running "
                                       "(deleteExamplesForOutput)"),
    Inlet("save_model", "any", help="an output number and a file name: that output's model and examples, "
                                    "as JSON in the patch's folder (saveModelToFile)"),
    Inlet("load_model", "any", help="an output number, a file saved by save_model, and WITHDATA to add its "
                                    "examples too (loadModelFromFile)"),
    Inlet("bundle", "any", help="a CSV file of input rows (in the patch's folder): recorded, or run into "
                                "a CSV of outputs (Wekinator's /wek/inputs/bundle)"),
    Inlet("new_project", "bang", help="start over: every example and model deleted (Ctrl+Z brings them "
                                      "back), recording and running off, every output's switches reset"),
)
BUNDLE_OUTLET = Outlet("bundle", "text", help="the path of the CSV of outputs written for a bundle of inputs")
BUNDLE_FILE = "wekOutputs.csv"  # Wekinator's name for it (it writes it to the temporary folder)
MAX_FILE = 64 * paths.MiB

PROJECT_PARAMS = (
    Param("record_outputs", "text", "all", help="outputs that record examples: all, or output numbers (1 3)"),
    Param("run_outputs", "text", "all", help="outputs whose model runs: all, or output numbers (1 3)"),
    Param("inputs_for", "text", "all", help="the inputs each output learns from, outputs separated by ';' "
                                            "(1 2; all; 3): all, or input numbers from 1"),
)
MODEL_FILE_FORMAT = "nodegraph-model"


def _numbers(text, name):
    text = str(text).strip()
    if text in ("", "all", "*"):
        return None
    try:
        values = [int(w) for w in text.replace(",", " ").split()]
    except ValueError:
        raise ParamError(f"'{name}' must be all or whole numbers from 1, like 1 3; got {text!r}") from None
    if any(v < 1 for v in values):
        raise ParamError(f"'{name}' numbers start at 1; got {text!r}")
    return values


def check_project_param(name, value):
    """ParamError unless a project param's text can be read."""
    if name == "inputs_for":
        for group in str(value).split(";"):
            _numbers(group, name)
    elif name in ("record_outputs", "run_outputs"):
        _numbers(value, name)


def _ints(value, what):
    """The whole numbers in an inlet's message (a number, a vector or a list)."""
    items = value.tolist() if isinstance(value, np.ndarray) else value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not float(v).is_integer():
            raise NodeError(f"{what} needs whole numbers, got {v!r}; ignored")
        out.append(int(v))
    if not out:
        raise NodeError(f"{what} needs at least one output number; ignored")
    return out


class DeleteOutputExamples(ClearExamples):
    """Wekinator's deleteExamplesForOutput (already done when it enters the history); undo
    brings the examples back as they were."""

    label = "delete examples of an output"

    def __init__(self, node_id, memo, output):
        super().__init__(node_id, memo)
        self.output = output

    def change(self, rows):
        j = self.output
        return rows.replace(lambda state: rows.node.output_deleted(state, j),
                            lambda learner: learner.delete_output_examples(j))


class Project:
    """Mixin for ml.classify and ml.regress: per-output switches, inputs and model files."""

    def param_changed(self, name, old):
        if name in ("record_outputs", "run_outputs", "inputs_for"):
            self.reset_switches()

    def process(self, fired):
        if self.project():
            self.project_process(fired)
        super().process(fired)

    def n_outputs(self) -> int:
        raise NotImplementedError

    def project(self) -> bool:
        """Set up as a Wekinator project (its inlets shown)."""
        raise NotImplementedError

    def bundle_row(self, x):
        """The outputs for one input row of a bundle, sent nowhere."""
        raise NotImplementedError

    def reset_switches(self):
        """Every output's switches as the params say (setup, a param edited, a new project)."""
        n = self.n_outputs()
        record, run = (_numbers(self.params[k], k) for k in ("record_outputs", "run_outputs"))
        self._record_on = [record is None or j + 1 in record for j in range(n)]
        self._run_on = [run is None or j + 1 in run for j in range(n)]
        groups = str(self.params["inputs_for"]).split(";")
        self._inputs_for = [(_numbers(groups[j], "inputs_for") if j < len(groups) else None) for j in range(n)]
        if len(groups) == 1 and n > 1:
            self._inputs_for = [self._inputs_for[0]] * n  # one group: every output
        self._last = np.zeros(n)

    def project_process(self, fired):
        """Handle the project inlets that fired; each message is checked as Wekinator checks it."""
        n = self.n_outputs()
        for name in ("record_on", "record_off", "run_on", "run_off"):
            if name in fired:
                outputs = _ints(self.inputs[name], name)
                bad = [o for o in outputs if not 1 <= o <= n]
                if bad:
                    raise NodeError(f"{name}: output numbers go from 1 to {n} here, got {bad[0]}; ignored")
                switches = self._record_on if name.startswith("record") else self._run_on
                for o in outputs:
                    switches[o - 1] = name.endswith("_on")
                what = "recording" if name.startswith("record") else "running"
                on = [str(j + 1) for j, s in enumerate(switches) if s]
                self._say(f"{what}: output{'s' if len(on) != 1 else ''} {' '.join(on) or 'none'}")
        if "select_inputs" in fired:
            values = _ints(self.inputs["select_inputs"], "select_inputs")
            if len(values) < 2:
                raise NodeError("select_inputs needs an output number, then at least one input number; ignored")
            out, chosen = values[0], values[1:]
            if not 1 <= out <= n:
                raise NodeError(f"select_inputs: output numbers go from 1 to {n} here, got {out}; ignored")
            d = self.expected_length()
            if any(i < 1 or (d is not None and i > d) for i in chosen):
                raise NodeError(f"select_inputs: input numbers go from 1 to {d or 'the number of inputs'}, "
                                f"got {' '.join(map(str, chosen))}; ignored")
            self._inputs_for[out - 1] = sorted(set(chosen))
            self._say(f"output {out} learns from inputs {' '.join(map(str, self._inputs_for[out - 1]))} "
                      "from the next training on")
        if "delete_output" in fired:
            out = _ints(self.inputs["delete_output"], "delete_output")[0]
            if not 1 <= out <= n:
                raise NodeError(f"delete_output: output numbers go from 1 to {n} here, got {out}; ignored")
            if not any(self.output_value(ex, out - 1) is not None for ex in self.state["examples"]):
                self._say(f"output {out} has no examples to delete")
            else:
                self.propose(DeleteOutputExamples(self.id, self.delete_output_examples(out - 1), out - 1))
        if "save_model" in fired:
            self._save_model(self.inputs["save_model"])
        if "load_model" in fired:
            self._load_model(self.inputs["load_model"])
        if "bundle" in fired:
            self._read_bundle(self.inputs["bundle"])
        if "new_project" in fired:
            self._new_project()

    def _new_project(self):
        self._set_recording(False)
        self._running = False
        self._clear()
        self.reset_switches()
        self._say("new project: no examples, no model, not recording, not running")

    # ---- examples, output by output --------------------------------------------------------

    def output_value(self, ex, j):
        """Example `ex`'s target for output j (None: that output did not record it)."""
        y = ex.get("y")
        return y[j] if isinstance(y, list) else (y if j == 0 else None)

    def output_deleted(self, state, j, model_runs=True):
        """`state` with output j's examples forgotten (an example no output keeps goes); the
        model's record keeps what it learned, so a reload still refits it. Pure: the document
        and the running learner both use it."""
        examples, model = state["examples"], state.get("model")
        kept = []
        for ex in examples:
            ex = self.with_output(ex, j, None)
            y = ex["y"] if isinstance(ex["y"], list) else [ex["y"]]
            if any(v is not None for v in y):
                kept.append(ex)
        out = dict(state, examples=kept)
        if model is not None and model_runs:
            out["model"] = dict(model, examples=0, kept=model.get("kept", []) + examples[:model["examples"]])
        return out

    def with_output(self, ex, j, value):
        y = list(ex["y"]) if isinstance(ex["y"], list) else [ex["y"]]
        y[j] = value
        return dict(ex, y=y if self.n_outputs() > 1 or isinstance(ex["y"], list) else y[0])

    def masked_target(self, values):
        """The target with the outputs whose recording is off left out (None)."""
        return [v if on else None for v, on in zip(values, self._record_on)]

    def inputs_spec(self):
        """spec["inputs_for"]: each output's inputs from 0, or None when every output has all."""
        if all(sel is None for sel in self._inputs_for):
            return None
        d = self.expected_length()
        for j, sel in enumerate(self._inputs_for):
            if sel is not None and d is not None and max(sel) > d:
                raise NodeError(f"cannot train: output {j + 1} learns from input {max(sel)}, but the examples "
                                f"have {d} inputs (select_inputs or param 'inputs_for')")
        return [None if sel is None else [i - 1 for i in sel] for sel in self._inputs_for]

    def delete_output_examples(self, j):
        """Output j forgets its examples; the others keep theirs (an example no output keeps
        goes). The running model is not touched: what it learned moves into its record, so
        a reload still refits it. Returns the memo restore_dataset takes (undo)."""
        if self._job is not None and self._job_kind == "train":
            self._cancel()
        memo = {"state": self.state, "caches": self._caches(), "predictor": self._predictor}
        examples = self.state["examples"]
        state = self.output_deleted(self.state, j, self._predictor is not None or self._refit is not None)
        kept = state["examples"]
        if self._refit is not None and "model" in state:
            self._refit = state["model"]
        self.state = state
        self._rebuild()
        self.state_changed()
        self._say(f"deleted output {j + 1}'s examples ({counted(len(examples) - len(kept), 'example')} "
                  "had no other output); its model keeps running")
        return memo

    # ---- bundles: many input rows in one CSV file ---------------------------------------------

    def _read_bundle(self, value):
        items = value.tolist() if isinstance(value, np.ndarray) else list(value) if isinstance(value, (list, tuple)) else [value]
        if items and isinstance(items[0], str) and items[0].startswith("/"):
            items = items[1:]  # the whole OSC message ([address, file]) from osc.in
        if len(items) != 1 or not isinstance(items[0], str):
            raise NodeError("bundle needs one file name (a CSV of input rows); ignored")
        path = self.resolve_path(items[0])
        threading.Thread(target=self._bundle_rows, args=(path, items[0]), daemon=True,
                         name="nodegraph-bundle").start()

    def _bundle_rows(self, path, name):
        try:
            text = paths.read_bytes(path, MAX_FILE).decode("utf-8")
            rows = [[float(v) for v in line.split(",")] for line in text.splitlines() if line.strip()]
            if not rows:
                raise ValueError("it has no rows")
        except (OSError, ValueError, UnicodeDecodeError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else e
            self.post(self._file_error, f"bundle: cannot read {name}: {reason}; nothing recorded or run")
            return
        self.post(self._use_bundle, np.array(rows, dtype=np.float64) if len({len(r) for r in rows}) == 1 else rows, name)

    def _use_bundle(self, rows, name):
        d = self.expected_length()
        lengths = {len(r) for r in rows}
        if len(lengths) > 1 or (d is not None and lengths != {d}):
            raise NodeError(f"bundle: the rows of {name} have {', '.join(map(str, sorted(lengths)))} values, "
                            f"but this learner takes {d if d is not None else 'one length'}; nothing recorded or run")
        if self._recording:
            for x in rows:
                self._record(x)
            self._say(f"recorded {counted(len(rows), 'row')} of {name}")
        elif self._running and self._predictor is not None:
            # one message for the whole bundle, not one per row (as Wekinator)
            out = [self.bundle_row(x) for x in rows]
            text = "".join(",".join(repr(float(v)) for v in r) + "\n" for r in out)
            path = self.resolve_path(BUNDLE_FILE)
            threading.Thread(target=self._write_bundle, args=(path, text), daemon=True,
                             name="nodegraph-bundle-out").start()
        else:
            self._say(f"bundle {name}: neither recording nor running, so nothing was done (as Wekinator)")

    def _write_bundle(self, path, text):
        try:
            with paths.open_write(path) as f:
                f.write(text)
        except (OSError, ValueError) as e:
            self.post(self._file_error, f"bundle: could not write {path}: {getattr(e, 'strerror', None) or e}")
            return
        self.post(self._bundle_written, path)

    def _bundle_written(self, path):
        if not getattr(self, "_bundle_said", False):
            self._bundle_said = True
            self.log(f"bundle outputs go to {path}, in the patch's folder (Wekinator writes wekOutputs.csv to "
                     "its temporary folder)")
        self.emit("bundle", path)

    # ---- model files (JSON in the patch's folder; never code) -----------------------------

    def _file_args(self, value, what):
        items = value.tolist() if isinstance(value, np.ndarray) else list(value) if isinstance(value, (list, tuple)) else [value]
        if len(items) < 2 or not isinstance(items[1], str):
            raise NodeError(f"{what} needs an output number and a file name; ignored")
        out = _ints(items[0], what)[0]
        if not 1 <= out <= self.n_outputs():
            raise NodeError(f"{what}: output numbers go from 1 to {self.n_outputs()} here, got {out}; ignored")
        return out, self.resolve_path(items[1]), items[2:]

    def _save_model(self, value):
        out, path, _ = self._file_args(value, "save_model")
        model = self.state.get("model")
        if model is None or self._predictor is None:
            raise NodeError(f"save_model: there is no trained model yet for output {out}: train first")
        j = out - 1
        learned = model.get("kept", []) + self.state["examples"][:model["examples"]]
        rows = [{"x": ex["x"], "y": self.output_value(ex, j)} for ex in learned
                if self.output_value(ex, j) is not None]
        spec = {k: v for k, v in model["spec"].items() if k not in ("multi", "inputs_for", "classes", "n_classes")}
        inputs = (model["spec"].get("inputs_for") or [None] * self.n_outputs())[j]
        doc = {"format": MODEL_FILE_FORMAT, "version": 1, "task": self.task, "output": out,
               "spec": spec, "inputs": None if inputs is None else [i + 1 for i in inputs],
               "n_inputs": self.expected_length(), "examples": rows}
        text = json.dumps(doc, indent=1)
        # a file is written off the real-time thread; the outcome comes back as a status line
        threading.Thread(target=self._write_file, args=(path, text, out), daemon=True,
                         name="nodegraph-save-model").start()

    def _write_file(self, path, text, out):
        try:
            with paths.open_write(path) as f:
                f.write(text)
            self.post(self._saved, f"saved output {out}'s model to {os.path.basename(path)}")
        except (OSError, ValueError) as e:
            self.post(self._file_error, f"save_model: could not write {path}: {getattr(e, 'strerror', None) or e}")

    def _saved(self, text):
        self._say(text)
        # said in the console, as every deliberate difference from Wekinator is
        self.log(text + " as JSON: its examples and settings, refitted when loaded (Wekinator's own "
                 "model files are Java objects, which nodegraph does not read)")

    def _file_error(self, text):
        self._say(text)
        self.log(text, "warning")

    def _load_model(self, value):
        out, path, rest = self._file_args(value, "load_model")
        with_data = bool(rest) and rest[0] == "WITHDATA"
        if rest and rest[0] not in ("WITHDATA", "WITHOUTDATA"):
            self.log(f"load_model: the third word must be WITHDATA or WITHOUTDATA, got {rest[0]!r}; "
                     "loading without data (as Wekinator)", "warning")
        threading.Thread(target=self._read_file, args=(path, out, with_data), daemon=True,
                         name="nodegraph-load-model").start()

    def _read_file(self, path, out, with_data):
        try:
            doc = json.loads(paths.read_bytes(path, MAX_FILE).decode("utf-8"))
            rows, inputs, spec = self.read_model_file(doc)
        except (OSError, ValueError, UnicodeDecodeError, ParamError, NodeError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else e
            self.post(self._file_error, f"load_model: cannot load {os.path.basename(path)}: {reason}; nothing changed")
            return
        self.post(self._use_loaded, out - 1, rows, inputs, spec, with_data, os.path.basename(path))

    def read_model_file(self, doc):
        """(rows, inputs, spec) from a model file, checked as a patch's state is; ValueError if not one."""
        if not isinstance(doc, dict) or doc.get("format") != MODEL_FILE_FORMAT:
            raise ValueError("it is not a model file saved by save_model")
        if doc.get("task") != self.task:
            raise ValueError(f"it holds a {doc.get('task')} model, and this node does {self.task}")
        rows = doc.get("examples")
        if not isinstance(rows, list) or not rows:
            raise ValueError("it has no examples")
        d = self.expected_length()
        for n, ex in enumerate(rows):
            if not isinstance(ex, dict) or not isinstance(ex.get("x"), list):
                raise ValueError(f"example {n + 1} must be an object with 'x'")
            if d is not None and len(ex["x"]) != d:
                raise ValueError(f"its examples have {len(ex['x'])} inputs, and this project has {d}")
            self.check_output_value(ex.get("y"), f"example {n + 1}")
        inputs = doc.get("inputs")
        if inputs is not None:
            inputs = _ints(inputs, "the file's 'inputs'")
            if any(i < 1 or i > len(rows[0]["x"]) for i in inputs):
                raise ValueError("its 'inputs' name inputs it does not have")
        spec = doc.get("spec")
        if not isinstance(spec, dict) or spec.get("task") != self.task:
            raise ValueError("its 'spec' is missing or for another task")
        from nodegraph.learn.spec import check_model
        check_model(self, {"examples": 0, "spec": spec}, 0)
        return rows, inputs, spec

    def pack_target(self, values):
        """An example's y from one value per output (a one-output classifier keeps a bare class)."""
        return values

    def _use_loaded(self, j, rows, inputs, spec, with_data, name):
        """Output j runs the loaded model, refitted from the file's examples (the other outputs
        from what they learned); WITHDATA adds the file's examples to the dataset as a take."""
        n = self.n_outputs()
        new_rows = []
        for ex in rows:
            y = [None] * n
            y[j] = ex["y"]
            new_rows.append({"x": [float(v) for v in ex["x"]], "y": self.pack_target(y), "t": 0.0, "take": 0})
        self._inputs_for[j] = inputs
        model = self.state.get("model")
        learned = [] if model is None else model.get("kept", []) + self.state["examples"][:model["examples"]]
        learned = [self.with_output(ex, j, None) for ex in learned]
        learned = [ex for ex in learned if any(v is not None for v in (ex["y"] if isinstance(ex["y"], list) else [ex["y"]]))]
        base = dict(model["spec"]) if model is not None else self.spec()
        selection = list(base.get("inputs_for") or [None] * n)  # the other outputs keep theirs
        selection[j] = None if inputs is None else [i - 1 for i in inputs]
        base["inputs_for"] = selection if any(sel is not None for sel in selection) else None
        if n == 1:  # the file's own recipe
            base.update(algorithm=spec["algorithm"], options=spec.get("options", {}),
                        scaling=spec.get("scaling", base.get("scaling")))
        elif spec["algorithm"] != base.get("algorithm"):
            self.log(f"load_model: output {j + 1}'s file was trained with {spec['algorithm']}; every output of "
                     f"this node uses {base.get('algorithm')}, so it is refitted with that", "warning")
        record = {"examples": 0, "spec": base, "kept": learned + new_rows}
        if with_data:
            self.state["take"] = self.state.get("take", 0) + 1
            added = []
            for ex in new_rows:
                ex = dict(ex, take=self.state["take"], t=round(float(self.now), 3))
                self._append(ex, np.asarray(ex["x"]))
                added.append(ex)
            self.state_changed()
            self.propose(RecordedTake(self.id, self.state["take"], added))  # Ctrl+Z takes them out
        self._set_model(record)
        self._say(f"loaded output {j + 1}'s model from {name} ({counted(len(rows), 'example')}"
                  f"{', added to the examples' if with_data else ''})")
