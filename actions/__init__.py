"""Rasa action server of the policy-consultation bot (run with ``rasa run actions``)."""
