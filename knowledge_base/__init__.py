"""The project's knowledge base: official policy texts (read from ``SHARED_DATA_DIR``), their
reviewed metadata overrides, and the curated interpretations/FAQ written by the project.

Importing this package does no I/O; call :func:`knowledge_base.loader.load_knowledge_base`.
"""
