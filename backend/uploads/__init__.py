"""Analysts' own indicators, uploaded as CSV files made from the template."""
