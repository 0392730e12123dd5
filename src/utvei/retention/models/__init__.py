"""The retention app's models, one module per concern; each module's models are imported here."""
