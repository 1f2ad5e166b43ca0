"""Make the README's editor screenshots: python docs/screenshots/make.py [NAME ...]

Each teaching patch (TEACHING) is opened in a 1280x800 editor window (at the zoom
it was saved with, which fits that window), played the way a person would play it
(classes drawn as areas on the xy pad with the real pointer, a circle drawn and
named, the iris file replayed, the Wekinator patches driven over real OSC by a
Wekinator-style client), and written as NAME.png.
"teach" builds a small teach-by-example patch through the editor's own gestures
and writes editor.png, object-box.png, refused-link.png and the patch as
teach-by-example.json. Without names, all of them.

Every shot runs in a fresh process (one Dear PyGui context each) on a private
Xvfb. PNGs are written as RGB with per-row filters (smaller than the frame
buffer's own PNG); one that would exceed LIMIT bytes keeps fewer levels per
channel, and only then is scaled down.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, ROOT)

from nodegraph import BANG  # noqa: E402
from nodegraph.editor import xdisplay  # noqa: E402

SIZE = (1280, 760)  # the teach-by-example shots
LIMIT = 400_000  # bytes per PNG
C = "/wekinator/control/"


# ---- writing a PNG ---------------------------------------------------------------------------

def png_bytes(rgb):
    """An 8-bit RGB PNG of `rgb` (h, w, 3) uint8; each row with the filter that suits it best."""
    h, w, _ = rgb.shape
    x = rgb.astype(np.int16)
    left = np.zeros_like(x)
    left[:, 1:] = x[:, :-1]
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    corner = np.zeros_like(x)
    corner[1:, 1:] = x[:-1, :-1]
    p = left + up - corner
    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - corner)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, corner))
    filtered = np.stack([(f % 256).astype(np.uint8) for f in (x, x - left, x - up, x - (left + up) // 2, x - paeth)])
    cost = np.abs(filtered.astype(np.int8).astype(np.int32)).reshape(5, h, -1).sum(axis=2)
    best = cost.argmin(axis=0)
    rows = filtered[best, np.arange(h)].reshape(h, -1)
    raw = np.concatenate([best.astype(np.uint8)[:, None], rows], axis=1).tobytes()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def levels(rgb, bits):
    """`rgb` with `bits` significant bits per channel (repeated into the low bits: white stays white)."""
    if bits >= 8:
        return rgb
    q = (rgb >> (8 - bits)) << (8 - bits)
    return q | (q >> bits)


def scaled(rgb, factor):
    """`rgb` resized by `factor` (< 1), each output pixel the mean of the input pixels it covers."""
    h, w, _ = rgb.shape
    nh, nw = max(1, int(h * factor)), max(1, int(w * factor))
    ys = np.linspace(0, h, nh + 1).astype(int)
    xs = np.linspace(0, w, nw + 1).astype(int)
    acc = np.add.reduceat(np.add.reduceat(rgb.astype(np.float64), ys[:-1], axis=0), xs[:-1], axis=1)
    counts = np.outer(np.diff(ys), np.diff(xs))[..., None]
    return np.clip(np.rint(acc / counts), 0, 255).astype(np.uint8)


def capture(editor, name):
    """The next frame, as NAME.png next to this file (smaller than LIMIT)."""
    import dearpygui.dearpygui as dpg
    got = {}

    def take(sender, buffer):
        got["pixels"] = np.array(np.frombuffer(buffer, dtype=np.float32))  # a copy: the buffer goes away

    editor.run_for(0.2)
    dpg.output_frame_buffer(callback=take)
    for _ in range(6):
        editor.frame()
        if "pixels" in got:
            break
    w = dpg.get_viewport_width()
    pixels = got["pixels"]
    rgb = np.clip(np.rint(pixels.reshape(-1, w, 4)[..., :3] * 255), 0, 255).astype(np.uint8)
    data, factor, bits = png_bytes(rgb), 1.0, 8
    while len(data) > LIMIT and bits > 5:  # fewer levels per channel first: the eye sees no change
        bits -= 1
        data = png_bytes(levels(rgb, bits))
    while len(data) > LIMIT:  # then fewer pixels
        factor *= 0.85
        data = png_bytes(levels(scaled(rgb, factor), bits))
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {path}: {rgb.shape[1]}x{rgb.shape[0]}" + (f" scaled by {factor:.2f}" if factor < 1 else "")
          + (f", {bits} bits a channel" if bits < 8 else "") + f", {len(data) // 1000} KB")


def wait(editor, cond, seconds=30, what="a condition"):
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        editor.run_for(0.05)


# ---- playing the teaching patches --------------------------------------------------------------

def draw(editor, node_id, points, pause=0.02):
    """Draw a stroke on an xy pad with the real pointer (xdotool): press at the first
    point, move through the others, let go. Points are on the pad, 0..1, y up."""
    import threading
    pad = editor.canvas.views[node_id].pad
    screen = [pad.screen_of(u, v) for u, v in points]

    def xdo(*args):
        subprocess.run(["xdotool", *map(str, args)], check=True)

    def go():
        xdo("mousemove", *map(round, screen[0]))
        time.sleep(0.08)
        xdo("mousedown", 1)
        for x, y in screen[1:]:
            xdo("mousemove", round(x), round(y))
            time.sleep(pause)
        xdo("mouseup", 1)
    worker = threading.Thread(target=go)
    worker.start()
    while worker.is_alive():
        editor.frame()
        time.sleep(0.002)
    editor.run_for(0.1)


def plotted(editor, node_id):
    return lambda: editor.rt.graph.nodes[node_id].view().get("grid") is not None


def idle(editor, node_id):
    node = editor.rt.graph.nodes[node_id]
    return lambda: node._job is None and node._refit is None


def hello(ed):
    for v in np.linspace(0.5, 0.7, 8):
        ed.set_param("slider", "value", float(v))
        ed.run_for(0.04)


def mouse_classifier(ed):
    """Taught again from scratch: each class scribbled over its own area of the pad."""
    node = ed.rt.graph.nodes["classifier"]
    ed.rt.send("classifier", "clear", BANG)
    for label, (cx, cy) in ((1, (0.22, 0.25)), (2, (0.75, 0.3)), (3, (0.5, 0.78))):
        ed.set_param("class", "value", float(label))
        ed.rt.send("classifier", "record", True)
        draw(ed, "pad", [(cx + 0.13 * np.cos(1.7 * i), cy + 0.12 * np.sin(1.3 * i)) for i in range(40)], 0.03)
        ed.rt.send("classifier", "record", False)
    ed.rt.send("classifier", "train", BANG)
    wait(ed, lambda: node._predictor is not None and node._job is None, 60, "training")
    wait(ed, plotted(ed, "plot"), what="the regions")
    t = np.linspace(0, 1, 30)
    draw(ed, "pad", np.column_stack([0.2 + 0.35 * t, 0.25 + 0.5 * t]))  # from area 1 into area 3
    return "classifier"


def xy_to_synth(ed):
    wait(ed, idle(ed, "mapper"), 60, "the model to be restored")
    wait(ed, plotted(ed, "plot"), what="the output surface")
    t = np.linspace(0, 1, 20)
    draw(ed, "pad", np.column_stack([0.5 - 0.2 * t, 0.5 + 0.2 * t]))


def gesture(ed):
    """A circle drawn on the pad, as the taught ones: ml.gesture names it."""
    a = np.linspace(0, 2 * np.pi, 41)
    draw(ed, "pad", np.column_stack([0.41 + 0.2 * np.cos(a), 0.40 + 0.2 * np.sin(a)]))
    wait(ed, lambda: ed.rt.graph.nodes["gestures"].last.get("label") == "circle", 10, "the circle to be named")
    ed.run_for(0.3)
    return "gestures"


def iris(ed):
    wait(ed, plotted(ed, "plot"), what="the regions")
    ed.rt.send("play", "play", BANG)
    ed.run_for(2.1)  # 100 of the 150 flowers, a new one every 20 ms
    ed.rt.send("play", "stop", BANG)


def metro_count(ed):
    ed.run_for(1.2)  # a few counts in the console


def midi_mapping(ed):
    wait(ed, idle(ed, "mapping"), 60, "the model to be restored")
    ed.run_for(0.3)
    return "mapping"


def cafeteria(ed):
    ed.run_for(12.0)  # sixty meals: the weights settle near the true prices


class Wekinator:
    """A Wekinator-style client: OSC over real UDP to the patch's osc.in port."""

    def __init__(self, ed):
        from pythonosc.osc_message_builder import OscMessageBuilder
        self.builder = OscMessageBuilder
        self.ed = ed
        node = next(n for n in ed.rt.graph.nodes.values() if n.type_id == "osc.in")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.dest = ("127.0.0.1", node.params["port"])

    def send(self, address, *args):
        b = self.builder(address)
        for a in args:
            b.add_arg(a)
        self.sock.sendto(b.build().dgram, self.dest)
        self.ed.run_for(0.01)

    def inputs(self, values):
        self.send("/wek/inputs", *[float(v) for v in values])


