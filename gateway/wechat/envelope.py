"""Open and seal WeChat's XML envelopes: plaintext, compatible and safe (AES) mode.

Modes, as WeChat defines them: in plaintext mode the body is the message XML; in compatible and
safe mode the query carries ``encrypt_type=aes`` and ``msg_signature`` and the body an ``Encrypt``
element (compatible mode adds the plaintext fields beside it — we trust only the encrypted,
signed copy). Decryption and encryption are wechatpy's :class:`~wechatpy.crypto.WeChatCrypto`
(AES-256-CBC, PKCS#7, app id check); the ``msg_signature`` is verified here first, in constant
time. Every way a body can be wrong becomes :class:`EnvelopeError` with the HTTP status to answer
(403 for signatures and app ids, 400 for anything unreadable) and a Chinese detail.
"""

from __future__ import annotations

from typing import Any

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage

from gateway.wechat import texts
from gateway.wechat.signature import signature_ok


class EnvelopeError(Exception):
    """The request cannot be read: answer ``status_code`` with the Chinese ``detail``."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code, self.detail = status_code, detail


class CryptoNotConfigured(RuntimeError):
    """``WECHAT_AES_KEY``/``WECHAT_APP_ID`` are missing or malformed (an operator error)."""


class CallbackCrypto:
    """wechatpy's message crypto for one account (token, 43-character EncodingAESKey, app id)."""

    def __init__(self, *, token: str, aes_key: str | None, app_id: str | None) -> None:
        if not aes_key or not app_id:
            raise CryptoNotConfigured("WECHAT_AES_KEY and WECHAT_APP_ID are required for safe mode")
        try:
            self._crypto = WeChatCrypto(token, aes_key, app_id)
        except Exception as exc:  # wrong length or not base64: wechatpy asserts/raises
            raise CryptoNotConfigured(f"WECHAT_AES_KEY is not a valid EncodingAESKey ({exc.__class__.__name__})") from exc
        self._token = token

    def open(self, body: bytes, *, msg_signature: str | None, timestamp: str, nonce: str) -> str:
        """The decrypted message XML of a safe/compatible-mode body."""
        outer = _xml_dict(body)
        encrypted = outer.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise EnvelopeError(400, texts.NO_ENCRYPT)
        if not signature_ok((self._token, timestamp, nonce, encrypted), msg_signature):
            raise EnvelopeError(403, texts.BAD_SIGNATURE)
        try:
            return str(self._crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, timestamp, nonce))
        except InvalidSignatureException as exc:  # unreachable after our check; kept for safety
            raise EnvelopeError(403, texts.BAD_SIGNATURE) from exc
        except InvalidAppIdException as exc:
            raise EnvelopeError(403, texts.WRONG_APP_ID) from exc
        except Exception as exc:  # bad base64, bad padding, bad length: not our key's ciphertext
            raise EnvelopeError(400, texts.UNDECRYPTABLE) from exc

    def seal(self, xml: str, *, nonce: str, timestamp: str) -> str:
        """The encrypted reply envelope (``Encrypt``, ``MsgSignature``, ``TimeStamp``, ``Nonce``)."""
        return str(self._crypto.encrypt_message(xml, nonce, timestamp))


def _xml_dict(body: bytes | str) -> dict[str, Any]:
    """The children of the ``<xml>`` root, or :class:`EnvelopeError` (400). xmltodict uses expat
    with entity declarations disabled, so entity tricks are rejected, not expanded."""
    try:
        data = xmltodict.parse(body)
    except Exception as exc:
        raise EnvelopeError(400, texts.BROKEN_XML) from exc
    root = data.get("xml") if isinstance(data, dict) else None
    if not isinstance(root, dict):
        raise EnvelopeError(400, texts.BROKEN_XML)
    return root


def parse(xml: bytes | str) -> BaseMessage:
    """A wechatpy message or event object (``UnknownMessage`` for types it does not know)."""
    root = _xml_dict(xml)
    if not isinstance(root.get("MsgType"), str) or not isinstance(root.get("FromUserName"), str):
        raise EnvelopeError(400, texts.NOT_A_MESSAGE)
    try:
        message = parse_message(xml)
        _ = (message.source, message.target, message.time)  # fields every reply needs
    except Exception as exc:
        raise EnvelopeError(400, texts.NOT_A_MESSAGE) from exc
    if message is None:
        raise EnvelopeError(400, texts.NOT_A_MESSAGE)
    return message
