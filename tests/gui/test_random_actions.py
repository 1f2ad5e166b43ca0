"""The editor survives a seeded random run of menus, context menus, clicks, drags and
shortcuts made with real X events (xdotool), on several example patches, and keeps the
patch intact. GUI_RANDOM_SEED=N replays a failing seed (it is in the failure message)."""
import os

import pytest

PATCHES = {"mouse-classifier.json": 11, "gesture.json": 12, "xy-to-synth.json": 13}
ACTIONS = int(os.environ.get("GUI_RANDOM_ACTIONS", "80"))


@pytest.mark.parametrize("patch", sorted(PATCHES))
def test_random_menus_clicks_and_keys_never_break_the_editor(editor_run, patch):
    seed = int(os.environ.get("GUI_RANDOM_SEED", PATCHES[patch]))
    report = editor_run("random_actions", patch, seed, ACTIONS, timeout=240)
    assert report["actions"] >= ACTIONS, report
