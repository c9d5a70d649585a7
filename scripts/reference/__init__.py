"""Build Tocsin's shipped reference geography from the public files in ../shared/data.

Writes derived, transformed files only (never a verbatim copy of the inputs):

- backend/regions/data/regions.csv   M49 hierarchy + countries/areas + sub-national units
- backend/regions/data/aliases.csv   names and code variants that data sources use
- dashboard/assets/geo/world.geojson simplified Natural Earth 50m, feature.id = ISO3
- dashboard/assets/geo/points.json   markers for states too small to see at world scale
- dashboard/assets/geo/plotly/world_110m.json  plotly.js's base-map fallback, served locally

Run from the repository root:  python scripts/build_reference.py [--shared ../shared/data]
(or python -m scripts.reference). Origin, licences and the reasons for every addition are
in the two README.md files.

Modules: ``topojson`` (arc decoding, simplification, merging), ``planar`` (areas,
centroids), ``geometry`` (Natural Earth shapes per ISO3), ``regions`` (regions.csv rows),
``aliases`` (aliases.csv rows), ``outputs`` (file serialisation), ``build`` (the whole
build) and ``cli`` (the command line).
"""
