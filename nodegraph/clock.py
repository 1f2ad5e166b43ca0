"""Clocks. Logical time is in milliseconds; tests inject a ManualClock and advance it."""
import time


class RealClock:
    manual = False

    def __init__(self):
        self._t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0) * 1000.0


class ManualClock:
    """Time that moves only when told to (Scheduler.advance)."""

    manual = True

    def __init__(self, start_ms: float = 0.0):
        self.t = float(start_ms)

    def now(self) -> float:
        return self.t
