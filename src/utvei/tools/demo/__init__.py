"""The demo story's steps, one module per app whose services tell them (the loader is
tools/management/commands/demo.py; the story is tools/data/demo.yaml)."""
