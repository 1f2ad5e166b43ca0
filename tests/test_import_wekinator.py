"""`nodegraph import-wekinator`: a Wekinator project folder, made here by hand in the layout
WekiMini saves (WekinatorSaver: NAME.wekproj, inputConfig.xml, outputConfig.xml as XStream XML,
current/currentData.arff, current/models/model<i>.xml as a Java object stream whose first object
is the Path's XML), turned into a patch that a Wekinator client drives over real UDP."""
import struct
from pathlib import Path

import numpy as np
import pytest

from nodegraph import Runtime, cli, patchfile
from nodegraph.clock import ManualClock

from .test_learners_gesture import perform
from .test_wekinator import C, Client, addresses, free_udp_port, pump, settle

HEADER = '<?xml version="1.0"?>\n'


def strings(tag, values):
    return f"<{tag}>" + "".join(f"<string>{v}</string>" for v in values) + f"</{tag}>"


def java_stream(xml, tail=b""):
    """What Path.writeToFile writes: ObjectOutputStream header, the XML as a string object, then
    (here) `tail` standing for the serialized model, which the importer must never touch."""
    data = xml.encode()
    return b"\xac\xed\x00\x05" + b"\x74" + struct.pack(">H", len(data)) + data + tail


# a serialized Java object (TC_OBJECT, a class descriptor): deserializing this would run code
JAVA_OBJECT = b"\x73\x72\x00\x19weka.classifiers.lazy.IBk" + bytes(range(256))


def classification(name, classes, probabilities=False):
    return (f"<wekimini.osc.OSCClassificationOutput><name>{name}</name><numClasses>{classes}</numClasses>"
            f"<isSendingDistribution>{str(probabilities).lower()}</isSendingDistribution>"
            f"</wekimini.osc.OSCClassificationOutput>")


def numeric(name, lo=0.0, hi=1.0, kind="REAL", limit="SOFT"):
    return (f"<wekimini.osc.OSCNumericOutput><name>{name}</name><min>{lo}</min><max>{hi}</max>"
            f"<outputType>{kind}</outputType><limitType>{limit}</limitType>"
            f"<trainingDataLimitRestriction>DONT_ENFORCE_LIMITS</trainingDataLimitRestriction>"
            f"<trainingDataIntegerRestriction>DONT_ENFORCE_INTEGER</trainingDataIntegerRestriction>"
            f"</wekimini.osc.OSCNumericOutput>")


