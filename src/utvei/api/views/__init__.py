"""API v1 views: parse with a serializer, call a selector or service, render."""
