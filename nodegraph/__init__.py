"""nodegraph: a patcher for interactive machine learning. The engine; no GUI here."""
from .commands import (AddComment, AddNode, Connect, Deencapsulate, Disconnect, EditComment, Encapsulate, Move,
                       RemoveComment, RemoveNode, SetParam, SetState)
from .errors import EditError, LinkError, NodeError, NodegraphError, ParamError, PatchError
from .graph import Graph, Link
from .node import Inlet, Node, Outlet
from .params import Param
from .registry import register
from .runtime import Runtime
from .types import BANG

import logging

# Failures reach people through the console; without this, logging's last-resort handler
# would write warnings to stderr from the scheduler thread, where a blocked stderr stalls it.
logging.getLogger("nodegraph").addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = ["AddComment", "AddNode", "Connect", "Disconnect", "EditComment", "Move", "RemoveComment",
           "RemoveNode", "SetParam", "SetState", "EditError", "LinkError", "NodeError", "NodegraphError",
           "ParamError", "PatchError", "Graph", "Link", "Inlet", "Node", "Outlet", "Param", "register",
           "Runtime", "BANG"]
