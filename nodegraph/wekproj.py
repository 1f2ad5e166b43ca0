"""Open a Wekinator (WekiMini) project: its folder read, never run, into a nodegraph patch.

The layout, from WekiMini's own saving code (WekinatorSaver and the classes it writes):
    NAME.wekproj                  XStream XML: <WekinatorFileData> oscReceivePort, projectName
    inputConfig.xml               <OSCInputGroup> oscMessage, numInputs, groupName, inputNames
    outputConfig.xml              <OSCOutputGroup> oscMessage, hostName, outputPort, outputs
                                  (OSCClassificationOutput, OSCNumericOutput or OSCDtwOutput)
    current/currentData.arff      the examples: ID, Time, Training round, the inputs, the outputs
    current/models/model<i>.xml   output i's Path: a Java object stream whose first object is the
                                  Path as XStream XML (algorithm and settings, inputs, switches);
                                  the trained model after it is a serialized Java object: never read
    current/currentData.csv       a DTW project's examples: dims, gesture, the frames flattened
    current/models/model1.xml     a DTW project's DtwModel as XStream XML (its settings)
Nothing is executed: XML without DTDs or entities, ARFF and CSV read as plain text, every file capped.
"""
from __future__ import annotations

import copy
import csv
import json
import os
import re
import struct
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from . import paths
from .errors import NodegraphError

MAX_XML = 8 * paths.MiB
MAX_DATA = 256 * paths.MiB
MAX_EXAMPLES = 1_000_000
TIME = re.compile(r"(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d):(\d{3})")  # Wekinator's yyyy/MM/dd HH:mm:ss:SSS
META = 3  # ID, Time, Training round come before the inputs in Wekinator's ARFF


class ProjectError(NodegraphError):
    """A Wekinator project that cannot be read; the message names the file."""


def _read(path, limit):
    try:
        return paths.read_bytes(str(path), limit, follow=True)
    except FileNotFoundError:
        raise ProjectError(f"{path}: missing (a Wekinator project folder has it)") from None
    except OSError as e:
        raise ProjectError(f"{path}: cannot read the file ({e.strerror or e})") from None
    except ValueError as e:
        raise ProjectError(f"{path}: cannot read the file ({e})") from None


def _xml_text(path, text):
    # a DTD can define entities that expand without end or read other files: refused outright
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.I):
        raise ProjectError(f"{path}: has a DTD or entity declaration, which Wekinator never writes; not read")
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        raise ProjectError(f"{path}: not valid XML ({e})") from None


def _xml(path):
    raw = _read(path, MAX_XML)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectError(f"{path}: not a text (UTF-8) file") from None
    return _xml_text(path, text)


def _java_first_string(path):
    """The first object of a Java object stream when it is a string (a Path's XML), read from
    the bytes alone: the serialized objects after it are never deserialized."""
    raw = _read(path, MAX_DATA)
    if raw[:4] != b"\xac\xed\x00\x05":
        raise ProjectError(f"{path}: not a model file Wekinator writes (no Java stream header)")
    tag = raw[4:5]
    if tag == b"\x74":
        (n,), start = struct.unpack(">H", raw[5:7]), 7
    elif tag == b"\x7c":
        (n,), start = struct.unpack(">Q", raw[5:13]), 13
    else:
        raise ProjectError(f"{path}: does not start with the output's settings as text")
    if start + n > len(raw) or n > MAX_XML:
        raise ProjectError(f"{path}: its settings text is cut short or too long")
    # Java's modified UTF-8 differs from UTF-8 only for NUL and characters above U+FFFF
    return _xml_text(path, raw[start:start + n].decode("utf-8", errors="replace"))


def _field(elem, name, path, kind=str, default=None):
    child = elem.find(name)
    if child is None or child.text is None:
        if default is not None:
            return default
        raise ProjectError(f"{path}: <{elem.tag}> has no <{name}>")
    text = child.text.strip()
    try:
        if kind is bool:
            if text not in ("true", "false"):
                raise ValueError
            return text == "true"
        return kind(text)
    except ValueError:
        raise ProjectError(f"{path}: <{name}> must be {'true or false' if kind is bool else kind.__name__}, "
                           f"got {text[:40]!r}") from None


