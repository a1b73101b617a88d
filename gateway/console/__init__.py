"""The hotline agents' console: queue, claim, transcript, reply, close, hand back, search."""
