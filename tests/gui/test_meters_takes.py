"""The editor's message-rate meters and recorded takes as undo steps (scenarios in harness.py)."""


def test_a_metro_at_100_ms_shows_about_10_per_second(editor_run):
    assert editor_run("message_rates")["label"].endswith("/s")


def test_a_take_is_announced_and_ctrl_z_undoes_it(editor_run):
    assert "Ctrl+Z undoes it" in editor_run("take_is_undone")["status"]
