"""The WeChat official-account channel (contract 6).

``GET/POST /wechat`` (:mod:`gateway.routers.wechat`) speak WeChat's server protocol: signature
check, ``echostr``, plaintext / compatible / safe (AES) XML, the 5 s limit with a customer-service
message fallback, retries de-duplicated by ``MsgId``. Text messages go through the same chat
service as the web (:func:`gateway.conversation.service.handle_chat`), one conversation per OpenID
with channel ``wechat``. Agents' replies reach WeChat users through
:func:`gateway.wechat.runtime.deliver_to_wechat`.

Importing this package does no I/O.
"""
