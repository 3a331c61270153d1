# The API image: the same install and start commands as the Makefile.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CNA_DATA_DIR=/var/lib/cna

WORKDIR /srv/cna
# Fonts and Pango for the printed directory (cna publish, WeasyPrint); ICU and a compiler
# for PyICU (State names in each language's collation).
RUN apt-get update && apt-get install -y --no-install-recommends make \
        fonts-noto-core fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
        libicu-dev pkg-config g++ \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md alembic.ini Makefile ./
COPY app ./app
COPY search ./search
COPY migrations ./migrations
COPY seed_data ./seed_data
RUN make install

EXPOSE 8000
# With DATABASE_URL set (docker-compose does) the embedded PostgreSQL is not used.
CMD ["make", "run", "HOST=0.0.0.0", "PORT=8000"]
