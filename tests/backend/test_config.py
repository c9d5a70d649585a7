"""Settings come from TOCSIN_ variables and refuse placeholder secrets in production."""

import pytest
from pydantic import ValidationError

from backend.config import DEFAULT_SECRET, Environment, get_settings


def test_settings_read_tocsin_variables(monkeypatch):
    monkeypatch.setenv("TOCSIN_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("TOCSIN_SCHEDULES", '{"worldbank_homicide": "off"}')
    settings = get_settings()
    assert settings.database_url == "sqlite:///elsewhere.db"
    assert settings.schedules == {"worldbank_homicide": "off"}
    assert settings.is_sqlite


@pytest.mark.parametrize(
    ("secret", "message"),
    [(DEFAULT_SECRET, "must be set to a real secret"), ("short", "at least 32 characters")],
)
def test_production_refuses_weak_secrets(secret, message):
    with pytest.raises(ValidationError, match=message):
        get_settings(env=Environment.production, secret_key=secret)


def test_development_accepts_the_placeholder_and_production_a_real_secret():
    assert get_settings(env=Environment.development).secret_key == DEFAULT_SECRET
    assert (
        get_settings(env=Environment.production, secret_key="x" * 40).env is Environment.production
    )
