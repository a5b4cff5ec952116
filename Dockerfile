# syntax=docker/dockerfile:1
# churnlens API image: the serving extra only (onnxruntime, no torch), the shipped model inside, non-root.
# Build: docker build -t churnlens .   Run: docker run -p 8000:8000 churnlens

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY churnlens ./churnlens
COPY serving ./serving
COPY training/__init__.py training/config.py ./training/
RUN /opt/venv/bin/pip install ".[serve]"

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CHURNLENS_HOST=0.0.0.0 \
    CHURNLENS_PORT=8000 \
    CHURNLENS_MODEL_DIR=/app/models/current-model
RUN groupadd --system --gid 10001 churnlens && useradd --system --uid 10001 --gid churnlens --home-dir /app --no-create-home churnlens
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# the shipped default model (the version models/current names), copied under a fixed path
COPY models/ /app/models/
RUN ln -s "/app/models/$(cat /app/models/current)" /app/models/current-model \
    && chown -R 10001:10001 /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
CMD ["churnlens", "serve"]
