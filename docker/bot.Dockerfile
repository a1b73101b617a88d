# Rasa 3.6 image for the bot (`rasa run`) and the action server (`rasa run actions`). Python 3.10.
FROM python:3.10.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
WORKDIR /app
COPY requirements/bot.lock requirements/bot.lock
RUN pip install --no-cache-dir uv==0.5.11 && uv pip install --system --no-cache -r requirements/bot.lock
COPY knowledge_base knowledge_base
COPY search search
COPY actions actions
COPY bot bot
# The model is trained at build time so the image starts offline.
RUN rasa train --config bot/config.yml --domain bot/domain.yml --data bot/data --out models --fixed-model-name bot
EXPOSE 5005 5055
CMD ["rasa", "run", "--enable-api", "--port", "5005", "--model", "models/bot.tar.gz", "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml"]
