"""Exports of frozen snapshots: XLSX, zipped CSV, PDF brief and PNG figures."""
