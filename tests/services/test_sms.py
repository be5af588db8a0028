"""The SMS gateway: the outbox file, Alibaba Cloud's SDK against a local fake endpoint, sending only
after the commit, and a provider failure that is a message to the person, never a 500 or a half-done change."""
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, select, text

from app.extensions import db
from app.models import PhoneCode
from app.services import accounts
from app.services.sms import Sms, SmsFailed, send_sms

TEMPLATES = {"code": "SMS_100001", "account_exists": "SMS_100002", "no_account": "SMS_100003"}


class FakeAliyun:
    """Alibaba Cloud's SMS endpoint, on 127.0.0.1: records what the SDK sends and answers as told."""

    def __init__(self):
        self.requests, self.answer, self.status, self.on_request = [], {"Code": "OK", "Message": "OK"}, 200, None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                fake.requests.append({"query": query, "body": body, "headers": dict(self.headers)})
                if fake.on_request:
                    fake.on_request(query)
                out = json.dumps({**fake.answer, "RequestId": "fake", "BizId": "1"}).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def fake_aliyun():
    fake = FakeAliyun()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def app_config(fake_aliyun):
    return {"SMS_BACKEND": "aliyun", "SMS_ENDPOINT": fake_aliyun.endpoint, "SMS_PROTOCOL": "http",
            "SMS_ACCESS_KEY_ID": "test-access-key", "SMS_ACCESS_KEY_SECRET": "test-secret", "SMS_SIGN_NAME": "红心社区",
            "SMS_TEMPLATES": TEMPLATES}


def test_the_outbox_writes_one_json_line_per_message(app, outbox):
    app.config["SMS_BACKEND"] = "outbox"
    with app.test_request_context():
        send_sms(Sms(to="13800000003", kind="code", purpose="login", params={"code": "123456"}))
        send_sms(Sms(to="13800000004", kind="no_account", purpose="reset"))
    first, second = outbox()
    assert first["to"] == "13800000003" and first["purpose"] == "login" and "123456" in first["text"]
    assert first["at"].endswith("Z") and second["to"] == "13800000004" and second["params"] == {}


def test_the_sdk_sends_signature_template_params_and_phone(app, fake_aliyun):
    with app.test_request_context():
        send_sms(Sms(to="13800000003", kind="code", purpose="register", params={"code": "654321"}))
    (request,) = fake_aliyun.requests
    assert request["query"]["PhoneNumbers"] == "13800000003"
    assert request["query"]["SignName"] == "红心社区"
    assert request["query"]["TemplateCode"] == "SMS_100001"
    assert json.loads(request["query"]["TemplateParam"]) == {"code": "654321"}
    assert request["headers"]["x-acs-action"] == "SendSms" and request["headers"]["x-acs-version"] == "2017-05-25"
    assert "Credential=test-access-key" in request["headers"]["Authorization"]
    assert "test-secret" not in json.dumps(request)


def test_a_code_is_sent_only_after_it_is_committed(app, client, fake_aliyun):
    """The fake provider looks into the database over its own connection while the SMS is being sent."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    seen = []

    def look(query):
        with engine.connect() as conn:  # closed at once: an open reader would hold up the next TRUNCATE
            seen.append(conn.execute(text("SELECT count(*) FROM phone_codes WHERE phone = :p"),
                                     {"p": query["PhoneNumbers"]}).scalar())

    fake_aliyun.on_request = look
    try:
        response = client.post("/codes", data={"phone": "13912340009", "purpose": "register"})
    finally:
        engine.dispose()
    assert response.status_code == 303 and seen == [1]


def test_sending_inside_a_write_transaction_is_refused(app):
    with app.test_request_context():
        accounts.request_code("13912340009", "register")
        with pytest.raises(RuntimeError, match="commit first"):
            send_sms(Sms(to="13912340009", kind="no_account", purpose="reset"))
        db.session.rollback()


@pytest.mark.parametrize("status, answer", [(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}),
                                            (500, {"Code": "ServiceUnavailable", "Message": "down"})])
def test_a_provider_failure_is_a_message_and_a_log_line_and_leaves_no_live_code(app, client, fake_aliyun, caplog,
                                                                               status, answer):
    fake_aliyun.status, fake_aliyun.answer = status, answer
    with caplog.at_level(logging.ERROR, logger="app.services.sms"):
        response = client.post("/codes", data={"phone": "13912340009", "purpose": "register"})
    assert response.status_code == 503
    assert "短信暂时发送失败" in response.get_data(as_text=True)
    assert any("failed through aliyun" in r.getMessage() for r in caplog.records)
    with app.app_context():
        codes = db.session.scalars(select(PhoneCode)).all()
        assert codes and all(c.used_at is not None for c in codes)


def test_a_failed_send_raises_sms_failed(app, fake_aliyun):
    fake_aliyun.answer = {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad"}
    with app.test_request_context(), pytest.raises(SmsFailed):
        send_sms(Sms(to="13800000003", kind="no_account", purpose="login"))
