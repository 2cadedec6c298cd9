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


@pytest.mark.worker
def test_healthz_finds_a_running_celery_worker(client, worker_queue):
    from unionportal.core.held import forget_held

    from ..support.workers import start_worker, stop_worker, wait_for

    def celery_check():
        forget_held()  # the process holds the answer for seconds: each look asks the workers again
        return client.get("/healthz").json()["checks"]["celery"]

    worker = start_worker(worker_queue)
    try:
        assert wait_for(lambda: celery_check() == "ok")
    finally:
        stop_worker(worker)


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


def test_unknown_api_paths_answer_in_the_api_error_shape_and_pages_in_html(client):
    api = client.get("/api/v1/aid-claims/not-a-number/")
    assert api.status_code == 404 and api["Content-Type"] == "application/json"
    assert api.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_schema_documents_the_standard_errors_of_every_operation(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code in ("400", "404", "429", "503"):
                assert code in operation["responses"], (method, path, code)
            assert "Retry-After" in operation["responses"]["429"]["headers"]
            # credentials required exactly where 401 is documented: public operations never answer it
            assert ("401" in operation["responses"]) is bool(operation.get("security")), (method, path)
    assert "401" in schema["paths"]["/api/v1/me/"]["get"]["responses"]
    assert "401" not in schema["paths"]["/api/v1/stations/"]["get"]["responses"]  # public
    assert {} not in schema["paths"]["/api/v1/auth/whoami/"]["get"]["security"]  # anonymous: 401
