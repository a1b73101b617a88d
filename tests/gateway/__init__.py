"""Tests of the gateway (FastAPI app, store, state machine, pages)."""
