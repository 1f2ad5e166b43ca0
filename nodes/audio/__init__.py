"""Sound: synths, sound files, the sound card, descriptors. Sound flows along sound links
(~) between these nodes, carried by the audio engine (nodegraph/io/audio.py); numbers
go in and out of them as with any node."""
from . import analysis, sources, synth  # noqa: F401 (registers the node types)
