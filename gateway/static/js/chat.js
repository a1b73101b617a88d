/* Web chat of the 人社 policy-consultation bot: plain JS, no dependencies.
 * - POST /api/chat {session_id, text} or {session_id, payload} (a button); the session id the
 *   server returns is kept in localStorage so a reload continues the conversation
 *   (GET /api/chat/{session_id} returns the transcript and the place in the agents' queue).
 * - While the conversation waits for or is with an agent, the page subscribes to
 *   GET /api/chat/{session_id}/events (Server-Sent Events): agent replies and status changes
 *   arrive live (the message list is an aria-live region); EventSource reconnects by itself and
 *   resumes from the last event id; after a reload the page subscribes again.
 * - Everything is rendered with textContent, never as markup: bot and agent text is data.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "rs12333.session_id";
  var POLL_MS = 5000;
  var root = document.querySelector(".chat");
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("question");
  var sendButton = document.getElementById("send");
  var statusLine = document.getElementById("status");
  var errorLine = document.getElementById("error");
  var counter = document.getElementById("counter");
  var newChat = document.getElementById("new-chat");
  var askHuman = document.getElementById("ask-human");
  var maxChars = parseInt(root.getAttribute("data-max-chars"), 10) || 1000;
  var hotline = root.getAttribute("data-hotline") || "12333";

  var sessionId = null;
  var lastSeenId = 0;
  var rendered = {};
  var status = "bot";
  var queuePosition = null;
  var busy = false;
  var events = null;
  var pollTimer = null;

  try { sessionId = window.localStorage.getItem(STORAGE_KEY); } catch (e) { sessionId = null; }

  var ROLE_LABEL = { citizen: "我", bot: "智能客服", agent: "人工客服", system: "系统提示" };
  var STATUS_TEXT = {
    bot: "智能客服为您服务",
    with_agent: "人工客服已接入，正在为您服务",
    closed: "本次对话已结束，发送新消息将开始新的咨询"
  };
  var VALIDITY_CLASS = { "现行有效": "current", "已修订": "revised", "已失效": "expired" };

  function waitingText(position) {
    var where = "";
    if (position === 1) { where = "您是下一位，"; }
    else if (position > 1) { where = "您前面还有" + (position - 1) + "位市民，"; }
    return "正在为您转接人工客服，" + where + "请稍候…（也可拨打" + hotline + "）";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function safeUrl(url) {
    if (typeof url !== "string") { return null; }
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") { return url; }
    if (/^https?:\/\//i.test(url)) { return url; }
    return null;
  }

  function renderSources(sources) {
    var ul = el("ul", "sources");
    ul.setAttribute("aria-label", "政策依据");
    sources.forEach(function (s) {
      var li = el("li");
      li.appendChild(el("span", "label", "依据："));
      var label = s.title + (s.article ? " " + s.article : "");
      var url = safeUrl(s.url);
      if (url) {
        if (s.article && url.indexOf("#") < 0 && url.indexOf("/policy/") === 0) { url += "#" + encodeURIComponent(s.article); }
        var a = el("a", null, label);
        a.href = url;
        li.appendChild(a);
      } else {
        li.appendChild(el("span", null, label));
      }
      if (s.doc_number) { li.appendChild(el("span", "docno", s.doc_number)); }
      if (s.validity) { li.appendChild(el("span", "badge badge-" + (VALIDITY_CLASS[s.validity] || "unknown"), s.validity)); }
      var extra = [s.issuer, s.date, s.region && s.region !== "全国" ? s.region : null].filter(Boolean).join(" · ");
      if (extra) { li.appendChild(el("span", "docno", extra)); }
      ul.appendChild(li);
    });
    return ul;
  }

  function renderButtons(buttons) {
    var box = el("div", "buttons");
    buttons.forEach(function (b) {
      var button = el("button", null, b.title);
      button.type = "button";
      button.addEventListener("click", function () { send({ payload: b.payload }, b.title); });
      box.appendChild(button);
    });
    return box;
  }

  function addMessage(role, message) {
    if (message.id) {
      if (rendered[message.id]) { return; }
      rendered[message.id] = true;
    }
    var li = el("li", "message " + role);
    li.appendChild(el("span", "who", ROLE_LABEL[role] || ""));
    var bubble = el("div", "bubble");
    String(message.text || "").split(/\n+/).forEach(function (line) {
      if (line.trim()) { bubble.appendChild(el("p", null, line)); }
    });
    if (message.sources && message.sources.length) { bubble.appendChild(renderSources(message.sources)); }
    if (message.buttons && message.buttons.length) { bubble.appendChild(renderButtons(message.buttons)); }
    li.appendChild(bubble);
    list.appendChild(li);
    li.scrollIntoView({ block: "end", behavior: "smooth" });
  }

  function setStatus(next, position) {
    var changed = next !== status || position !== queuePosition;
    status = next || "bot";
    queuePosition = typeof position === "number" ? position : null;
    if (changed || !statusLine.textContent) {
      statusLine.textContent = status === "waiting_agent" ? waitingText(queuePosition) : (STATUS_TEXT[status] || "");
    }
    statusLine.className = "status" + (status === "waiting_agent" ? " waiting" : status === "with_agent" ? " agent" : "");
    askHuman.hidden = status === "waiting_agent" || status === "with_agent";
    if (status === "waiting_agent" || status === "with_agent") { subscribe(); } else { unsubscribe(); }
  }

  function showError(text) {
    errorLine.textContent = text || "";
    errorLine.hidden = !text;
  }

  function remember(id) {
    sessionId = id;
    try { window.localStorage.setItem(STORAGE_KEY, id); } catch (e) { /* private mode: session lasts for this page */ }
  }

  function forget() {
    unsubscribe();
    sessionId = null;
    lastSeenId = 0;
    rendered = {};
    try { window.localStorage.removeItem(STORAGE_KEY); } catch (e) { /* ignore */ }
  }

  function fetchTranscript(after) {
    var url = "/api/chat/" + encodeURIComponent(sessionId) + (after ? "?after=" + after : "");
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 404) { forget(); return null; }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  /* Live updates: Server-Sent Events while a human owns (or is about to own) the conversation. */
  function subscribe() {
    if (!sessionId) { return; }
    if (!window.EventSource) { startPolling(); return; }
    if (events) { return; }
    var source = new EventSource("/api/chat/" + encodeURIComponent(sessionId) + "/events?after=" + lastSeenId);
    events = source;
    source.addEventListener("message", function (event) {
      var m = JSON.parse(event.data);
      addMessage(m.role, m);
      lastSeenId = Math.max(lastSeenId, m.id);
    });
    source.addEventListener("status", function (event) {
      var data = JSON.parse(event.data);
      setStatus(data.status, data.queue_position);
    });
    source.addEventListener("error", function () {
      /* EventSource retries by itself; a 404 (unknown session) closes it for good. */
      if (source.readyState === 2 && events === source) { events = null; }
    });
  }

  function unsubscribe() {
    if (events) { events.close(); events = null; }
    stopPolling();
  }

  /* After a send, learn the ids of what the response showed; show staff messages (agent replies,
   * notices) not shown yet. Also the fallback poll for browsers without EventSource. */
  function sync() {
    if (!sessionId) { return Promise.resolve(); }
    return fetchTranscript(lastSeenId).then(function (data) {
      if (!data) { return; }
      data.messages.forEach(function (m) {
        if (m.id <= lastSeenId) { return; }
        if (m.from_staff) { addMessage(m.role, m); } else { rendered[m.id] = true; }
        lastSeenId = m.id;
      });
      setStatus(data.status, data.queue_position);
    }).catch(function () { /* retried on the next send or tick */ });
  }

  function startPolling() {
    if (!pollTimer) { pollTimer = window.setInterval(function () { if (!busy) { sync(); } }, POLL_MS); }
  }

  function stopPolling() {
    if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
  }

  function send(body, shownText) {
    if (busy) { return; }
    busy = true;
    sendButton.disabled = true;
    showError("");
    if (sessionId) { body.session_id = sessionId; }
    var previousSession = sessionId;
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    }).then(function (res) {
      if (!res.ok) {
        showError(typeof res.data.detail === "string" ? res.data.detail : "发送失败，请稍后再试。");
        return;
      }
      if (res.data.session_id !== previousSession) { unsubscribe(); lastSeenId = 0; rendered = {}; }
      remember(res.data.session_id);
      addMessage("citizen", { text: shownText });
      if (body.text !== undefined) { input.value = ""; updateCounter(); }
      res.data.messages.forEach(function (m) { addMessage("bot", m); });
      return sync();
    }).catch(function () {
      showError("网络异常，消息未发送，请检查网络后重试。如需帮助请拨打" + hotline + "。");
    }).then(function () {
      busy = false;
      sendButton.disabled = false;
    });
  }

  function updateCounter() {
    var n = input.value.length;
    counter.textContent = n > maxChars * 0.8 ? "（" + n + "/" + maxChars + "）" : "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { showError("请输入您要咨询的问题。"); input.focus(); return; }
    if (text.length > maxChars) { showError("问题太长了，请控制在" + maxChars + "个字以内。"); return; }
    send({ text: text }, text);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", updateCounter);

  askHuman.addEventListener("click", function () { send({ payload: "/request_human" }, "转人工"); });

  newChat.addEventListener("click", function () {
    forget();
    Array.prototype.slice.call(list.querySelectorAll(".message:not(.intro)")).forEach(function (n) { n.remove(); });
    setStatus("bot", null);
    input.focus();
  });

  if (sessionId) {
    fetchTranscript(0).then(function (data) {
      if (!data) { return; }
      data.messages.forEach(function (m) { addMessage(m.role, m); lastSeenId = Math.max(lastSeenId, m.id); });
      setStatus(data.status, data.queue_position);
    }).catch(function () { /* keep the id; the next send will tell */ });
  }
})();
