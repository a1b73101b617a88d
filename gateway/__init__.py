"""The gateway: web chat page and chat API, conversation store and state, policy pages, health and
metrics. It is the only owner of conversation state (see ``shared/ARCHITECTURE.md``).

Importing this package does no I/O: build the application with :func:`gateway.app.create_app`.
"""
