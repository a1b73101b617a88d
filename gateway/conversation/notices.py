"""What the gateway itself says to citizens (Simplified Chinese), in one place for review."""

from __future__ import annotations

CANCEL_HANDOFF_PAYLOAD = "/cancel_handoff"
"""A button the gateway adds while a citizen waits for an agent; handled here, never sent to Rasa."""

EMPTY_MESSAGE = "消息不能为空，请输入您要咨询的问题。"
INVALID_PAYLOAD = "按钮指令无效，请直接输入您的问题。"
BAD_REQUEST = "请求格式不正确。"
SESSION_NOT_FOUND = "会话不存在或已过期，请重新开始咨询。"
RATE_LIMITED = "您发送得太快了，请稍后再试。"
BODY_TOO_LARGE = "请求内容过大。"


def too_long(limit: int) -> str:
    return f"消息过长：请把问题控制在{limit}个字以内。"


def system_unavailable(hotline: str) -> str:
    return (
        "抱歉，智能咨询系统暂时无法使用。您的问题已经记录并转给人工客服，客服上线后会尽快回复您；"
        f"如需立即咨询，请拨打{hotline}人社服务热线。"
    )


def waiting_for_agent(hotline: str) -> str:
    return (
        "您的留言已记录，正在为您转接人工客服，请耐心等候，客服接入后会看到您的全部留言。"
        f"如需立即咨询，也可以拨打{hotline}热线。"
    )


def handoff_started(hotline: str) -> str:
    return f"正在为您转接人工客服，请稍候。如需立即咨询，也可以拨打{hotline}热线。"


WITH_AGENT_ACK = "您的消息已发送给人工客服，请稍候回复。"
HANDOFF_CANCELLED = "已取消转人工，您可以继续向智能客服提问。"
CANCEL_BUTTON = {"title": "不等了，继续问智能客服", "payload": CANCEL_HANDOFF_PAYLOAD}

# Told to the citizen when an agent acts on the conversation (delivered live, see console/).
AGENT_JOINED = "人工客服已接入，正在查看您的咨询记录，请稍候。"
AGENT_CLOSED = "本次人工服务已结束，感谢您的咨询。如有新的问题，可以直接发送，智能客服将继续为您服务。"
HANDED_BACK = "人工客服已将对话交还智能客服，您可以继续提问；如需人工服务，可再次点击“转人工”。"
REQUEUED = "您的咨询已重新进入人工客服队列，请稍候。"
HUMAN_BUTTON = {"title": "转人工", "payload": "/request_human"}
"""The chat page's permanent 转人工 button (sent to the bot, whose request_human rule hands off)."""
