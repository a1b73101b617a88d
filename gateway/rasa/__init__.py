"""Talking to Rasa's REST channel and reading the envelopes our actions put in custom payloads."""
