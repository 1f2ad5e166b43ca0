"""The errors a person sees: each one a single clear sentence, never a traceback."""


class NodegraphError(Exception):
    """Base of every error nodegraph reports to a person."""


class ParamError(NodegraphError):
    """A param value that does not fit its spec; the old value stays."""


class LinkError(NodegraphError):
    """A link that cannot be made (unknown port, types that do not fit, a cycle)."""


class EditError(NodegraphError):
    """An edit that cannot be applied (unknown node, duplicate id...)."""


class PatchError(NodegraphError):
    """A patch file that cannot be read; names the node and field at fault."""

    def __init__(self, message):
        # Names in a file can hold any character; the message stays one printable line.
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1] for c in str(message)))


class NodeError(NodegraphError):
    """Raised by a node for a problem in its input the person should read as is
    (a wrong vector length...); the node is marked errored, the patch keeps running."""
