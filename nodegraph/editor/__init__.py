"""The Dear PyGui editor: a thin view over the engine.

This package is the only place that imports dearpygui, and only the modules that
draw do (app, canvas, widgets, panels, objectbox, dialogs, theme). The pure helpers
(fuzzy, boxtext, fragment, session, values, xdisplay) import no GUI code, so they
are tested without a display.
"""
