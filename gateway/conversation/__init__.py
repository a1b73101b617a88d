"""Conversations: the state machine, session ids, and the chat service that ties store and bot."""
