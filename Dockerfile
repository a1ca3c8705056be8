# One image for the three services; SERVICE picks which one a container runs.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY constraints.txt ./
COPY schemas ./schemas
COPY runtime ./runtime
COPY cli ./cli
COPY services ./services
COPY web ./web
COPY territories ./territories
RUN pip install --no-cache-dir -c constraints.txt \
      -e schemas -e runtime -e cli \
      -e services/registry -e services/meetings -e services/notifications -e web
RUN useradd --system --uid 10001 conseils && mkdir -p /data && chown conseils /data
USER conseils
ENV SERVICE=registry
CMD ["sh", "-c", "exec python -m conseils_${SERVICE}"]
