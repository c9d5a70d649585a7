"""Ingest: public sources (fetch + pure parse), the scheduler process and job functions."""
