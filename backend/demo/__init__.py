"""The demo dataset: synthetic observations, the default rules and their demo alerts."""
