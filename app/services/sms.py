"""The message gateway: an SMS leaves the app here, after the commit, through one backend.

`outbox` (the embedded default) appends one JSON line per message to SMS_OUTBOX, so the demo and
the tests need no provider; `aliyun` sends through Alibaba Cloud SMS's official SDK. Providers only
send approved templates: SMS_TEMPLATES maps each kind of message to its template code, and the
signature is SMS_SIGN_NAME.
"""
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models.base import utcnow
from .errors import DomainError

log = logging.getLogger(__name__)

# The text of each kind of message, as the approved templates say it (the outbox writes it out).
TEXTS = {
    "code": _l("Your Hongxin code is %(code)s. It is valid for 10 minutes. Do not tell anyone."),
    "account_exists": _l("This number already has a Hongxin account. Forgot the password? Reset it on the sign-in page."),
    "no_account": _l("No Hongxin account uses this number yet. You can register with it."),
    # A notification, worded in the person's language before it is handed over (deliveries.py).
    "notice": "%(text)s",
}


class SmsFailed(DomainError):
    message = _l("The text message could not be sent just now. Please try again in a few minutes.")


@dataclass(frozen=True)
class Sms:
    """One message to one phone: a kind of template, its parameters and why it is sent."""

    to: str
    kind: str
    purpose: str
    params: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(TEXTS[self.kind]) % self.params if self.params else str(TEXTS[self.kind])


def outbox_path() -> Path:
    return Path(current_app.config.get("SMS_OUTBOX") or Path(current_app.instance_path) / "sms-outbox.jsonl")


def _send_outbox(sms: Sms) -> None:
    path = outbox_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"to": sms.to, "text": sms.text, "purpose": sms.purpose, "kind": sms.kind,
                       "params": sms.params, "at": utcnow().isoformat() + "Z"}, ensure_ascii=False)
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def _send_aliyun(sms: Sms) -> None:
    from alibabacloud_dysmsapi20170525 import models
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as api_models

    config = current_app.config
    client = Client(api_models.Config(
        access_key_id=config["SMS_ACCESS_KEY_ID"], access_key_secret=config["SMS_ACCESS_KEY_SECRET"],
        endpoint=config.get("SMS_ENDPOINT") or "dysmsapi.aliyuncs.com", protocol=config.get("SMS_PROTOCOL") or "https",
        connect_timeout=5000, read_timeout=10000))
    response = client.send_sms(models.SendSmsRequest(
        phone_numbers=sms.to, sign_name=config["SMS_SIGN_NAME"], template_code=config["SMS_TEMPLATES"][sms.kind],
        template_param=json.dumps(sms.params, ensure_ascii=False) if sms.params else None))
    if response.body.code != "OK":
        raise RuntimeError(f"{response.body.code}: {response.body.message}")


BACKENDS = {"outbox": _send_outbox, "aliyun": _send_aliyun}


def send_sms(sms: Sms) -> None:
    """Send one message now; raises SmsFailed (and logs why) when the provider refuses or fails.

    Never inside a transaction that has written: a message about a change must not leave before the
    change is committed, nor hold the database while a provider answers.
    """
    session = db.session()
    if session.in_transaction() and (session.info.get("write_transaction") or session.info.get("flushed")
                                     or session.new or session.dirty or session.deleted):
        raise RuntimeError("send_sms() inside a write transaction: commit first")
    backend = current_app.config.get("SMS_BACKEND") or "outbox"
    try:
        BACKENDS[backend](sms)
    except Exception as exc:  # any provider or network failure is the same to the person waiting
        log.error("SMS %s to %s*** failed through %s: %s", sms.kind, sms.to[:3], backend, exc)
        raise SmsFailed() from exc
