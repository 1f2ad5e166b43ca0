"""Boxes in the real editor: encapsulate a selection and take it apart with real keys; open a
box's inside in a window of its own (boxes.py)."""


def test_encapsulate_undo_redo_and_deencapsulate_with_real_keys(editor_run):
    assert editor_run("encapsulate_and_back", script="boxes.py", timeout=120)["box"]


def test_a_double_click_opens_a_box_in_a_window_of_its_own(editor_run):
    assert editor_run("open_a_box", script="boxes.py", timeout=150)["window"]