def make_project(folder, port, client_port, inputs, outputs_xml, builders=(), arff_outputs=(), rows=(),
                 dtw_rows=None, dtw_settings="", model_state="BUILT"):
    """A project folder as WekiMini saves it (the XML as XStream writes it, as in saved projects)."""
    folder = Path(folder)
    (folder / "current" / "models").mkdir(parents=True)
    (folder / "saved").mkdir()
    (folder / "MyProject.wekproj").write_text(
        HEADER + f"<WekinatorFileData><oscReceivePort>{port}</oscReceivePort>"
                 f"<projectName>MyProject</projectName></WekinatorFileData>")
    (folder / "inputConfig.xml").write_text(
        HEADER + f"<OSCInputGroup><oscMessage>/wek/inputs</oscMessage><numInputs>{len(inputs)}</numInputs>"
                 f"<groupName>Inputs</groupName>{strings('inputNames', inputs)}</OSCInputGroup>")
    (folder / "outputConfig.xml").write_text(
        HEADER + f"<OSCOutputGroup><oscMessage>/wek/outputs</oscMessage><hostName>localhost</hostName>"
                 f"<outputPort>{client_port}</outputPort><outputs class=\"linked-list\">{''.join(outputs_xml)}"
                 f"</outputs></OSCOutputGroup>")
    for i, (builder, settings, used) in enumerate(builders):
        tag, body = outputs_xml[i][1:].split(">", 1)
        used_xml = strings("inputNames", used).replace("<inputNames>", '<inputNames class="linked-list">')
        path_xml = (f"<Path>\n  <modelBuilder class=\"wekimini.learning.{builder}\">{settings}</modelBuilder>"
                    f"<output class=\"{tag}\">{body.rsplit('<', 1)[0]}</output>{used_xml}"
                    f"<outputNeedsCorrection>false</outputNeedsCorrection><outputCorrector><isRounding>false"
                    f"</isRounding><hardLimits>false</hardLimits><min>0.0</min><max>0.0</max></outputCorrector>"
                    f"<modelState>{model_state}</modelState><recordEnabled>true</recordEnabled>"
                    f"<runEnabled>true</runEnabled><numExamples>{len(rows)}</numExamples>"
                    f"<currentModelName>m</currentModelName><lastModelState>NOT_READY</lastModelState>"
                    f"<trainingCompleted>true</trainingCompleted></Path>")
        (folder / "current" / "models" / f"model{i}.xml").write_bytes(
            java_stream(path_xml, b"\x74\x00\x1cweka.classifiers.lazy.IBkModel" + JAVA_OBJECT))
    if dtw_rows is not None:
        lines = ["# First field is # dimensions of each datapoint, 2nd is gesture class, ..."]
        for gesture, frames in dtw_rows:
            lines.append(f"{len(inputs)},{gesture}," + "".join(f"{v}," for f in frames for v in f))
        (folder / "current" / "currentData.csv").write_text("\n".join(lines) + "\n")
        (folder / "current" / "models" / "model1.xml").write_text(
            HEADER + f"<DtwModel><settings>{dtw_settings}</settings><numGestures>3</numGestures></DtwModel>")
        return folder
    head = ["@relation dataset", "", "@attribute ID numeric",
            "@attribute Time date 'yyyy/MM/dd HH:mm:ss:SSS'", "@attribute 'Training round' numeric"]
    head += [f"@attribute {name} numeric" for name in inputs]
    head += [f"@attribute {a}" for a in arff_outputs]
    data = [",".join([str(n + 1), f"'2024/05/20 10:11:{12 + n // 1000:02d}:{n % 1000:03d}'", str(take)]
                     + [repr(float(v)) for v in x] + [("?" if v is None else str(v)) for v in y])
            for n, (x, y, take) in enumerate(rows)]
    (folder / "current" / "currentData.arff").write_text("\n".join(head + ["", "@data"] + data) + "\n")
    return folder


def import_and_open(project, out):
    assert cli.main(["import-wekinator", str(project), "-o", str(out)]) == 0
    rt = Runtime.open(out, ManualClock())
    rt.start(thread=False)
    return rt


@pytest.fixture
def ports():
    client = Client(free_udp_port())
    yield client
    client.close()


def run_and_ask(rt, client, points, n_floats, train=True):
    if train:
        client.send(C + "train")
        pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training"))
    client.send(C + "startRunning")
    answers = []
    for p in points:
        seen = len(addresses(client, "/wek/outputs"))
        client.inputs(p)
        pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) > seen)
        address, args, tags = addresses(client, "/wek/outputs")[-1]
        assert tags == "f" * n_floats
        answers.append(args)
    return answers


CENTRES = {(1, 2): (0.1, 0.1), (2, 1): (0.9, 0.1), (3, 2): (0.5, 0.9)}


def test_two_output_classifier_project_answers_its_client_after_train(tmp_path, ports, capsys):
    rng = np.random.default_rng(0)
    rows = []
    for take, ((a, b), centre) in enumerate(CENTRES.items(), 1):
        for _ in range(10):
            rows.append((rng.normal(centre, 0.02), [a, b], take))
    rows.append((rng.normal((0.5, 0.5), 0.02), [None, 1], 4))  # output 1 was not recording: missing there
    project = make_project(
        tmp_path / "MyProject", ports.dest[1], ports.port, ["accel-x", "accel-y"],
        [classification("outputs-1", 3, probabilities=True), classification("outputs-2", 2)],
        builders=[("KNNModelBuilder", "<numNeighbors>3</numNeighbors>", ["accel-x", "accel-y"]),
                  ("KNNModelBuilder", "<numNeighbors>3</numNeighbors>", ["accel-x"])],
        arff_outputs=["outputs-1 {0,1,2,3}", "outputs-2 {0,1,2}"], rows=rows)
    rt = import_and_open(project, tmp_path / "patch.json")
    try:
        node = rt.graph.node("classifier")
        assert node.params["algorithm"] == "knn" and node.params["k"] == 3
        assert node.params["outputs"] == 2 and node.params["classes"] == 3
        assert node.params["inputs_for"] == "all; 1"  # output 2 learns from accel-x only, as selected
        ex = node.state["examples"]
        assert len(ex) == 31 and ex[0]["y"] == [1, 2] and ex[-1]["y"] == [None, 1]
        assert [e["take"] for e in ex[::10]] == [1, 2, 3, 4] and ex[1]["t"] == 1.0  # ms from the first
        answers = run_and_ask(rt, ports, list(CENTRES.values()), 2)
        assert answers == [[1.0, 2.0], [2.0, 1.0], [3.0, 2.0]]
        probs = addresses(ports, "/outputs-1")  # sent as /<output name>, as Wekinator does
        assert probs and len(probs[-1][1]) == 3
    finally:
        rt.close()
    out = capsys.readouterr().out
    assert "refitted from them when the patch opens" in out and "outputs have 3, 2 classes" in out


