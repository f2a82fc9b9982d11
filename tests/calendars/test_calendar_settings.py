"""Calendar settings stop start-up with one clear line when they are wrong."""

from cryptography.fernet import Fernet

from tests.programs.test_settings import STRONG_KEY, _manage


def test_production_refuses_to_start_without_encryption_keys():
    result = _manage(
        "check", TOGETHER_ENV="production", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="t.example"
    )
    assert result.returncode == 2
    assert "TOGETHER_ENCRYPTION_KEYS must be set when TOGETHER_ENV=production" in result.stderr


def test_it_refuses_a_malformed_encryption_key():
    result = _manage(
        "check", TOGETHER_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},not-a-key"
    )
    assert result.returncode == 2
    assert "TOGETHER_ENCRYPTION_KEYS must be Fernet keys" in result.stderr


def test_production_refuses_the_emulator():
    result = _manage(
        "check",
        TOGETHER_ENV="production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="t.example",
        TOGETHER_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        CALENDAR_EMULATOR_URL="https://127.0.0.1:8766",
    )
    assert result.returncode == 2
    assert "CALENDAR_EMULATOR_URL cannot be set" in result.stderr
