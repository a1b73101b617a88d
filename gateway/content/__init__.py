"""The policy library as the gateway shows it: documents, articles with anchors, interpretations."""
