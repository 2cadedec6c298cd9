"""The partner API's documentation is written in the caller's language: Chinese unless asked
otherwise, English with `?lang=en` or `Accept-Language: en`."""

import re

import pytest
import yaml

from unionportal.core import schema_view
from unionportal.core.schema import TAGS

pytestmark = pytest.mark.django_db
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _no_written_schemas():
    schema_view.forget_written_schemas()
    yield
    schema_view.forget_written_schemas()


def _schema(client, path="/api/schema/", **headers) -> dict:
    response = client.get(path, **headers)
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _texts(node, where=()):
    """(where, key, text) for every summary, description and title in the schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("summary", "description", "title") and isinstance(value, str):
                yield where, key, value
            yield from _texts(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, (*where, index))


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield f"{method.upper()} {path}", operation


def test_every_text_of_the_chinese_docs_is_chinese(client):
    schema = _schema(client)
    not_chinese = [(where, key, text) for where, key, text in _texts(schema) if not CHINESE.search(text)]
    assert not_chinese == []
    assert schema["info"]["title"] == "unionportal 开放接口"
    operations = dict(_operations(schema))
    assert len(operations) > 40
    assert [name for name, operation in operations.items() if not operation.get("summary")] == []
    redeem = operations["POST /api/v1/coupons/redeem/"]
    assert redeem["summary"].startswith("商户或自助售货机凭券码或取货码核销福利券")
    assert "`Idempotency-Key`" in redeem["description"]
    assert redeem["responses"]["422"]["description"] == "无法按所发内容处理：原因见 `code`。"


def test_tag_names_stay_identifiers_and_their_descriptions_are_translated(client):
    chinese, english = _schema(client), _schema(client, "/api/schema/?lang=en")
    declared = [tag["name"] for tag in TAGS]
    assert [tag["name"] for tag in chinese["tags"]] == [tag["name"] for tag in english["tags"]] == declared
    used = {tag for _name, operation in _operations(chinese) for tag in operation["tags"]}
    assert used == set(declared)  # every operation under a declared tag, and every tag in use
    coupons = {tag["name"]: tag["description"] for tag in chinese["tags"]}["coupons"]
    assert coupons.startswith("福利券")


@pytest.mark.parametrize("ask", [{"path": "/api/schema/?lang=en"}, {"HTTP_ACCEPT_LANGUAGE": "en"}])
def test_the_english_docs_are_english(client, ask):
    schema = _schema(client, **ask)
    assert schema["info"]["title"] == "unionportal API"
    summaries = [operation["summary"] for _name, operation in _operations(schema)]
    assert [summary for summary in summaries if CHINESE.search(summary)] == []
    assert "A merchant or vending machine redeems a coupon by its code or pickup code, once." in summaries


def test_docstrings_written_for_developers_stay_out_of_the_docs(client):
    written = client.get("/api/schema/?lang=en").content.decode()
    # A base view's and a serializer's docstrings, which the docs once showed.
    assert "Base of the state changes" not in written
    assert "documentation only" not in written


def test_an_enum_describes_its_values_only_when_their_labels_say_more(client):
    schemas = _schema(client)["components"]["schemas"]
    assert "description" not in schemas["PointTypeEnum"]  # `Point` - Point says nothing
    assert "观影" in schemas["CouponKindEnum"]["description"]  # `movie` - 观影券 does
    level = schemas["HealthReadingOut"]["properties"]["level"]
    assert "建议尽快就医" in str(level) + str(schemas.get("LevelEnum", ""))
