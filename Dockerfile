# The desk's own processes (`desk worker`, `desk ingest`, `desk seed`) for docker-compose.yml
# or any container platform. Temporal itself runs from Temporal's images, not this one.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only what the package is built from: the working tree's .venv, data and caches stay out
# of the image without needing a .dockerignore.
COPY pyproject.toml README.md ./
COPY desk ./desk
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY starters ./starters
COPY ingest ./ingest
COPY supervisor ./supervisor
COPY devtools ./devtools
COPY console ./console
RUN pip install . && rm -rf build *.egg-info

RUN useradd --create-home --uid 10001 desk
USER desk
ENV DESK_DATA_DIR=/home/desk/data
RUN mkdir -p /home/desk/data

EXPOSE 8000
CMD ["desk", "ingest"]
