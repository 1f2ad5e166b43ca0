"""New, open, save, save as, recent files, the unsaved-changes guard, autosave and
recovery after a crash: the Editor's file gestures. A file that cannot be read or
written is shown in a message, never raised.
"""
from __future__ import annotations

import os
import time

from ..errors import NodegraphError
from ..runtime import Runtime
from . import session


class FileActions:
    AUTOSAVE_EVERY = 10.0  # seconds between recovery copies of unsaved work

    def guard(self, then, doing="continuing"):
        """Run `then` unless unsaved changes would be lost; ask first if they would."""
        if not self.dirty:
            then()
            return

        def answer(choice):
            if choice == "Save":
                self.save(then=then)
            elif choice == "Don't save":
                session.discard_recovery(self.path)
                then()
        self.dialogs.ask("Unsaved changes", f"Save the changes to {self.name} before {doing}?",
                         ["Save", "Don't save", "Cancel"], answer)

    def new(self):
        def fresh():
            self._set_runtime(Runtime(), None)
            self.say("a new, empty patch: N or a double-click makes a node")
        self.guard(fresh, "starting a new patch")

    def open(self, path=None):
        if path is None:
            self.guard(lambda: self.dialogs.pick_file("Open patch", self.open_now, start=self.path),
                       "opening another patch")
        else:
            self.guard(lambda: self.open_now(path), "opening another patch")

    def open_now(self, path):
        """Open a patch file; a file that cannot be read is shown, and the open patch stays."""
        try:
            rt = Runtime.open(path)
        except NodegraphError as e:
            self.fail(str(e))
            self.dialogs.message("Cannot open the patch", str(e))
            return False
        except Exception as e:  # a node type's own failure while loading: still a message
            self.fail(f"{path}: {type(e).__name__}: {e}")
            self.dialogs.message("Cannot open the patch", f"{path}: {type(e).__name__}: {e}")
            return False
        self._set_runtime(rt, os.path.abspath(path))
        self.menubar.set_recent(session.add_recent(path))
        self.say(f"opened {path}: {len(rt.doc.nodes)} nodes, {len(rt.doc.links)} links", "ok")
        self._overlap_check = 3  # frames: boxes have their sizes once drawn
        return True

    def save(self, then=None):
        if self.path is None:
            return self.save_as(then=then)
        if self.save_to(self.path) and then is not None:
            then()

    def save_as(self, path=None, then=None):
        if path is None:
            def chosen(p):
                if self.save_to(p) and then is not None:
                    then()
            self.dialogs.pick_file("Save patch as", chosen, save=True, start=self.path or "untitled.json")
            return None
        ok = self.save_to(path)
        if ok and then is not None:
            then()
        return ok

    def save_to(self, path):
        try:
            self.rt.save(path)
        except Exception as e:  # anything save raises is a message: the patch and its edits stay open
            reason = getattr(e, "strerror", None) or (
                str(e) if isinstance(e, (OSError, NodegraphError)) else f"{type(e).__name__}: {e}")
            self.fail(f"cannot save {path}: {reason}")
            self.dialogs.message("Cannot save", f"{path}: {reason}")
            return False
        old = self.path
        self.path = os.path.abspath(path)
        session.discard_recovery(old)
        session.discard_recovery(self.path)
        self.saved_marker = self._marker()
        self.state_dirty = False
        self.gesture += 1  # a later slider drag must not merge into what was saved
        self.menubar.set_recent(session.add_recent(path))
        self.say(f"saved {path}", "ok")
        self._update_title()
        return True

    def autosave(self, force=False):
        """Write a recovery copy of unsaved work (offered after a crash)."""
        if not self.dirty:
            return False
        mark = (self._marker(), self.rt.history.revision, self.state_dirty)
        if mark == self._autosaved and not force:
            return False
        try:
            session.write_recovery(self.path, self.rt.to_doc())
        except Exception as e:  # called from the frame loop: a failure is a warning, never a crash
            self.say(f"could not write the recovery copy: {e}", "warning")
            return False
        self._autosaved = mark
        return True

    def offer_recovery(self, path):
        """After a crash: offer the recovery copy of `path` (or of an untitled patch)."""
        record = session.find_recovery(path)
        if record is None:
            return False
        when = time.strftime("%H:%M on %d %b", time.localtime(record.get("time", 0)))
        name = os.path.basename(path) if path else "an untitled patch"

        def answer(choice):
            if choice == "Recover":
                self.recover(record, path)
            else:
                session.discard_recovery(path)
        self.dialogs.ask("Recover unsaved work?",
                         f"nodegraph closed without saving {name} (last autosaved at {when}). "
                         f"Recover the unsaved changes?", ["Recover", "Discard"], answer,
                         escape=None)  # not for a reflex to choose: the copy stays until the editor closes
        return True

    def recover(self, record, path):
        try:
            doc = session.check_recovered(record)
            rt = Runtime()
            rt.load_doc(doc, "the recovery copy")
        except NodegraphError as e:
            self.fail(f"the recovery copy cannot be used: {e}")
            return False
        self._set_runtime(rt, os.path.abspath(path) if path else None, dirty=True)
        self.say("recovered the unsaved changes; save to keep them", "ok")
        return True