def _strings(elem, name):
    child = elem.find(name)
    return [] if child is None else [(s.text or "") for s in child]


# ---- the project files ---------------------------------------------------------------------

def find_project(path):
    """(folder, .wekproj file) for a .wekproj file or a project folder."""
    p = Path(path)
    if not p.exists():
        raise ProjectError(f"{p}: no such file or folder")
    if p.is_dir():
        found = sorted(p.glob("*.wekproj"))
        if len(found) != 1:
            raise ProjectError(f"{p}: a Wekinator project folder holds one .wekproj file, this one holds {len(found)}")
        return p, found[0]
    if p.suffix != ".wekproj":
        raise ProjectError(f"{p}: not a .wekproj file or a Wekinator project folder")
    return p.parent, p


def read_project(path) -> dict:
    """Everything the patch needs from the project, as plain data."""
    folder, wekproj = find_project(path)
    root = _xml(wekproj)
    if root.tag != "WekinatorFileData":
        raise ProjectError(f"{wekproj}: starts with <{root.tag}>, not <WekinatorFileData>")
    port = _field(root, "oscReceivePort", wekproj, int, 6448)
    if not 1 <= port <= 65535:
        raise ProjectError(f"{wekproj}: oscReceivePort {port} is not a port (1 to 65535)")
    proj = {"name": _field(root, "projectName", wekproj, str, wekproj.stem), "port": port, "folder": str(folder)}

    path = folder / "inputConfig.xml"
    ig = _xml(path)
    if ig.tag != "OSCInputGroup":
        raise ProjectError(f"{path}: starts with <{ig.tag}>, not <OSCInputGroup>")
    n_in = _field(ig, "numInputs", path, int)
    names = _strings(ig, "inputNames") or [f"inputs-{i + 1}" for i in range(n_in)]
    if not 1 <= n_in <= 10_000 or len(names) != n_in:
        raise ProjectError(f"{path}: numInputs is {n_in} but {len(names)} input names are given")
    proj.update(inputs=names, input_address=_field(ig, "oscMessage", path, str, "/wek/inputs"))

    path = folder / "outputConfig.xml"
    og = _xml(path)
    if og.tag != "OSCOutputGroup":
        raise ProjectError(f"{path}: starts with <{og.tag}>, not <OSCOutputGroup>")
    out_port = _field(og, "outputPort", path, int, 12000)
    if not 1 <= out_port <= 65535:
        raise ProjectError(f"{path}: outputPort {out_port} is not a port (1 to 65535)")
    proj.update(output_address=_field(og, "oscMessage", path, str, "/wek/outputs"),
                host=_field(og, "hostName", path, str, "127.0.0.1"), output_port=out_port)
    outs = og.find("outputs")
    if outs is None or not len(outs):
        raise ProjectError(f"{path}: has no outputs")
    proj["outputs"] = [_output(o, path) for o in outs]
    kinds = {o["kind"] for o in proj["outputs"]}
    if kinds == {"dtw"}:
        if len(proj["outputs"]) != 1:
            raise ProjectError(f"{path}: a DTW project has one gesture output, this one has {len(proj['outputs'])}")
        proj["kind"] = "dtw"
        proj.update(_read_dtw(folder, proj))
        return proj
    if len(kinds) > 1:
        raise ProjectError(f"{path}: mixes classifier and continuous outputs; nodegraph's Wekinator patches hold "
                           "one kind (import it as two projects, or set the outputs to one kind in Wekinator)")
    proj["kind"] = kinds.pop()
    proj["paths"] = [_read_path(folder / "current" / "models" / f"model{i}.xml", o)
                     for i, o in enumerate(proj["outputs"])]
    proj["examples"] = _read_arff(folder / "current" / "currentData.arff", proj)
    return proj


