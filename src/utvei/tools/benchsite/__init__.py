"""The site the page benchmark serves (bench/bench_pages.py): Utvei's settings and URLs, plus a bare logged-in view
to compare pages against, and a switch that turns the audit write off. Never part of production: only the bench
starts a server with DJANGO_SETTINGS_MODULE=utvei.tools.benchsite.settings."""
