"""Production settings: fail fast without secrets, pass `check --deploy` with the four
variables, strict headers everywhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
VRISAC = Path(sys.executable).parent / "vrisac"
SECRET = "k8$Qv2!pZr7#Lm9@Tx4&Wn6^Hy3*Jb5(Dc1)Fg0_Ks8+Ue2=Vo7?Ai9%Rl3~Pq6"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("VRISAC_", "DJANGO_")) and k != "DATABASE_URL"}
    return subprocess.run([str(VRISAC), *args], env={**base, **env}, capture_output=True,
                          text=True, timeout=120, check=False, cwd=ROOT)


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "VRISAC_ENV": "production",
        "VRISAC_SECRET_KEY": SECRET,
        "VRISAC_ALLOWED_HOSTS": "vr-isac.example.nl",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }


def test_check_deploy_passes_with_exactly_the_four_variables(tmp_path: Path) -> None:
    result = run(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["VRISAC_SECRET_KEY", "VRISAC_ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_fails_fast_on_a_missing_variable(tmp_path: Path, missing: str) -> None:
    env = production_env(tmp_path)
    del env[missing]
    result = run(env, "check")
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_a_weak_secret(tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "VRISAC_SECRET_KEY": "short"}
    result = run(env, "check")
    assert result.returncode != 0 and "VRISAC_SECRET_KEY" in result.stderr


def test_production_cookie_and_transport_settings() -> None:
    result = subprocess.run(
        [sys.executable, "-c",
         "from config.settings import production as p;"
         "print(p.SESSION_COOKIE_SECURE, p.CSRF_COOKIE_SECURE, p.SESSION_COOKIE_HTTPONLY,"
         " p.SESSION_COOKIE_NAME, p.CSRF_COOKIE_NAME, p.SECURE_HSTS_SECONDS, p.DEBUG,"
         " p.SECURE_SSL_REDIRECT)"],
        env={**os.environ, "VRISAC_SECRET_KEY": SECRET, "VRISAC_ALLOWED_HOSTS": "a.example",
             "DATABASE_URL": "sqlite:////tmp/x.sqlite3"},
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    assert result.stdout.split() == ["True", "True", "True", "__Host-vrisac_session",
                                     "__Host-vrisac_csrftoken", "63072000", "False", "True"]


@pytest.mark.django_db
def test_every_page_carries_the_security_headers() -> None:
    response = Client().get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts_or_styles() -> None:
    offenders = []
    for path in (ROOT / "vrisac").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attrs = match.group(1)
            if "src=" not in attrs and "application/json" not in attrs:
                offenders.append(f"{path}: inline <script>")
        if re.search(r"\sstyle\s*=", text) or re.search(r"<style\b", text):
            offenders.append(f"{path}: inline style")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path}: inline event handler")
    assert offenders == []


def test_rate_limit_counters_are_files_shared_by_the_processes(tmp_path: Path) -> None:
    """Without Redis the ``counters`` cache (the API's rate limit, written on every call) is
    a folder of files in the data folder, readable by every web process, not the database."""
    code = ("from django.core.cache import caches; c = caches['counters'];"
            "c.set('vrisac:probe', [1.0], 3600); print(type(c).__name__, c.get('vrisac:probe'))")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}",
           "VRISAC_DATA_DIR": str(tmp_path)}
    result = run(env, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["FileBasedCache", "[1.0]"]
    assert list((tmp_path / "counters").glob("*.djcache"))
    read = "from django.core.cache import caches; print(caches['counters'].get('vrisac:probe'))"
    again = run(env, "shell", "--no-imports", "-c", read)
    assert again.stdout.split() == ["[1.0]"], again.stderr


def _redis_reachable() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_the_optional_redis_cache_is_used_and_works(tmp_path: Path) -> None:
    """``VRISAC_REDIS_URL`` puts the shared cache (rate limits, lockouts) in Redis: its
    client library ships with the platform, and a value written is read back."""
    code = ("from django.core.cache import cache; from django.conf import settings;"
            "cache.set('vrisac:probe', 41, 30); cache.incr('vrisac:probe');"
            "print(settings.CACHES['default']['BACKEND'], cache.get('vrisac:probe'));"
            "cache.delete('vrisac:probe');"
            "print(settings.CACHES['counters']['BACKEND'])")
    result = run({"VRISAC_REDIS_URL": "redis://127.0.0.1:6379/15",
                  "DATABASE_URL": f"sqlite:///{tmp_path / 'redis.sqlite3'}",
                  "VRISAC_DATA_DIR": str(tmp_path)}, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "42",
                                     "django.core.cache.backends.redis.RedisCache"]
