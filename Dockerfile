# The project's image: the action server and the web service (Python 3.11). Rasa runs from the
# official rasa/rasa:3.6.21-full image (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1
WORKDIR /app
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY trialbot ./trialbot
COPY knowledge ./knowledge
COPY actions ./actions
COPY web ./web
COPY evaluation ./evaluation
RUN pip install . && trialbot index
RUN useradd --create-home trialbot && chown -R trialbot /app
USER trialbot
EXPOSE 5055 8000
CMD ["python", "-m", "actions.server", "--host", "0.0.0.0", "--port", "5055"]
