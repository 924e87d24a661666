"""The dashboard's Content-Security-Policy: scripts only from this origin (no inline, no eval),
API calls to this origin and the configured Supabase, media from this origin and object storage."""

from __future__ import annotations

from urllib.parse import urlsplit

from bugport.config import Settings


def origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def storage_origins(settings: Settings) -> list[str]:
    """Where signed media download URLs point: the local backend is served by BugPort itself
    (public_base_url, which may differ from the origin the dashboard is opened on); S3/R2 URLs are
    path-style on the endpoint, or virtual-hosted on `<bucket>.<endpoint host>`."""
    if not settings.uses_s3:
        base = origin_of(settings.public_base_url)
        return [base] if base else []
    bucket = settings.s3_bucket or ""
    endpoint = settings.s3_endpoint_url
    if endpoint:
        parts = urlsplit(endpoint)
        path_style = f"{parts.scheme}://{parts.netloc}"
        if settings.s3_path_style:
            return [path_style]
        return [path_style, f"{parts.scheme}://{bucket}.{parts.netloc}"]
    region = settings.s3_region
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]


def _join(*sources: str | None) -> str:
    return " ".join(dict.fromkeys(s for s in sources if s))


def content_security_policy(settings: Settings) -> str:
    storage = storage_origins(settings)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        # No 'unsafe-inline': styles come from the built CSS files (React's style props go
        # through the CSSOM, which CSP allows).
        "style-src": "'self'",
        # data:/blob: for thumbnails and screenshots the app holds in memory; never for scripts.
        "img-src": _join("'self'", "data:", "blob:", *storage),
        "media-src": _join("'self'", "blob:", *storage),
        "font-src": "'self'",
        "connect-src": _join("'self'", origin_of(settings.supabase_url)),
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())
