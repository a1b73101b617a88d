"""Search over disclosed policies and their interpretations.

Plain Python (dataclasses, environment variables): imported by the gateway (``.venv``) and by the
Rasa action server (``.venv-bot``). No I/O at import time.
"""
