# The socialkpi worker image (docker-compose.yml builds it). Runtime dependencies are the
# exact pins of pyproject.toml; the dev tools (tests, linters, the dashboard generator) stay out.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from the pins alone, so that a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY models ./models
COPY kpis ./kpis
COPY streams ./streams
COPY sinks ./sinks
COPY cli ./cli
COPY gen ./gen
COPY alerting ./alerting
COPY importers ./importers
RUN pip install --no-deps . && rm -rf build

# The alert thresholds the worker evaluates (same file as the Prometheus rules).
COPY deploy/alerting.yaml /etc/socialkpi/alerting.yaml

# A named volume mounted on the data dir takes this owner (an absent path would be root's).
RUN useradd --system --uid 10001 --home-dir /var/lib/socialkpi --create-home socialkpi \
    && install -d -o socialkpi -g socialkpi /var/lib/socialkpi/worker
USER socialkpi
WORKDIR /var/lib/socialkpi

ENV SOCIALKPI_ALERTING_CONFIG=/etc/socialkpi/alerting.yaml \
    SOCIALKPI_DATA_DIR=/var/lib/socialkpi/worker \
    SOCIALKPI_METRICS_ADDR=0.0.0.0 \
    SOCIALKPI_METRICS_PORT=9464

EXPOSE 9464
CMD ["socialkpi", "worker"]