def test_regression_project_maps_linear_regression_and_answers(tmp_path, ports, capsys):
    rng = np.random.default_rng(1)
    rows = [(x, [round(2 * x[0] + x[1], 6)], 1) for x in rng.uniform(0, 1, size=(30, 2))]
    project = make_project(
        tmp_path / "Reg", ports.dest[1], ports.port, ["x", "y"], [numeric("outputs-1", 0, 3)],
        builders=[("LinearRegressionModelBuilder",
                   "<featureSelectionType>NO_SELECTION</featureSelectionType><exponent>1</exponent>"
                   "<removeColinear>false</removeColinear>", ["x", "y"])],
        arff_outputs=["outputs-1 numeric"], rows=rows)
    rt = import_and_open(project / "MyProject.wekproj", tmp_path / "patch.json")  # the file, not the folder
    try:
        node = rt.graph.node("regressor")
        assert node.params["algorithm"] == "linear" and node.params["outputs"] == 1
        # a trained project opens running, as in Wekinator: no train needed, no done-training sent
        pump(rt, ports, lambda: node._predictor is not None)
        [[v]] = run_and_ask(rt, ports, [(0.5, 0.5)], 1, train=False)
        assert v == pytest.approx(1.5, abs=1e-4)
        assert not addresses(ports, "/wekinator/status/done-training")
        [[v]] = run_and_ask(rt, ports, [(0.25, 0.5)], 1)
        assert v == pytest.approx(1.0, abs=1e-4)
    finally:
        rt.close()


def test_an_untrained_project_waits_for_train(tmp_path, capsys):
    rows = [((0.1 * i, 0.0), [0.2 * i], 1) for i in range(6)]
    project = make_project(tmp_path / "P", 6448, 12000, ["a", "b"], [numeric("outputs-1", 0, 5, "INTEGER", "HARD")],
                           builders=[("NeuralNetModelBuilder", "<numHiddenLayers>1</numHiddenLayers>"
                                      "<hiddenLayerType>NUM_FEATURES</hiddenLayerType>", ["a", "b"])],
                           arff_outputs=["outputs-1 numeric"], rows=rows, model_state="READY_FOR_BUILDING")
    assert cli.main(["import-wekinator", str(project), "-o", str(tmp_path / "p.json")]) == 0
    node = patchfile.read(tmp_path / "p.json")["nodes"]["regressor"]
    assert "model" not in node["state"] and len(node["state"]["examples"]) == 6
    p = node["params"]
    assert (p["algorithm"], p["hidden_layers"], p["hidden_units"]) == ("mlp", 1, 0)
    out = capsys.readouterr().out
    assert "no trained models: send train" in out
    assert "Wekinator's whole numbers and hard limits 0 to 5 are not applied" in out


def test_unmappable_settings_are_said(tmp_path, ports, capsys):
    rows = [((0.1 * i, 0.0), [1 + i % 2], 1) for i in range(6)]
    project = make_project(
        tmp_path / "P", ports.dest[1], ports.port, ["a", "b"], [classification("outputs-1", 2)],
        builders=[("SVMModelBuilder", "<kernelType>RBF</kernelType><polyExponent>2.0</polyExponent>"
                   "<polyUseLowerOrder>false</polyUseLowerOrder><rbfGamma>0.5</rbfGamma>"
                   "<complexity>4.0</complexity>", ["a", "b"])],
        arff_outputs=["outputs-1 {0,1,2}"], rows=rows)
    assert cli.main(["import-wekinator", str(project), "-o", str(tmp_path / "p.json")]) == 0
    doc = patchfile.read(tmp_path / "p.json")
    p = doc["nodes"]["classifier"]["params"]
    assert (p["algorithm"], p["kernel"], p["C"]) == ("svm", "rbf", 4.0)
    assert "RBF gamma 0.5 has no nodegraph setting" in capsys.readouterr().out


