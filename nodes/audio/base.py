"""What every audio node shares: its DSP unit lives in the engine while the patch runs."""
from __future__ import annotations

from nodegraph import Node, NodeError, Outlet
from nodegraph.io import audio

SOUND = "sound"


def sound_out(help="the sound"):
    return Outlet(SOUND, "signal", help=help)


class AudioNode(Node):
    """A node with a sound part: start() gives its Unit to the engine, stop() takes it back.

    Controls reach the unit through `self.control(fn, *args)`: queued for the audio
    thread, run before its next block. Before the patch runs there is no unit; the
    node keeps its values and the unit starts from them.
    """

    Unit = audio.Unit

    def setup(self):
        self.unit = None
        self._engine = None
        self._device_problem = None

    def make_unit(self):
        return self.Unit(self)

    def start(self):
        self._engine = audio.engine(self.host)
        self.unit = self.make_unit()
        self._engine.add(self, self.unit)
        self.started()

    def started(self):
        """The unit is in the engine (override to load files...)."""

    def stop(self):
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.remove(self)
        self.unit = None
        self._clear_device_problem()

    def control(self, fn, *args):
        if self._engine is not None:
            self._engine.control(fn, *args)

    @property
    def engine(self):
        return self._engine

    # -- the sound device's state, for audio.in and audio.out --

    def device_status(self, problem):
        """On the scheduler thread: the engine's device opened (None) or cannot be used (why)."""
        if problem is None:
            self._clear_device_problem()
            return
        self._device_problem = problem
        if self.host is not None:
            self.host.fail(self, problem)

    def _clear_device_problem(self):
        if self._device_problem is not None and self.error == self._device_problem:
            self.error = None
            if self.host is not None:
                self.host.notify("error", self.id, None)
        self._device_problem = None

    def still_no_device(self):
        """After a run: keep showing the device problem (a successful run clears errors)."""
        if self._device_problem is not None:
            raise NodeError(self._device_problem)

    def device_info(self):
        """What the node shows about the device (its problem, if any, is the node's error)."""
        engine = self._engine
        if engine is None:
            return {}
        if engine.offline:
            return {"device": "offline render"}
        return {"device": engine.device_name} if engine.device_name else {}
