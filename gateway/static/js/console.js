/* Agent console: plain JS, no dependencies, no inline script (CSP).
 * Polls the queue every 3 s and the open conversation every 2 s; every POST carries the
 * session's CSRF token (X-CSRF-Token). Everything is rendered with textContent. */
(function () {
  "use strict";

  var QUEUE_MS = 3000;
  var CONV_MS = 2000;
  var page = window.StaffPage;  // staff.js: el, clear, api
  var $ = page.byId, el = page.el, clear = page.clear;

  var current = null;      // open conversation id
  var lastMsgId = 0;
  var view = null;         // last conversation view
  var pendingSources = []; // sources attached to the reply being written
  var queueData = null;

  var ROLE = { citizen: "市民", bot: "智能客服", agent: "人工客服", system: "系统" };
  var STATUS = { bot: "智能客服服务中", waiting_agent: "等待人工", with_agent: "人工服务中", closed: "已结束" };
  var CHANNEL = { web: "网页", wechat: "微信" };
  var VALIDITY_CLASS = { "现行有效": "current", "已修订": "revised", "已失效": "expired" };

  function notice(text) { $("console-notice").textContent = text || ""; }

  function api(method, url, body) { return page.api(method, url, body, "/console"); }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || seconds < 0) { return "—"; }
    var m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    if (m >= 60) { return Math.floor(m / 60) + "小时" + (m % 60) + "分"; }
    return (m ? m + "分" : "") + s + "秒";
  }

  function since(iso) { return iso ? (Date.now() - Date.parse(iso)) / 1000 : null; }

  function safeUrl(url) {
    if (typeof url !== "string") { return null; }
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") { return url; }
    return /^https?:\/\//i.test(url) ? url : null;
  }

  /* ---------- queue ---------- */
  function renderQueue() {
    if (!queueData) { return; }
    var body = $("queue-body");
    clear(body);
    $("queue-count").textContent = String(queueData.waiting_total);
    queueData.waiting.forEach(function (item) {
      var tr = el("tr");
      tr.appendChild(el("td", null, String(item.position)));
      var wait = el("td", "waited", duration(since(item.waiting_since)));
      wait.setAttribute("data-since", item.waiting_since || "");
      tr.appendChild(wait);
      tr.appendChild(el("td", null, item.topic_label || "未识别"));
      tr.appendChild(el("td", null, item.reason_label || "—"));
      tr.appendChild(el("td", null, CHANNEL[item.channel] || item.channel));
      tr.appendChild(el("td", "question", item.question || ""));
      var td = el("td");
      var claimButton = el("button", "primary", "接入");
      claimButton.type = "button";
      claimButton.setAttribute("aria-label", "接入第" + item.position + "位：" + (item.question || "").slice(0, 20));
      claimButton.addEventListener("click", function () { claim(item.conversation_id); });
      var look = el("button", null, "查看");
      look.type = "button";
      look.setAttribute("aria-label", "查看第" + item.position + "位的对话记录（脱敏）");
      look.addEventListener("click", function () { open(item.conversation_id); });
      td.appendChild(claimButton);
      td.appendChild(look);
      tr.appendChild(td);
      body.appendChild(tr);
    });
    $("queue-empty").hidden = queueData.waiting.length > 0;
    var mine = $("mine-list");
    clear(mine);
    queueData.mine.forEach(function (item) {
      var li = el("li");
      var button = el("button", item.conversation_id === current ? "current" : null,
        "会话 #" + item.conversation_id + " · " + (item.topic_label || "未识别") + " · " + (CHANNEL[item.channel] || item.channel));
      button.type = "button";
      if (item.conversation_id === current) { button.setAttribute("aria-current", "true"); }
      button.addEventListener("click", function () { open(item.conversation_id); });
      li.appendChild(button);
      mine.appendChild(li);
    });
    $("mine-empty").hidden = queueData.mine.length > 0;
  }

  function tickWaits() {
    Array.prototype.forEach.call(document.querySelectorAll("td.waited"), function (td) {
      td.textContent = duration(since(td.getAttribute("data-since")));
    });
  }

  function loadQueue() {
    return api("GET", "/api/console/queue").then(function (res) {
      if (res.ok) { queueData = res.data; renderQueue(); }
    }).catch(function () { /* next tick */ });
  }

  /* ---------- conversation ---------- */
  function addMeta(dl, term, value) {
    var div = el("div");
    div.appendChild(el("dt", null, term));
    div.appendChild(el("dd", null, value));
    dl.appendChild(div);
  }

  function renderSources(sources) {
    var ul = el("ul", "sources");
    ul.setAttribute("aria-label", "政策依据");
    sources.forEach(function (s) {
      var li = el("li");
      var url = safeUrl(s.url);
      var label = "依据：" + s.title + (s.article ? " " + s.article : "");
      if (url) { var a = el("a", null, label); a.href = url; a.target = "_blank"; a.rel = "noopener"; li.appendChild(a); }
      else { li.appendChild(el("span", null, label)); }
      ul.appendChild(li);
    });
    return ul;
  }

  function appendMessages(messages) {
    var ol = $("transcript");
    messages.forEach(function (m) {
      if (m.id <= lastMsgId) { return; }
      lastMsgId = m.id;
      var li = el("li", "tmsg " + m.role);
      var head = el("p", "who", (ROLE[m.role] || m.role) + (m.agent ? "（" + m.agent + "）" : "") + " · " + new Date(m.created_at).toLocaleTimeString("zh-CN"));
      li.appendChild(head);
      String(m.text || "").split(/\n+/).forEach(function (line) { if (line.trim()) { li.appendChild(el("p", "text", line)); } });
      if (m.sources && m.sources.length) { li.appendChild(renderSources(m.sources)); }
      if (m.buttons && m.buttons.length) { li.appendChild(el("p", "hint", "按钮：" + m.buttons.join("、"))); }
      ol.appendChild(li);
    });
    var last = ol.lastElementChild;
    if (last) { last.scrollIntoView({ block: "nearest" }); }
  }

  function renderConversation(data, fresh) {
    view = data;
    var c = data.conversation;
    $("conv-empty").hidden = true;
    $("conv").hidden = false;
    $("conv-title").textContent = "会话详情 #" + c.id;
    var dl = $("conv-meta");
    clear(dl);
    addMeta(dl, "状态", STATUS[c.status] || c.status);
    addMeta(dl, "渠道", CHANNEL[c.channel] || c.channel);
    addMeta(dl, "主题", c.topic_label || "未识别");
    if (c.status === "waiting_agent") { addMeta(dl, "排队", "第" + c.queue_position + "位，已等待" + duration(since(c.waiting_since))); }
    if (c.assigned_agent) { addMeta(dl, "接待坐席", c.assigned_agent); }
    $("conv-privacy").textContent = data.unmasked
      ? "您正在服务该市民，对话显示原文（含个人信息），请勿外传。"
      : "对话中的身份证号、手机号、银行卡号已脱敏；接入后可查看原文。";
    if (fresh) {
      clear($("transcript"));
      lastMsgId = 0;
      var t = data.ticket;
      $("ticket-summary").textContent = t
        ? "原因：" + (t.reason_label || t.reason) + "；问题：" + (t.question || "（无）") + (t.resolution_note ? "；处理备注：" + t.resolution_note : "")
        : "无工单。";
      var cand = $("candidates");
      clear(cand);
      (t && t.candidates.length ? t.candidates : []).forEach(function (candidate) {
        var li = el("li");
        li.appendChild(el("p", "title", (candidate.title || "") + (candidate.article ? " " + candidate.article : "")));
        if (candidate.text) { li.appendChild(el("p", "text", candidate.text)); }
        var insert = el("button", null, "插入引用");
        insert.type = "button";
        insert.setAttribute("aria-label", "插入引用：" + (candidate.title || "") + (candidate.article || ""));
        insert.addEventListener("click", function () { insertCitation(candidateCitation(candidate)); });
        li.appendChild(insert);
        cand.appendChild(li);
      });
      if (!cand.firstChild) { cand.appendChild(el("li", "hint", "智能客服没有提供候选答案。")); }
    }
    appendMessages(data.messages);
    $("claim-button").hidden = !data.can.claim;
    $("reply-form").hidden = !data.can.reply;
    $("close-form").hidden = !data.can.close;
  }

  function open(id) {
    current = id;
    return api("GET", "/api/console/conversations/" + id).then(function (res) {
      if (!res.ok) { notice(res.data.detail || "无法打开会话。"); return; }
      pendingSources = [];
      renderChips();
      renderConversation(res.data, true);
      renderQueue();
    });
  }

  function refreshConversation() {
    if (!current) { return Promise.resolve(); }
    return api("GET", "/api/console/conversations/" + current + "?after=" + lastMsgId).then(function (res) {
      if (res.ok && res.data.conversation.id === current) { renderConversation(res.data, false); }
    }).catch(function () { /* next tick */ });
  }

  function claim(id) {
    return api("POST", "/api/console/conversations/" + id + "/claim").then(function (res) {
      if (res.status === 409) { notice(res.data.detail || "该会话已被其他坐席接入。"); loadQueue(); return; }
      if (!res.ok) { notice(res.data.detail || "接入失败。"); return; }
      current = id;
      notice("已接入会话 #" + id + "。");
      pendingSources = [];
      renderChips();
      renderConversation(res.data, true);
      loadQueue();
      $("reply-text").focus();
    });
  }

  /* ---------- citations ---------- */
  function candidateCitation(candidate) {
    var url = safeUrl(candidate.url);
    var text = "「《" + (candidate.title || "") + "》" + (candidate.article || "") + "：" + String(candidate.text || "").slice(0, 80) + "……」";
    if (url) { text += "（原文：" + (url.charAt(0) === "/" ? window.location.origin + url : url) + "）"; }
    var kind = url && url.indexOf("/interpretation/") === 0 ? "interpretation" : "policy";
    return { text: text, source: { kind: kind, title: candidate.title || "政策依据", article: kind === "policy" ? candidate.article : null, url: url } };
  }

  function insertCitation(citation) {
    var box = $("reply-text");
    if (!view || !view.can.reply) { notice("请先接入会话，再插入引用。"); return; }
    var start = box.selectionStart || box.value.length, end = box.selectionEnd || box.value.length;
    var before = box.value.slice(0, start), after = box.value.slice(end);
    var piece = (before && !/\n$/.test(before) ? "\n" : "") + citation.text + "\n";
    box.value = before + piece + after;
    box.selectionStart = box.selectionEnd = (before + piece).length;
    if (citation.source && !pendingSources.some(function (s) { return s.url === citation.source.url && s.title === citation.source.title; })) {
      pendingSources.push(citation.source);
      renderChips();
    }
    notice("已插入引用：" + citation.source.title + (citation.source.article ? " " + citation.source.article : ""));
    box.focus();
  }

  function renderChips() {
    var ul = $("reply-sources");
    clear(ul);
    pendingSources.forEach(function (s, index) {
      var li = el("li", "chip");
      li.appendChild(el("span", null, s.title + (s.article ? " " + s.article : "")));
      var remove = el("button", null, "移除");
      remove.type = "button";
      remove.setAttribute("aria-label", "移除依据：" + s.title + (s.article ? " " + s.article : ""));
      remove.addEventListener("click", function () { pendingSources.splice(index, 1); renderChips(); });
      li.appendChild(remove);
      ul.appendChild(li);
    });
  }

  /* ---------- actions ---------- */
  $("claim-button").addEventListener("click", function () { if (current) { claim(current); } });

  $("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text) { notice("请先填写回复内容。"); $("reply-text").focus(); return; }
    var button = $("reply-send");
    button.disabled = true;
    api("POST", "/api/console/conversations/" + current + "/reply", { text: text, sources: pendingSources }).then(function (res) {
      if (!res.ok) { notice(res.data.detail || "发送失败。"); return; }
      $("reply-text").value = "";
      pendingSources = [];
      renderChips();
      notice(res.data.delivery && !res.data.delivery.pushed ? res.data.delivery.detail : "回复已发送。");
      return refreshConversation();
    }).then(function () { button.disabled = false; }, function () { button.disabled = false; notice("网络异常，回复未发送。"); });
  });

  function end(action, body, done) {
    return api("POST", "/api/console/conversations/" + current + "/" + action, body).then(function (res) {
      if (!res.ok) { notice(res.data.detail || "操作失败。"); return; }
      notice(done);
      $("close-note").value = "";
      renderConversation(res.data, true);
      loadQueue();
    });
  }

  $("close-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var note = $("close-note").value.trim();
    if (!note) { notice("请填写处理结果备注后再结束会话。"); $("close-note").focus(); return; }
    end("close", { note: note }, "会话已结束。");
  });
  $("handback-button").addEventListener("click", function () { end("hand-back", { note: $("close-note").value.trim() }, "已交还智能客服。"); });
  $("requeue-button").addEventListener("click", function () { end("requeue", undefined, "已退回队列。"); });

  /* ---------- search ---------- */
  function badge(text, cls) { return el("span", "badge " + cls, text); }

  $("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var params = new URLSearchParams();
    ["q", "topic", "region", "source_kind", "doc_kind"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { params.set(name, value); }
    });
    if (form.elements.include_expired.checked) { params.set("include_expired", "true"); }
    $("search-status").textContent = "正在检索…";
    api("GET", "/api/console/search?" + params.toString()).then(function (res) {
      var ol = $("search-results");
      clear(ol);
      if (!res.ok) { $("search-status").textContent = res.data.detail || "检索失败。"; return; }
      $("search-status").textContent = res.data.results.length ? "找到" + res.data.results.length + "条结果。" : "没有找到相关内容，请换个关键词或放宽筛选条件。";
      res.data.results.forEach(function (hit) {
        var li = el("li", "hit");
        var title = el("p", "title");
        var url = safeUrl(hit.url);
        var label = hit.title + (hit.article ? " " + hit.article : "");
        if (url) { var a = el("a", null, label); a.href = url; a.target = "_blank"; a.rel = "noopener"; title.appendChild(a); }
        else { title.appendChild(el("span", null, label)); }
        li.appendChild(title);
        var meta = el("p", "meta-line");
        meta.appendChild(el("span", null, hit.source_kind_label));
        if (hit.source_kind === "policy" || hit.source_kind === "case") { meta.appendChild(badge(hit.validity, "badge-" + (VALIDITY_CLASS[hit.validity] || "unknown"))); }
        [hit.doc_number, hit.doc_kind !== "政策解读" ? hit.doc_kind : null, hit.region, hit.date, hit.topic_label].filter(Boolean).forEach(function (v) { meta.appendChild(el("span", "docno", v)); });
        li.appendChild(meta);
        var snippet = el("p", "snippet");
        hit.snippet.forEach(function (part) { snippet.appendChild(part.mark ? el("mark", null, part.text) : document.createTextNode(part.text)); });
        li.appendChild(snippet);
        var insert = el("button", null, "插入引用");
        insert.type = "button";
        insert.setAttribute("aria-label", "插入引用：" + label);
        insert.addEventListener("click", function () { insertCitation(hit.citation); });
        li.appendChild(insert);
        ol.appendChild(li);
      });
    }).catch(function () { $("search-status").textContent = "网络异常，检索失败。"; });
  });

  loadQueue();
  window.setInterval(loadQueue, QUEUE_MS);
  window.setInterval(function () { refreshConversation(); }, CONV_MS);
  window.setInterval(tickWaits, 1000);
})();
