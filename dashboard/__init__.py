"""Tocsin's Dash front end: a pure HTTP client of the API (``create_app`` in ``dashboard.app``)."""
