# One image for the api, scheduler and dashboard services (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TOCSIN_DATA_DIR=/data

WORKDIR /app
# Chromium renders the snapshot brief's figures offline (kaleido drives it headless).
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*
ENV BROWSER_PATH=/usr/bin/chromium
RUN useradd --create-home --uid 10001 tocsin && mkdir -p /data && chown tocsin /data

COPY pyproject.toml README.md ./
COPY backend ./backend
COPY dashboard ./dashboard
COPY ingest ./ingest
COPY rules ./rules
COPY migrations ./migrations
RUN pip install --no-cache-dir .

USER tocsin
EXPOSE 8000 8050
CMD ["tocsin", "serve", "api", "--host", "0.0.0.0"]