def test_dtw_project_becomes_the_gesture_patch_and_matches(tmp_path, ports):
    rng = np.random.default_rng(2)
    names = {1: "circle", 2: "swipe", 3: "drop"}
    dtw_rows = [(g, perform(names[g], rng, noise=0.005).tolist()) for g in (1, 2, 3, 1, 2, 3)]
    project = make_project(
        tmp_path / "Dtw", ports.dest[1], ports.port, ["mouse-x", "mouse-y"],
        ["<wekimini.osc.OSCDtwOutput><name>outputs-1</name><numGestures>3</numGestures>"
         + strings("gestureNames", ["circle", "swipe", "drop"])
         + strings("gestureOscMessages", ["/output_1", "/output_2", "/output_3"])
         + "<outputOscMessage>/wek/outputs</outputOscMessage></wekimini.osc.OSCDtwOutput>"],
        dtw_rows=dtw_rows,
        dtw_settings="<minAllowedGestureLength>5</minAllowedGestureLength><matchWidth>5</matchWidth>"
                     "<runningType>LABEL_CONTINUOUSLY</runningType><downsamplePolicy>DOWNSAMPLE_TO_MAX_LENGTH"
                     "</downsamplePolicy><downsampleMaxLength>10</downsampleMaxLength>")
    rt = import_and_open(project, tmp_path / "patch.json")
    try:
        node = rt.graph.node("gestures")
        assert node.params["classes"] == "1 2 3" and len(node.state["examples"]) == 6
        assert "output_3" in rt.graph.nodes and "output_4" not in rt.graph.nodes
        assert any("(1..3)" in c.text for c in rt.graph.comments.values())
        ports.send(C + "startRunning")
        for number in (1, 2, 3):
            seen = len(ports.received)
            for f in perform(names[number], rng, stretch=1.2, noise=0.005):
                ports.inputs(f)
            settle(rt, ports, 0.3)
            matches = [r for r in ports.received[seen:] if r[0].startswith("/output_")]
            assert matches and matches[-1][0] == f"/output_{number}"
        assert addresses(ports, "/wek/outputs")[-1][2] == "fff"  # one distance per gesture of the project
    finally:
        rt.close()


