"""The `nodegraph` command: run, check, list and edit patches."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading

from .errors import NodegraphError

EXIT_OK, EXIT_ERROR, EXIT_INVALID = 0, 1, 2


def cmd_run(args):
    from .console import Printer
    from .runtime import Runtime

    stop = threading.Event()
    started = threading.Event()

    def on_signal(*_):
        stop.set()
        if not started.is_set():
            raise KeyboardInterrupt  # still opening or starting: stop there, do not wait for it

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    rt = Runtime()
    folder = os.path.dirname(os.path.abspath(args.patch))
    rt.scheduler.base_dir = folder
    rt.load_doc(_expanded(args.patch), args.patch)  # never saved: the file keeps its boxes
    rt.scheduler.allowed_dirs = [os.path.abspath(d) for d in args.allow_path]  # read by nodegraph.paths
    for problem in _path_problems(rt.graph, rt.scheduler.base_dir, args.allow_path):
        say(f"warning: {problem}", file=sys.stderr)
    printer = None
    if not args.quiet:  # printed from a thread of its own: a closed or unread stdout never stops the patch
        printer = Printer(sys.stdout, format=lambda line: printable(str(line)))
        rt.console.subscribe(printer.put)
    # the console shows node errors (rate-limited); the same lines through logging would double them
    logging.getLogger("nodegraph").setLevel(logging.ERROR)
    try:
        rt.start()
        started.set()
        if rt.start_errors and not args.keep_going:
            # an installation that cannot open its port or device must say so, not sit silent
            for node_id, type_id, message in rt.start_errors:
                say(f"error: node '{node_id}' ({type_id}) cannot start: {message}", file=sys.stderr)
            say("nodegraph: stopped (--keep-going runs the rest of the patch anyway)", file=sys.stderr)
            return EXIT_ERROR
        stop.wait(args.seconds)
    finally:
        started.set()
        rt.close()
        if printer is not None:
            printer.close()
            if printer.dropped:
                try:
                    print(f"nodegraph: {printer.dropped} console lines were not printed "
                          f"(the output was closed or not read)", file=sys.stderr)
                except (OSError, ValueError):
                    pass
    return EXIT_OK


def cmd_check(args):
    from . import patchfile
    from .node import Placeholder

    try:
        graph = patchfile.build(_expanded(args.patch), source=args.patch)
    except NodegraphError:
        raise
    except Exception as e:  # a bug of ours, not the file's fault: still one line, still exit 2
        raise NodegraphError(f"{args.patch}: cannot be checked ({type(e).__name__}: {e})") from None
    unknown = sorted({n.missing_type for n in graph.nodes.values() if isinstance(n, Placeholder)})
    for type_id in unknown:
        say(f"warning: {args.patch}: unknown node type '{type_id}' (kept as a placeholder)", file=sys.stderr)
    problems = _path_problems(graph, os.path.dirname(os.path.abspath(args.patch)), args.allow_path)
    if problems:
        raise NodegraphError(f"{args.patch}: {problems[0]}"
                             + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    say(f"{args.patch}: ok ({len(graph.nodes)} nodes, {len(graph.links)} links)")
    return EXIT_OK


def _expanded(path):
    """The patch as the engine runs it: every subpatch and abstraction box replaced by its inside."""
    from . import abstraction, patchfile

    return abstraction.expand(patchfile.read(path), os.path.dirname(os.path.abspath(path)), source=str(path))


def _path_problems(graph, folder, allowed):
    from . import paths

    return paths.check_graph(graph, [folder, *allowed])


def say(text, file=None):
    """Print a line for a terminal: text from a patch file may hold control characters
    (escape sequences that retitle the window or clear the screen); they are shown escaped."""
    print(printable(text), file=file or sys.stdout, flush=True)


def printable(text) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


class _Printable(logging.Formatter):
    def format(self, record):
        return printable(super().format(record))


def _log_to_terminal():
    """The engine's log lines (node errors) reach stderr escaped, as everything else does,
    instead of through logging's last-resort handler, which writes them raw."""
    logger = logging.getLogger("nodegraph")
    if not any(isinstance(h.formatter, _Printable) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(_Printable("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def cmd_nodes(args):
    from . import glossary, registry
    from .params import range_text

    described = [cls().describe() for cls in registry.all_types().values()]
    if args.type:
        described = [d for d in described if d["type"] in args.type]
        missing = set(args.type) - {d["type"] for d in described}
        if missing:
            raise NodegraphError(f"unknown node type '{sorted(missing)[0]}'")
    if args.json:
        print(json.dumps(described, indent=2))
        return EXIT_OK
    for d in described:
        print(f"{d['type']}  [{d['category']}]")
        for line in d["help"].splitlines():
            print(f"    {line}")
        for kind in ("inlets", "outlets"):
            for p in d[kind]:
                cold = "" if p.get("hot", True) else ", cold"
                print(f"    {kind[:-1]} {p['name']} ({p['type']}{cold}){'  ' + p['help'] if p['help'] else ''}")
        for p in d["params"]:
            allowed = range_text(p)
            extra = f": {allowed}" if allowed else ""
            print(f"    param {p['name']} ({p['kind']}{extra}) = {json.dumps(p['default'])}")
        words = glossary.words_used(*glossary.texts_of(d))
        if words:
            print("    Words used here:")
            for line in words:
                print(f"      {line}")
        print()
    return EXIT_OK


def cmd_render(args):
    """The patch on a clock that runs as fast as it can: what its audio.out nodes would play, to a WAV."""
    import math

    from .io import audio

    if args.seconds <= 0:
        raise NodegraphError(f"--seconds must be more than 0, got {args.seconds:g}")
    try:
        sound, lines = audio.render(args.patch, args.seconds, args.output, rate=args.rate)
    except audio.SoundFileError as e:
        raise NodegraphError(str(e)) from None
    for line in lines:
        print(line, file=sys.stderr)
    peak = float(abs(sound).max()) if len(sound) else 0.0
    level = f"peak {20 * math.log10(peak):.1f} dBFS" if peak > 0 else "silent"
    print(f"{args.output}: {args.seconds:g} s at {args.rate} Hz ({level})")
    return EXIT_OK


def cmd_midi_ports(args):
    from .io import midi

    try:
        api, inputs, outputs = midi.list_ports()
    except midi.MidiUnavailable as e:
        print(f"no MIDI system can be used: {e}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps({"system": midi.api_name(api), "inputs": inputs, "outputs": outputs}, indent=2))
        return EXIT_OK
    print(f"MIDI system: {midi.api_name(api)} (NODEGRAPH_MIDI_API=jack|alsa|coremidi|winmm chooses another)")
    for title, names in (("inputs (for midi.in's port)", inputs), ("outputs (for midi.out's port)", outputs)):
        print(f"{title}:")
        for name in names:
            print(f"  {name}{'   (nodegraph)' if midi.own(name) else ''}")
        if not names:
            print("  (none)")
    return EXIT_OK


def cmd_edit(args):
    from .editor import app

    return app.main(args.patch)


def cmd_screenshot(args):
    from .editor import app

    return app.screenshot(args.patch, args.output, width=args.width, height=args.height)


def cmd_import_wekinator(args):
    from . import wekproj

    for line in wekproj.import_project(args.project, args.output, replace=args.force):
        say(f"note: {line}")
    say(f"{args.output}: written from the Wekinator project {args.project}")
    return EXIT_OK


def parser():
    p = argparse.ArgumentParser(prog="nodegraph", description="A visual patcher for interactive machine learning.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a patch with no window (Ctrl-C stops it)")
    run.add_argument("patch")
    run.add_argument("--for", dest="seconds", type=float, default=None, metavar="SECONDS",
                     help="stop after this many seconds")
    run.add_argument("--quiet", action="store_true", help="do not echo the console")
    run.add_argument("--keep-going", action="store_true",
                     help="run even when a node cannot start (a port taken, a device missing)")
    run.add_argument("--allow-path", action="append", default=[], metavar="DIR",
                     help="let the patch use files in DIR too (by default only its own folder)")
    run.set_defaults(fn=cmd_run)

    check = sub.add_parser("check", help="check a patch file; exit 2 with the reason if it is not valid")
    check.add_argument("patch")
    check.add_argument("--allow-path", action="append", default=[], metavar="DIR",
                       help="a folder outside the patch's own that its file paths may use")
    check.set_defaults(fn=cmd_check)

    nodes = sub.add_parser("nodes", help="list node types with their ports, params and help")
    nodes.add_argument("type", nargs="*", help="only these types")
    nodes.add_argument("--json", action="store_true")
    nodes.set_defaults(fn=cmd_nodes)

    render = sub.add_parser("render", help="run a patch offline, as fast as it can, and write its sound to a WAV")
    render.add_argument("patch")
    render.add_argument("--seconds", type=float, required=True, help="how much sound to render")
    render.add_argument("-o", "--output", required=True, help="the WAV file to write")
    render.add_argument("--rate", type=int, default=48000, help="sample rate (default 48000)")
    render.set_defaults(fn=cmd_render)

    ports = sub.add_parser("midi-ports", help="list the MIDI ports patches can connect to")
    ports.add_argument("--json", action="store_true")
    ports.set_defaults(fn=cmd_midi_ports)

    edit = sub.add_parser("edit", help="open the editor")
    edit.add_argument("patch", nargs="?")
    edit.set_defaults(fn=cmd_edit)

    shot = sub.add_parser("screenshot", help="render a patch in the editor to a PNG")
    shot.add_argument("patch")
    shot.add_argument("-o", "--output", required=True)
    shot.add_argument("--width", type=int, default=None, help="window width (default: fit the patch)")
    shot.add_argument("--height", type=int, default=None, help="window height (default: fit the patch)")
    shot.set_defaults(fn=cmd_screenshot)

    wek = sub.add_parser("import-wekinator", help="turn a Wekinator project (.wekproj or its folder) into a patch")
    wek.add_argument("project", help="the project's .wekproj file or its folder")
    wek.add_argument("-o", "--output", required=True, help="the patch file to write")
    wek.add_argument("--force", action="store_true", help="replace the patch file if it exists")
    wek.set_defaults(fn=cmd_import_wekinator)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    _log_to_terminal()
    try:
        return args.fn(args)
    except NodegraphError as e:
        say(f"error: {e}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
