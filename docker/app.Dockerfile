# Gateway and search indexer image (FastAPI, SQLAlchemy 2, Elasticsearch client). Python 3.11.
FROM python:3.11.7-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app
WORKDIR /app
COPY requirements/app.lock requirements/app.lock
RUN pip install --no-cache-dir uv==0.5.11 && uv pip install --system --no-cache -r requirements/app.lock
COPY knowledge_base knowledge_base
COPY search search
COPY gateway gateway
EXPOSE 8000
CMD ["python", "-m", "gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
