"""Engine-side I/O: network and device plumbing the nodes use (no GUI)."""
