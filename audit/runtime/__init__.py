"""What running an audit costs and ran on: stage timing, FLOPs, memory, energy; the software environment; progress."""