def _output(o, path):
    if o.get("reference") is not None:
        raise ProjectError(f"{path}: an output given by reference; not one Wekinator writes")
    kind = o.tag.rsplit(".", 1)[-1]
    if kind == "OSCClassificationOutput":
        n = _field(o, "numClasses", path, int)
        if not 1 <= n <= 10_000:
            raise ProjectError(f"{path}: numClasses {n} must be from 1 to 10000")
        return {"kind": "classify", "name": _field(o, "name", path), "classes": n,
                "probabilities": _field(o, "isSendingDistribution", path, bool, False)}
    if kind == "OSCNumericOutput":
        return {"kind": "regress", "name": _field(o, "name", path), "min": _field(o, "min", path, float, 0.0),
                "max": _field(o, "max", path, float, 1.0), "type": _field(o, "outputType", path, str, "REAL"),
                "limit": _field(o, "limitType", path, str, "SOFT")}
    if kind == "OSCDtwOutput":
        n = _field(o, "numGestures", path, int)
        if not 1 <= n <= 1000:
            raise ProjectError(f"{path}: numGestures {n} must be from 1 to 1000")
        messages = _strings(o, "gestureOscMessages") or [f"/output_{i + 1}" for i in range(n)]
        if len(messages) != n:
            raise ProjectError(f"{path}: numGestures is {n} but {len(messages)} gesture messages are given")
        return {"kind": "dtw", "name": _field(o, "name", path, str, "outputs-1"), "gestures": n,
                "messages": messages, "gesture_names": _strings(o, "gestureNames")}
    raise ProjectError(f"{path}: unknown output kind <{o.tag}>")


def _read_path(path, output):
    """An output's algorithm, its settings, its inputs and its switches (defaults when the
    project was never saved with a model file for it)."""
    if not path.exists():
        return {"builder": None, "settings": {}, "inputs": None, "record": True, "run": True, "file": str(path),
                "trained": False}
    root = _java_first_string(path)
    if root.tag != "Path":
        raise ProjectError(f"{path}: its settings start with <{root.tag}>, not <Path>")
    mb = root.find("modelBuilder")
    builder = None if mb is None else (mb.get("class") or "").rsplit(".", 1)[-1] or None
    settings = {} if mb is None else {c.tag: (c.text or "").strip() for c in mb if len(c) == 0}
    inputs = _strings(root, "inputNames") or None
    return {"builder": builder, "settings": settings, "inputs": inputs, "file": str(path),
            "trained": _field(root, "modelState", path, str, "NOT_READY") in ("BUILT", "NEEDS_REBUILDING"),
            "record": _field(root, "recordEnabled", path, bool, True),
            "run": _field(root, "runEnabled", path, bool, True)}


def _text_lines(path, limit):
    raw = _read(path, limit)
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise ProjectError(f"{path}: not a text (UTF-8) file") from None


