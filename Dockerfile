# finelabel: one image for the web server and every Celery worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    FINELABEL_VAR_DIR=/var/lib/finelabel NLTK_DATA=/var/lib/finelabel/nltk_data

RUN apt-get update \
 && apt-get install -y --no-install-recommends wordnet-base wordnet-sense-index curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN mkdir -p "$FINELABEL_VAR_DIR" \
 && DJANGO_SECRET_KEY=build python manage.py setup_wordnet \
 && DJANGO_SECRET_KEY=build python manage.py collectstatic --noinput -v0

EXPOSE 8000
CMD ["python", "-m", "config.serve", "--host", "0.0.0.0", "--port", "8000"]
