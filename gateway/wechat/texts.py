"""What the WeChat channel itself says (Simplified Chinese), in one place for review."""

from __future__ import annotations

# HTTP errors (the body WeChat's server or an operator sees).
BAD_SIGNATURE = "签名校验失败。"
STALE_TIMESTAMP = "签名已过期：请求时间戳与服务器时间相差过大。"
NOT_CONFIGURED = "微信公众号接入未配置（WECHAT_TOKEN）。"
CRYPTO_NOT_CONFIGURED = "微信消息加解密未配置（WECHAT_AES_KEY、WECHAT_APP_ID）。"
BROKEN_XML = "消息格式错误：请求体不是有效的XML。"
NOT_A_MESSAGE = "消息格式错误：缺少MsgType、FromUserName等必需字段。"
NO_ENCRYPT = "消息格式错误：安全模式的请求体缺少Encrypt字段。"
UNDECRYPTABLE = "消息无法解密：密文格式错误或与EncodingAESKey不匹配。"
WRONG_APP_ID = "消息解密后的AppID与本公众号不符。"


def welcome(hotline: str) -> str:
    """Sent when someone follows the account: what the bot can do, how to ask, the hotline."""
    return (
        "您好，欢迎关注！我是人社政策智能咨询助手，可以解答养老、失业、工伤保险，社保参保缴费与转移接续，"
        "社保卡，就业创业，劳动合同与工资，人事人才和职业技能等人力资源和社会保障政策问题，"
        "回答会注明政策依据（文件名称和条款）。\n\n"
        "请直接用文字输入您的问题，例如：「辞职了能领失业金吗？」\n"
        f"需要人工服务请回复「转人工」，也可以拨打{hotline}人社服务热线。"
    )


def text_only(hotline: str) -> str:
    """Sent for images, voice, video, locations, links...: only text can be answered."""
    return (
        "抱歉，目前只能识别文字消息，暂时看不懂图片、语音、位置等内容。"
        "请用文字描述您的问题，例如：「失业保险金怎么申领？」\n"
        f"如需人工服务请回复「转人工」，或拨打{hotline}人社服务热线。"
    )


def failed(hotline: str) -> str:
    """The channel itself failed unexpectedly (the chat service already handles bot outages)."""
    return f"抱歉，系统暂时无法处理您的消息，请稍后再试，或拨打{hotline}人社服务热线。"


OPTIONS_HEADER = "请回复数字选择："
TRUNCATED_SEE = "…详见："
TRUNCATED = "…（内容较长，已省略部分）"