def _read_arff(path, proj):
    """The examples as nodegraph rows: x the inputs, y the outputs (null where Wekinator's is
    missing), t in ms from the first example, take Wekinator's training round."""
    if not path.exists():
        return []
    lines = _text_lines(path, MAX_DATA)
    attributes, data_at = [], None
    for n, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        low = s.lower()
        if low.startswith("@attribute"):
            attributes.append(s)
        elif low.startswith("@data"):
            data_at = n
            break
        elif not low.startswith("@relation"):
            raise ProjectError(f"{path}: line {n}: expected @relation, @attribute or @data, got {s[:40]!r}")
    n_in, outs = len(proj["inputs"]), proj["outputs"]
    if data_at is None:
        raise ProjectError(f"{path}: has no @data line")
    if len(attributes) != META + n_in + len(outs):
        raise ProjectError(f"{path}: has {len(attributes)} attributes; this project's are ID, Time, Training round, "
                           f"{n_in} inputs and {len(outs)} outputs ({META + n_in + len(outs)})")
    rows, first_time = [], None
    # Weka quotes a value (the time) with single quotes and escapes with a backslash
    reader = csv.reader(lines[data_at:], quotechar="'", escapechar="\\", skipinitialspace=True, strict=True)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise ProjectError(f"{path}: line {data_at + reader.line_num}: {e}") from None
        n = data_at + reader.line_num
        if not values or values[0].startswith("%"):
            continue
        if values[0].startswith("{"):
            raise ProjectError(f"{path}: line {n}: sparse ARFF rows are not read (Wekinator writes full rows)")
        values = [v.strip() for v in values]
        if len(values) != len(attributes):
            raise ProjectError(f"{path}: line {n}: {len(values)} values, expected {len(attributes)}")
        if len(rows) >= MAX_EXAMPLES:
            raise ProjectError(f"{path}: more than {MAX_EXAMPLES} examples")
        try:
            x = [float(v) for v in values[META:META + n_in]]
        except ValueError:
            raise ProjectError(f"{path}: line {n}: an input is not a number") from None
        y = [_target(v, o, path, n) for v, o in zip(values[META + n_in:], outs)]
        if all(v is None for v in y):
            continue  # no output recorded it: nothing to learn from
        when = None
        if values[1] not in ("?", ""):
            found = TIME.fullmatch(values[1])
            try:
                *fields, ms = map(int, found.groups())
                when = datetime(*fields, ms * 1000)
            except (AttributeError, ValueError):
                raise ProjectError(f"{path}: line {n}: the time {values[1][:30]!r} is not "
                                   "yyyy/MM/dd HH:mm:ss:SSS") from None
            first_time = first_time or when
        try:
            take = max(1, int(float(values[2]))) if values[2] != "?" else 1
        except ValueError:
            raise ProjectError(f"{path}: line {n}: the training round {values[2][:20]!r} is not a number") from None
        t = 0.0 if when is None else round((when - first_time).total_seconds() * 1000.0, 3)
        rows.append({"x": x, "y": y, "t": max(t, 0.0), "take": take})
    return rows


def _target(v, output, path, n):
    if v == "?":
        return None
    if output["kind"] == "classify":
        try:
            c = int(float(v))
        except ValueError:
            raise ProjectError(f"{path}: line {n}: class {v[:20]!r} is not a number") from None
        if c == 0:
            return None  # Wekinator's "no class"
        if not 1 <= c <= output["classes"]:
            raise ProjectError(f"{path}: line {n}: class {c} is outside 1..{output['classes']} of '{output['name']}'")
        return c
    try:
        return float(v)
    except ValueError:
        raise ProjectError(f"{path}: line {n}: output value {v[:20]!r} is not a number") from None


