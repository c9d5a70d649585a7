# One image for the api, scheduler and dashboard services (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TOCSIN_DATA_DIR=/data

WORKDIR /app
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