@pytest.mark.parametrize("spoil, says", [
    (lambda p: (p / "MyProject.wekproj").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<WekinatorFileData><projectName>&e;</projectName></WekinatorFileData>"),
     "MyProject.wekproj: has a DTD or entity declaration"),
    (lambda p: (p / "inputConfig.xml").unlink(), "inputConfig.xml: missing"),
    (lambda p: (p / "outputConfig.xml").write_text((p / "outputConfig.xml").read_text().replace(
        "</outputs>", numeric("outputs-2") + "</outputs>")), "outputConfig.xml: mixes classifier and continuous"),
    (lambda p: (p / "outputConfig.xml").write_text("<OSCOutputGroup><outputs>"), "outputConfig.xml: not valid XML"),
    (lambda p: (p / "current" / "currentData.arff").write_text(
        (p / "current" / "currentData.arff").read_text().replace(",1\n", ",7\n", 1)),
     "currentData.arff: line 11: class 7 is outside 1..2"),
    (lambda p: (p / "current" / "currentData.arff").write_text("@relation x\n@attribute ID numeric\n@data\n1\n"),
     "currentData.arff: has 1 attributes"),
    (lambda p: (p / "current" / "currentData.arff").write_text(
        (p / "current" / "currentData.arff").read_text().replace(":000',", ":000,", 1)),
     "currentData.arff: line"),  # a quote never closed
    (lambda p: (p / "current" / "models" / "model0.xml").write_bytes(JAVA_OBJECT),
     "model0.xml: not a model file Wekinator writes"),
    (lambda p: (p / "current" / "models" / "model0.xml").write_bytes(b"\xac\xed\x00\x05" + JAVA_OBJECT),
     "model0.xml: does not start with the output's settings as text"),
])
def test_a_malformed_project_gives_one_line_and_exit_2(tmp_path, capsys, spoil, says):
    rows = [((0.1 * i, 0.0), [1 + i % 2], 1) for i in range(6)]
    project = make_project(tmp_path / "P", 6448, 12000, ["a", "b"], [classification("outputs-1", 2)],
                           builders=[("KNNModelBuilder", "<numNeighbors>1</numNeighbors>", ["a", "b"])],
                           arff_outputs=["outputs-1 {0,1,2}"], rows=rows)
    spoil(project)
    out = tmp_path / "patch.json"
    assert cli.main(["import-wekinator", str(project), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0] and err[0].startswith("error: ")
    assert not out.exists()  # nothing half-written


def test_not_a_project_and_no_patch_overwritten(tmp_path, capsys):
    assert cli.main(["import-wekinator", str(tmp_path), "-o", str(tmp_path / "p.json")]) == 2
    assert "holds one .wekproj file, this one holds 0" in capsys.readouterr().err
    assert cli.main(["import-wekinator", str(tmp_path / "gone.wekproj"), "-o", str(tmp_path / "p.json")]) == 2
    assert "gone.wekproj: no such file or folder" in capsys.readouterr().err
    project = make_project(tmp_path / "P", 6448, 12000, ["a"], [numeric("outputs-1")],
                           arff_outputs=["outputs-1 numeric"], rows=[((0.5,), [1.0], 1)])
    mine = tmp_path / "mine.json"
    mine.write_text("my own patch")
    assert cli.main(["import-wekinator", str(project), "-o", str(mine)]) == 2
    assert "mine.json: already exists (--force replaces it)" in capsys.readouterr().err
    assert mine.read_text() == "my own patch"
    assert cli.main(["import-wekinator", str(project), "-o", str(tmp_path / "no" / "p.json")]) == 2
    assert "p.json: cannot be written" in capsys.readouterr().err
    assert cli.main(["import-wekinator", str(project), "-o", str(mine), "--force"]) == 0
    node = patchfile.read(mine)["nodes"]["regressor"]  # no model files: Wekinator's defaults
    assert node["params"]["algorithm"] == "mlp" and node["state"]["examples"][0]["y"] == [1.0]


def test_dtw_settings_and_gesture_count_are_carried_over(tmp_path, capsys):
    messages = [f"/gesture_{i}" for i in range(1, 8)]
    project = make_project(
        tmp_path / "Dtw", 6448, 12000, ["x"],
        ["<wekimini.osc.OSCDtwOutput><name>outputs-1</name><numGestures>7</numGestures>"
         + strings("gestureOscMessages", messages) + "</wekimini.osc.OSCDtwOutput>"],
        dtw_rows=[(7, [[0.0], [0.5], [1.0]])],
        dtw_settings="<minAllowedGestureLength>4</minAllowedGestureLength><hopSizeForContinuousSearch>2"
                     "</hopSizeForContinuousSearch><matchWidth>3</matchWidth><runningType>LABEL_ONCE_PER_RECORD"
                     "</runningType><downsamplePolicy>NO_DOWNSAMPLING</downsamplePolicy>")
    assert cli.main(["import-wekinator", str(project), "-o", str(tmp_path / "g.json")]) == 0
    doc = patchfile.read(tmp_path / "g.json")
    g = doc["nodes"]["gestures"]
    assert (g["params"]["max_length"], g["params"]["min_length"], g["params"]["match_width"]) == (0, 4, 3)
    assert g["params"]["classes"] == "1 2 3 4 5 6 7"
    assert g["state"]["examples"] == [{"x": [[0.0], [0.5], [1.0]], "y": 7, "t": 0.0, "take": 1}]
    assert [doc["nodes"][f"output_{i}"]["params"]["address"] for i in range(1, 8)] == messages
    assert "output_8" not in doc["nodes"] and ["which", "7", "output_7", "values"] in doc["links"]
    assert doc["nodes"]["gesture_7"]["params"]["value"] == 7
    assert "from 1 to 7" in doc["nodes"]["bad_gesture"]["params"]["prefix"]
    out = capsys.readouterr().out
    assert "hop size of 2 is not carried over" in out and "'label once per record' is not carried over" in out