def wekinator_classifier(ed):
    client, rng = Wekinator(ed), np.random.default_rng(0)
    for cls, centre in ((1, [0.15, 0.2, 0.1]), (2, [0.85, 0.8, 0.9]), (3, [0.5, 0.9, 0.2])):
        client.send(C + "outputs", float(cls))
        client.send(C + "startRecording")
        for _ in range(15):
            client.inputs(rng.normal(centre, 0.04))
        client.send(C + "stopRecording")
    client.send(C + "train")
    node = ed.rt.graph.nodes["classifier"]
    wait(ed, lambda: node._predictor is not None and node._job is None, 60, "training")
    client.send(C + "startRunning")
    for v in np.linspace([0.2, 0.3, 0.2], [0.8, 0.8, 0.85], 10):
        client.inputs(v)
    ed.run_for(0.3)
    return "classifier"


def wekinator_classifier_3(ed):
    client, rng = Wekinator(ed), np.random.default_rng(0)
    poses = {(0.15, 0.2): (1.0, 2.0, 3.0), (0.85, 0.2): (2.0, 2.0, 1.0), (0.5, 0.9): (3.0, 1.0, 1.0)}
    for centre, classes in poses.items():
        client.send(C + "outputs", *classes)
        client.send(C + "startRecording")
        for _ in range(12):
            client.inputs(rng.normal(centre, 0.04))
        client.send(C + "stopRecording")
    client.send(C + "train")
    node = ed.rt.graph.nodes["classifier"]
    wait(ed, lambda: node._predictor is not None and node._job is None, 60, "training")
    client.send(C + "startRunning")
    for v in np.linspace([0.2, 0.25], [0.8, 0.3], 10):
        client.inputs(v)
    ed.run_for(0.3)
    return "classifier"


