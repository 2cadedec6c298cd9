import pytest

pytestmark = pytest.mark.django_db


def test_home_is_chinese_by_default_and_switches_to_english(client):
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert '<html lang="zh-hans">' in text
    assert "工会服务平台" in text
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert '<html lang="en">' in english and "Union service portal" in english


def test_healthz_reports_database_redis_and_celery(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert body["checks"]["celery"] in ("ok", "down")


def test_member_login_page_logs_in_by_phone(client):
    from ..factories import make_user

    make_user(phone="13612345678", password="a-good-password-1")
    page = client.get("/accounts/login/")
    assert "手机号" in page.content.decode()
    response = client.post("/accounts/login/", {"username": "13612345678", "password": "a-good-password-1"})
    assert response.status_code == 302
    client.logout()
    wrong = client.post("/accounts/login/", {"username": "13612345678", "password": "nope"})
    assert "手机号或密码错误" in wrong.content.decode()
