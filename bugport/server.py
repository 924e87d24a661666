"""The ASGI application uvicorn imports (`bugport.server:app`), built from environment settings."""

from bugport.app import create_app
from bugport.config import Settings
from bugport.kit.logging import configure

_settings = Settings()
configure(_settings.log_json, _settings.log_level)
app = create_app(_settings)
