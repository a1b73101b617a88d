"""Search backends: one :class:`SearchBackend` protocol, an embedded and an Elasticsearch engine."""