def wekinator_regression(ed):
    client, rng = Wekinator(ed), np.random.default_rng(1)
    for target, centre in (([0.0, 1.0], 0.2), ([1.0, 0.0], 0.8), ([0.5, 0.5], 0.5)):
        client.send(C + "outputs", *target)
        client.send(C + "startRecording")
        for _ in range(12):
            client.inputs(rng.normal([centre, centre], 0.03))
        client.send(C + "stopRecording")
    client.send(C + "train")
    node = ed.rt.graph.nodes["regressor"]
    wait(ed, lambda: node._predictor is not None and node._job is None, 120, "training")
    client.send(C + "startRunning")
    for v in np.linspace(0.2, 0.65, 10):
        client.inputs([v, v])
    ed.run_for(0.3)
    return "regressor"


def _shape(name, t):
    if name == "circle":
        return np.column_stack([0.5 + 0.3 * np.cos(2 * np.pi * t), 0.5 + 0.3 * np.sin(2 * np.pi * t)])
    return np.column_stack([0.1 + 0.8 * t, 0.5 + 0.05 * np.sin(np.pi * t)])  # a swipe


def wekinator_gesture(ed):
    client, rng = Wekinator(ed), np.random.default_rng(2)
    for n, name in ((1, "circle"), (2, "swipe"), (1, "circle"), (2, "swipe")):
        client.send(C + "startDtwRecording", n)
        for f in _shape(name, np.linspace(0, 1, 40)) + rng.normal(0, 0.005, (40, 2)):
            client.inputs(f)
        client.send(C + "stopDtwRecording")
    client.send(C + "startRunning")
    for f in _shape("circle", np.linspace(0, 1, 46)) + rng.normal(0, 0.005, (46, 2)):
        client.inputs(f)
    ed.run_for(0.3)
    return "gestures"


TEACHING = {"hello": hello, "mouse-classifier": mouse_classifier, "xy-to-synth": xy_to_synth,
            "gesture": gesture, "iris": iris, "cafeteria": cafeteria, "metro-count": metro_count,
            "midi-mapping": midi_mapping,
            "wekinator-classifier": wekinator_classifier, "wekinator-classifier-3": wekinator_classifier_3,
            "wekinator-regression": wekinator_regression,
            "wekinator-gesture": wekinator_gesture}


def teaching_shot(name):
    from nodegraph.editor import app
    ed = app.Editor(1280, 800)
    ed.fast = True
    try:
        if not ed.open_now(os.path.join(ROOT, "patches", f"{name}.json")):
            raise RuntimeError(ed.last_error)
        ed.run_for(0.5)
        selected = TEACHING[name](ed)
        if selected:
            ed.select(selected)
        ed.say(f"opened patches/{name}.json", "ok")
        capture(ed, f"{name}.png")
    finally:
        ed.close()


# ---- the teach-by-example shots -----------------------------------------------------------------

