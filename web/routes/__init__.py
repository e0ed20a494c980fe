"""Routers, one per area: ``chat`` (the widget's API), ``health``, ``pages`` (demo page and static files)."""
