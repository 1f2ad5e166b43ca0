"""Make the shipped Wekinator abstractions (nodegraph/library) from the example patches.

The patches stay the reference (their tests drive them as a Wekinator client would);
this turns each into a box: its OSC ports and project size become arguments, and a
`features` inlet and the learner's result as an outlet let a patch use it locally too.
Run again after changing a patch: python3 scripts/library-from-patches.py
"""
import copy
from pathlib import Path

from nodegraph import patchfile

ROOT = Path(__file__).resolve().parent.parent
PORT = {"name": "port", "default": 6448, "help": "the UDP port /wek/inputs and /wekinator/control/* arrive on"}
OUT_PORT = {"name": "out_port", "default": 12000, "help": "the UDP port the outputs are sent to"}
OUT_HOST = {"name": "out_host", "default": "127.0.0.1", "help": "the computer the outputs are sent to"}

# patch -> (box, [arguments], {node: {param: "$n"}} beyond the OSC ports, inlet target, [(outlet name, source)])
BOXES = {
    "wekinator-classifier": ("wekinator.classifier",
                             [PORT, OUT_PORT, {"name": "classes", "default": 3,
                                               "help": "the project's number of classes (1 to N)"}, OUT_HOST],
                             {"classifier": {"classes": "$3"}},
                             ("classifier", "features"), [("class", "classifier", "number", "float")]),
    "wekinator-regression": ("wekinator.regression",
                             [PORT, OUT_PORT, {"name": "outputs", "default": 2,
                                               "help": "the project's number of outputs"}, OUT_HOST],
                             {"regressor": {"outputs": "$3"}},
                             ("regressor", "features"), [("values", "regressor", "values", "vector")]),
    "wekinator-gesture": ("wekinator.gesture", [PORT, OUT_PORT, OUT_HOST], {},
                          ("gestures", "features"), [("gesture", "gestures", "label", "label"),
                                                     ("distances", "gestures", "distances", "vector")]),
}


def make(patch, box, args, settings, inlet, outlets):
    doc = copy.deepcopy(patchfile.read(ROOT / "patches" / f"{patch}.json"))
    out_host = f"${[a['name'] for a in args].index('out_host') + 1}"
    for node_id, node in doc["nodes"].items():
        params = node.get("params", {})
        if node["type"] == "osc.in":
            params["port"] = "$1"
        elif node["type"] == "osc.out":
            if params.get("port", OUT_PORT["default"]) == OUT_PORT["default"]:  # a second port (bundles) stays
                params["port"] = "$2"
            params["host"] = out_host
        params.update(settings.get(node_id, {}))
    xs = [n["pos"][0] for n in doc["nodes"].values()]
    ys = [n["pos"][1] for n in doc["nodes"].values()]
    doc["nodes"]["features"] = {"type": "inlet", "params": {"name": "features", "type": "vector"},
                                "pos": [min(xs), min(ys) - 80]}
    doc["links"].append(["features", "out", *inlet])
    for i, (name, src, outlet, port_type) in enumerate(outlets):
        doc["nodes"][name] = {"type": "outlet", "params": {"name": name, "type": port_type},
                              "pos": [max(xs) + 230 + 10 * i, min(ys) + 120 * i]}
        doc["links"].append([src, outlet, name, "in"])
    names = " ".join(a["name"] for a in args)
    doc["comments"].insert(0, {"pos": [min(xs), min(ys) - 160], "text":
                               f"The box [{box} {names}]: this patch, with its ports and settings as the "
                               f"box's arguments. Wire features into its inlet to teach it from this patch too."})
    doc["meta"] = {"args": args, "view": doc.get("meta", {}).get("view", {})}
    doc["links"].sort()
    patchfile.check_doc(doc, box)
    (ROOT / "nodegraph" / "library" / f"{box}.json").write_text(patchfile.dumps(doc), encoding="utf-8")


if __name__ == "__main__":
    for patch, spec in BOXES.items():
        make(patch, *spec)