def _read_dtw(folder, proj):
    """A DTW project's gesture examples (frames) and its settings."""
    path = folder / "current" / "currentData.csv"
    n_in, gestures = len(proj["inputs"]), proj["outputs"][0]["gestures"]
    rows = []
    if path.exists():
        for n, line in enumerate(_text_lines(path, MAX_DATA), 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            try:
                values = [float(v) for v in s.rstrip(",").split(",")]
            except ValueError:
                raise ProjectError(f"{path}: line {n}: a value is not a number") from None
            if len(values) < 2 or int(values[0]) != n_in or not values[1].is_integer():
                raise ProjectError(f"{path}: line {n}: must start with {n_in} (the inputs) and a gesture number")
            g, frames = int(values[1]), values[2:]
            if not 1 <= g <= gestures:
                raise ProjectError(f"{path}: line {n}: gesture {g} is outside 1..{gestures}")
            if not frames or len(frames) % n_in:
                raise ProjectError(f"{path}: line {n}: {len(frames)} values do not make whole frames of {n_in}")
            if len(rows) >= MAX_EXAMPLES:
                raise ProjectError(f"{path}: more than {MAX_EXAMPLES} examples")
            take = len(rows) + 1  # each Wekinator DTW example is one recording
            rows.append({"x": [frames[i:i + n_in] for i in range(0, len(frames), n_in)], "y": g,
                         "t": 0.0, "take": take})
    settings = {}
    path = folder / "current" / "models" / "model1.xml"
    if path.exists():
        root = _xml(path)
        found = root.find("settings")
        if found is not None:
            settings = {c.tag: (c.text or "").strip() for c in found if len(c) == 0}
    return {"examples": rows, "dtw_settings": settings}


# ---- the patch -------------------------------------------------------------------------------

def _ints_setting(settings, name, default, where, notes):
    try:
        return int(float(settings.get(name, default)))
    except ValueError:
        notes.append(f"{where}: {name} {settings[name]!r} is not a number; {default} used")
        return default


def algorithm(kind, path, where, notes):
    """nodegraph's algorithm and params for a Wekinator model builder; what cannot be mapped
    goes into `notes`."""
    b, s = path["builder"], path["settings"]
    if b is None:
        return ("knn", {"k": 1}) if kind == "classify" else ("mlp", {})
    if b == "KNNModelBuilder":
        return "knn", {"k": max(1, _ints_setting(s, "numNeighbors", 1, where, notes))}
    if b == "J48ModelBuilder":
        return "tree", {"depth": 0}
    if b == "DecisionStumpModelBuilder":
        return "tree", {"depth": 1}
    if b == "NaiveBayesModelBuilder":
        return "naive_bayes", {}
    if b == "AdaboostModelBuilder":
        if s.get("baseLearnerType", "DECISION_TREE") != "DECISION_TREE":
            notes.append(f"{where}: AdaBoost on decision stumps becomes AdaBoost on nodegraph's trees")
        return "adaboost", {"trees": max(1, _ints_setting(s, "numRounds", 100, where, notes))}
    if b == "SVMModelBuilder":
        kernel = {"LINEAR": "linear", "RBF": "rbf", "POLYNOMIAL": "poly"}.get(s.get("kernelType", "LINEAR"), "linear")
        params = {"kernel": kernel}
        try:
            params["C"] = float(s.get("complexity", 1.0))
        except ValueError:
            notes.append(f"{where}: SVM complexity {s['complexity']!r} is not a number; 1 used")
        if kernel == "poly":
            params["degree"] = max(1, _ints_setting(s, "polyExponent", 2, where, notes))
            if s.get("polyUseLowerOrder") == "true":
                notes.append(f"{where}: the SVM's 'use lower-order terms' has no nodegraph setting; not carried over")
        if kernel == "rbf" and s.get("rbfGamma", "0.0") not in ("0", "0.0"):
            notes.append(f"{where}: the SVM's RBF gamma {s['rbfGamma']} has no nodegraph setting "
                         "(scikit-learn's 'scale' is used)")
        return "svm", params
    if b == "NeuralNetModelBuilder":
        layers = max(1, min(5, _ints_setting(s, "numHiddenLayers", 1, where, notes)))
        units = 0 if s.get("hiddenLayerType", "NUM_FEATURES") == "NUM_FEATURES" else \
            max(1, _ints_setting(s, "numNodesPerHiddenLayer", 1, where, notes))
        return "mlp", {"hidden_layers": layers, "hidden_units": units, "activation": "logistic"}
    if b == "LinearRegressionModelBuilder":
        degree = _ints_setting(s, "exponent", 1, where, notes)
        if s.get("featureSelectionType", "NONE") not in ("NONE", "NO_SELECTION") or s.get("removeColinear") == "true":
            notes.append(f"{where}: linear regression's feature selection and colinear removal have no nodegraph "
                         "setting; every input is used")
        return ("linear", {}) if degree <= 1 else ("polynomial", {"degree": min(degree, 6)})
    fallback = ("knn", {"k": 1}) if kind == "classify" else ("mlp", {})
    notes.append(f"{where}: Wekinator's {b} has no nodegraph algorithm; {fallback[0]} used instead")
    return fallback


def _numbers_text(flags):
    return "all" if all(flags) else " ".join(str(i + 1) for i, f in enumerate(flags) if f) or "none"


def _set_ports(doc, proj):
    for node in doc["nodes"].values():
        p = node["params"]
        if node["type"] == "osc.in":
            p["port"] = proj["port"]
            if p["address"] == "/wek/inputs":
                p["address"] = proj["input_address"]
        elif node["type"] == "osc.out":
            p["host"] = proj["host"]
            if p["address"] == "/wek/outputs/bundle":
                continue  # Wekinator sends the bundle's reply to port 12001 whatever the project says
            p["port"] = proj["output_port"]
            if p["address"] == "/wek/outputs":
                p["address"] = proj["output_address"]


def _fan_out(doc, template, n, rename):
    """Node `template` ("x_1") copied to x_1..x_n (`rename(params, i)` adjusts each), with its
    links copied, where its number appears in a port name, with that number changed."""
    base = template.rsplit("_", 1)[0]
    old = [k for k in doc["nodes"] if re.fullmatch(re.escape(base) + r"_\d+", k)]
    proto, links = doc["nodes"][template], [l for l in doc["links"] if template in (l[0], l[2])]
    x, y = proto["pos"]
    step = 155
    for k in old:
        del doc["nodes"][k]
    doc["links"] = [l for l in doc["links"] if l[0] not in old and l[2] not in old]
    for i in range(1, n + 1):
        nid = f"{base}_{i}"
        node = copy.deepcopy(proto)
        node["pos"] = [x, y + (i - 1) * step]
        rename(node["params"], i)
        doc["nodes"][nid] = node
        for a, ao, b, bi in links:
            a, b = (nid if a == template else a), (nid if b == template else b)
            ao = str(i) if ao == "1" else ao
            doc["links"].append([a, ao, b, bi])


def _template(name):
    path = Path(paths.EXAMPLES) / name
    if not path.is_file():  # the patches folder ships with the source, not inside the package
        raise ProjectError(f"{path}: missing; the importer builds on the Wekinator patches of a source checkout "
                           "(pip install -e .)")
    return json.loads(path.read_text())


def build_patch(proj) -> tuple[dict, list[str]]:
    """(the patch document, lines saying what could not be carried over)."""
    notes = []
    outs, n_out = proj["outputs"], len(proj["outputs"])
    kind = proj["kind"]
    if kind == "dtw":
        return _gesture_patch(proj, notes), notes
    name = "wekinator-classifier-3.json" if kind == "classify" and n_out > 1 else \
        "wekinator-classifier.json" if kind == "classify" else "wekinator-regression.json"
    doc = _template(name)
    _set_ports(doc, proj)
    learner_id = "classifier" if kind == "classify" else "regressor"
    learner = doc["nodes"][learner_id]
    p = learner["params"]

    chosen = []
    for i, (o, path) in enumerate(zip(outs, proj["paths"])):
        chosen.append(algorithm(kind, path, f"output {i + 1} ('{o['name']}')", notes))
    algo, settings = chosen[0]
    for i, other in enumerate(chosen[1:], 2):
        if other != chosen[0]:
            notes.append(f"output {i} ('{outs[i - 1]['name']}'): its {other[0]} {_short(other[1])} becomes output 1's "
                         f"{algo} {_short(settings)} (one nodegraph learner uses one algorithm for every output)")
    p["algorithm"] = algo
    p.update(settings)
    p["outputs"] = n_out
    if kind == "classify":
        counts = [o["classes"] for o in outs]
        p["classes"] = max(counts)
        if len(set(counts)) > 1:
            notes.append(f"the outputs have {', '.join(map(str, counts))} classes; nodegraph's classifier takes one "
                         f"number for all, so each accepts classes 1 to {max(counts)}")
        p["send_probabilities"] = any(o["probabilities"] for o in outs)
        if p["send_probabilities"] and not all(o["probabilities"] for o in outs):
            notes.append("class probabilities are sent for every output "
                         "(Wekinator sends them only for the ticked ones)")
        doc["nodes"]["first_classes"]["params"]["value"] = [1] * n_out if n_out > 1 else 1

        def address(params, i):
            params["address"] = "/" + outs[i - 1]["name"].lstrip("/")  # Wekinator sends them as /<output name>

        _fan_out(doc, "probabilities_1", n_out, address)
        if n_out > 1:
            doc["nodes"]["which_output"]["params"]["keys"] = " ".join(str(i + 1) for i in range(n_out))
    else:
        for i, o in enumerate(outs, 1):
            lost = [w for w, on in (("whole numbers", o["type"] == "INTEGER"),
                                    (f"hard limits {o['min']:g} to {o['max']:g}", o["limit"] == "HARD")) if on]
            if lost:
                notes.append(f"output {i} ('{o['name']}'): Wekinator's {' and '.join(lost)} are not applied; "
                             "the values go out as the model gives them (ml.regress's `limit` keeps them within "
                             "the range its examples taught)")
    selections = []
    for i, path in enumerate(proj["paths"]):
        names = path["inputs"]
        if names is None or names == proj["inputs"]:
            selections.append("all")
            continue
        unknown = [nm for nm in names if nm not in proj["inputs"]]
        if unknown:
            raise ProjectError(f"{path['file']}: input '{unknown[0]}' is not one of the project's inputs")
        selections.append(" ".join(str(proj["inputs"].index(nm) + 1) for nm in names))
    p["inputs_for"] = "all" if all(s == "all" for s in selections) else "; ".join(selections)
    p["record_outputs"] = _numbers_text([path["record"] for path in proj["paths"]])
    p["run_outputs"] = _numbers_text([path["run"] for path in proj["paths"]])
    for which in ("record_outputs", "run_outputs"):
        if p[which] == "none":
            notes.append(f"every output has its {which[:-8]} switch off in Wekinator; here all are on")
            p[which] = "all"
    examples = []
    for ex in proj["examples"]:
        y = ex["y"] if n_out > 1 or kind == "regress" else ex["y"][0]
        examples.append(dict(ex, y=y))
    learner["state"] = {"examples": examples, "take": max((ex["take"] for ex in examples), default=0)}
    _describe(doc, proj, kind)
    if examples and all(path["trained"] for path in proj["paths"]):
        # Wekinator opens a trained project running; its models are Java objects, never read,
        # so the patch records a model of every example, refitted when it opens
        one = copy.deepcopy(dict(doc, nodes={learner_id: dict(learner, state={"examples": examples[:1]})}, links=[]))
        node = _built(one).node(learner_id)  # the spec needs the node's params, not its examples
        learner["state"]["model"] = {"examples": len(examples), "spec": node.spec()}
        notes.append(f"{len(examples)} examples imported; the trained models are refitted from them when the patch "
                     "opens (Wekinator's own model files are Java objects and are not read)")
    elif examples:
        notes.append(f"{len(examples)} examples imported; the project had no trained models: send train to fit them")
    return doc, notes


def _built(doc):
    from . import patchfile

    return patchfile.build(patchfile.check_doc(json.loads(json.dumps(doc)), "the imported patch"),
                           source="the imported patch")


def _short(settings):
    return "(" + ", ".join(f"{k} {v}" for k, v in settings.items()) + ")" if settings else ""


def _describe(doc, proj, kind):
    what = {"classify": "classifier", "regress": "continuous", "dtw": "gesture (DTW)"}[kind]
    doc["comments"][0]["text"] = (
        f"Imported from the Wekinator project '{proj['name']}' ({proj['folder']}): {len(proj['outputs'])} {what} "
        f"output(s); inputs {', '.join(proj['inputs'])} on {proj['input_address']} port {proj['port']}; outputs "
        f"{', '.join(o['name'] for o in proj['outputs'])} to {proj['host']}:{proj['output_port']}.")
    for c in doc["comments"][1:]:  # the template's words about its own sizes and names
        if kind == "classify":
            c["text"] = re.sub(r"`classes` \d+", f"`classes` {max(o['classes'] for o in proj['outputs'])}", c["text"])
            c["text"] = c["text"].replace("as /outputs-1...", "as /" + ", /".join(o["name"] for o in proj["outputs"]))
        if kind == "dtw":
            g = proj["outputs"][0]["gestures"]
            c["text"] = c["text"].replace("(1..5)", f"(1..{g})").replace("0, 6,", f"0, {g + 1},")
            if c["text"].startswith("Dynamic time warping with Wekinator's defaults"):
                p = doc["nodes"]["gestures"]["params"]
                c["text"] = (f"Dynamic time warping with the project's settings: examples downsampled to "
                             f"{p['max_length'] or 'all their'} frames, candidates of at least {p['min_length']}, "
                             f"match width {p['match_width']}, a match below distance {p['threshold']:g}.")


def _gesture_patch(proj, notes):
    doc = _template("wekinator-gesture.json")
    _set_ports(doc, proj)
    out = proj["outputs"][0]
    g = out["gestures"]
    keys = " ".join(str(i) for i in range(1, g + 1))
    node = doc["nodes"]["gestures"]
    node["params"]["classes"] = keys
    for sel in ("gesture_number", "which"):
        doc["nodes"][sel]["params"]["keys"] = keys
    bad = doc["nodes"]["bad_gesture"]["params"]
    bad["prefix"] = bad["prefix"].replace("from 1 to 5", f"from 1 to {g}")

    def address(params, i):
        params["address"] = out["messages"][i - 1]

    def value(params, i):
        params["value"] = i

    _fan_out(doc, "output_1", g, address)
    _fan_out(doc, "gesture_1", g, value)
    s, where = proj["dtw_settings"], "the DTW settings"
    p = node["params"]
    p["match_width"] = max(0, _ints_setting(s, "matchWidth", 5, where, notes))
    p["min_length"] = max(1, _ints_setting(s, "minAllowedGestureLength", 5, where, notes))
    policy = s.get("downsamplePolicy", "DOWNSAMPLE_TO_MAX_LENGTH")
    if policy == "NO_DOWNSAMPLING":
        p["max_length"] = 0
    else:
        p["max_length"] = max(1, _ints_setting(s, "downsampleMaxLength", 10, where, notes))
        if policy == "DOWNSAMPLE_BY_CONSTANT_FACTOR":
            notes.append(f"{where}: downsampling by a constant factor becomes downsampling to at most "
                         f"{p['max_length']} frames")
    if s.get("minimumLengthRestriction", "SET_CONSTANT") != "SET_CONSTANT":
        notes.append(f"{where}: a minimum length set from the examples becomes {p['min_length']} frames")
    if s.get("runningType", "LABEL_CONTINUOUSLY") != "LABEL_CONTINUOUSLY":
        notes.append(f"{where}: 'label once per record' is not carried over; it labels continuously")
    if s.get("hopSizeForContinuousSearch", "1") not in ("1", ""):
        notes.append(f"{where}: a hop size of {s['hopSizeForContinuousSearch']} is not carried over; "
                     "every frame is compared")
    notes.append(f"{where}: Wekinator's match threshold is on its own scale; the patch's threshold stays "
                 f"{p['threshold']:g}: tune it on the gestures")
    examples = proj["examples"]
    node["state"] = {"examples": examples, "take": len(examples)}
    _describe(doc, proj, "dtw")
    return doc


def import_project(path, output, replace=False) -> list[str]:
    """Read the project at `path`, write the patch to `output`; the notes on what differs."""
    from . import patchfile

    if os.path.lexists(output) and not replace:
        raise ProjectError(f"{output}: already exists (--force replaces it)")
    doc, notes = build_patch(read_project(path))
    _built(doc)  # checked as `nodegraph check` would: a patch that cannot be opened is never written
    try:
        patchfile.write(output, doc)
    except OSError as e:
        raise ProjectError(f"{output}: cannot be written ({e.strerror or e})") from None
    return notes
