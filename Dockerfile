# The bot service: Python 3.11 on Debian with Tesseract (Thai), Thai fonts, and pg_dump for backups.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-tha tesseract-ocr-script-thai fonts-thai-tlwg poppler-utils libraqm0 postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml requirements.lock ./
COPY bot bot
COPY handlers handlers
COPY storage storage
COPY scheduler scheduler
COPY config config
COPY certificates certificates
COPY fiscal fiscal
COPY reports reports
# tesserocr is compiled against Debian's libtesseract; the compiler and headers go again afterwards.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libtesseract-dev libleptonica-dev pkg-config g++ \
 && pip install --no-cache-dir --no-binary tesserocr -c requirements.lock . \
 && apt-get purge -y --auto-remove libtesseract-dev libleptonica-dev pkg-config g++ \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 bot && mkdir -p /data && chown bot /data
USER bot
ENV DATA_DIR=/data APP_ENV=production PORT=8080 TZ=Asia/Bangkok
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=4)" || exit 1
CMD ["python", "-m", "bot"]
