"""Test support code: tooling the test suites share (e.g. a real local Elasticsearch cluster)."""
