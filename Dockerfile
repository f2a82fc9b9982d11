FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && \
    TOGETHER_ENV=production SECRET_KEY=collectstatic-only TOGETHER_ENCRYPTION_KEYS=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    python manage.py collectstatic --no-input -v0
RUN useradd --create-home together
USER together
EXPOSE 8000
CMD ["gunicorn", "together.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