def build(ed):
    name = ed.add_node("value", {"value": "open"}, (40, 90))
    pad = ed.add_node("xy", {"init": True}, (40, 240))
    learn = ed.add_node("ml.classify", {}, (330, 90))
    show = ed.add_node("display", {}, (660, 90))
    plot = ed.add_node("plot.dataset", {}, (660, 210))
    ed.run_frames(3)
    link = ed.canvas._on_link
    link(ed.canvas.tag, ed.canvas.link_between(pad, "xy", learn, "features"))
    link(ed.canvas.tag, ed.canvas.link_between(name, "out", learn, "label"))
    link(ed.canvas.tag, ed.canvas.link_between(learn, "label", show, "in"))
    link(ed.canvas.tag, ed.canvas.link_between(learn, "model", plot, "model"))
    link(ed.canvas.tag, ed.canvas.link_between(pad, "xy", plot, "features"))
    from nodegraph import AddComment
    ed.try_do(AddComment("Teach by example: 1. pick a point and a class name, tick record.  "
                         "2. Press train.  3. Tick run: the display names the class of each new point.", (40, 0)))
    # record two classes, as a person would with the pad and the record box
    rt = ed.rt
    for label, centre in (("open", (0.2, 0.25)), ("closed", (0.8, 0.7))):
        rt.send(name, "set", label)
        rt.send(learn, "label", label)
        rt.send(learn, "record", True)
        for dx, dy in ((0, 0), (0.05, 0), (0, 0.05), (-0.04, 0.03), (0.03, -0.05)):
            rt.send(learn, "features", [centre[0] + dx, centre[1] + dy])
        rt.send(learn, "record", False)
    rt.send(learn, "train", BANG)
    node = rt.graph.nodes[learn]
    wait(ed, lambda: node.info().get("model") is not None and node._job is None, 30, "training and its score")
    rt.send(learn, "run", True)
    ed.set_param(pad, "value", [0.75, 0.72])
    ed.run_for(0.5)
    return learn


def teach_shots():
    from nodegraph.editor.app import Editor, fit_shot, write_png
    ed = Editor(*SIZE)
    ed.fast = True
    try:
        learn = build(ed)
        ed.select(learn)
        ed.run_for(0.3)
        fit_shot(ed)
        write_png(ed, os.path.join(HERE, "editor.png"))
        ed.rt.save(os.path.join(HERE, "teach-by-example.json"))

        ed.select(None)
        ed.open_object_box((520, 420), ed.canvas.to_grid((520, 420)))
        ed.objectbox.type_text("sm")
        ed.run_for(0.3)
        write_png(ed, os.path.join(HERE, "object-box.png"))
        ed.objectbox.close()

        # a link whose types do not fit: the note appears at the mouse
        pad = next(n for n in ed.rt.graph.nodes if n.startswith("xy"))
        x, y = ed.canvas.pin_screen(learn, "in", "label")
        subprocess.run(["xdotool", "mousemove", str(x), str(y)], check=False)
        ed.run_frames(3)
        ed.canvas._on_link(ed.canvas.tag, ed.canvas.link_between(pad, "xy", learn, "label"))
        ed.run_for(0.3)
        write_png(ed, os.path.join(HERE, "refused-link.png"))
    finally:
        ed.close()


def one(name):
    if name == "teach":
        teach_shots()
    else:
        teaching_shot(name)


def all_shots(names):
    failed = []
    for name in names:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", name])
        if proc.returncode:
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    os.environ.setdefault("NODEGRAPH_STATE_DIR", os.path.join("/tmp", "nodegraph-screenshots"))
    if sys.argv[1:2] == ["--one"]:
        one(sys.argv[2])
    else:
        names = sys.argv[1:] or [*TEACHING, "teach"]
        unknown = set(names) - set(TEACHING) - {"teach"}
        if unknown:
            sys.exit(f"unknown: {', '.join(sorted(unknown))} (known: {', '.join(TEACHING)}, teach)")
        jack = None
        if shutil.which("jackd"):  # a sound device (silent) for the patches that play: no red "no sound" in a shot
            sys.path.insert(0, os.path.join(ROOT, "tests"))
            import jack_server
            os.environ["JACK_DEFAULT_SERVER"] = f"shots{os.getpid()}"
            jack = jack_server.start(os.environ["JACK_DEFAULT_SERVER"], "/tmp/nodegraph-screenshots-jack.log")
        try:
            if shutil.which("Xvfb"):  # a screen as large as the largest shot, and no window flashing by
                with xdisplay.PrivateXvfb(2400, 1500):
                    all_shots(names)
            else:
                all_shots(names)
        finally:
            jack_server.stop(jack) if jack is not None else None
