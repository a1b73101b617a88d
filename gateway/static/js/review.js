/* Staff review page: grouped questions, mark handled, write and approve interpretation drafts.
 * Plain JS, no inline script (CSP); every POST carries the CSRF token. */
(function () {
  "use strict";

  var page = window.StaffPage;  // staff.js: el, clear, api
  var $ = page.byId, el = page.el, clear = page.clear;
  var linked = { unanswered_ids: [], feedback_ids: [] };

  function notice(text) { $("review-notice").textContent = text || ""; }

  function api(method, url, body) { return page.api(method, url, body, "/review"); }

  function lines(text) { return text.split(/\n+/).map(function (s) { return s.trim(); }).filter(Boolean); }

  function loadGroups() {
    var status = $("filter-status").value, topic = $("filter-topic").value;
    var url = "/api/review/questions?status=" + encodeURIComponent(status) + (topic ? "&topic=" + encodeURIComponent(topic) : "");
    return api("GET", url).then(function (res) {
      var body = $("groups-body");
      clear(body);
      if (!res.ok) { notice(res.data.detail || "加载失败。"); return; }
      $("groups-summary").textContent = "共" + res.data.total + "条（未解答" + res.data.unanswered_total + "条，没帮助" + res.data.unhelpful_total + "条），归并为" + res.data.groups.length + "组。";
      res.data.groups.forEach(function (group) {
        var tr = el("tr");
        tr.appendChild(el("td", "times", String(group.count)));
        var q = el("td");
        q.appendChild(el("p", "question", group.question));
        if (group.variants.length > 1) {
          var details = el("details");
          details.appendChild(el("summary", null, "其他问法（" + (group.variants.length - 1) + "）"));
          var ul = el("ul");
          group.variants.slice(1).forEach(function (v) { ul.appendChild(el("li", null, v)); });
          details.appendChild(ul);
          q.appendChild(details);
        }
        tr.appendChild(q);
        tr.appendChild(el("td", null, group.topic_label || "未识别"));
        tr.appendChild(el("td", null, "未解答 " + group.unanswered_count + " · 没帮助 " + group.unhelpful_count));
        var actions = el("td");
        if (status === "open") {
          var write = el("button", "primary", "撰写解读");
          write.type = "button";
          write.setAttribute("aria-label", "为“" + group.question.slice(0, 20) + "”撰写解读");
          write.addEventListener("click", function () { startDraft(group); });
          var done = el("button", null, "标记已处理");
          done.type = "button";
          done.setAttribute("aria-label", "将“" + group.question.slice(0, 20) + "”标记为已处理");
          done.addEventListener("click", function () { markHandled(group); });
          actions.appendChild(write);
          actions.appendChild(done);
        }
        tr.appendChild(actions);
        body.appendChild(tr);
      });
    });
  }

  function markHandled(group) {
    api("POST", "/api/review/questions/handled", { unanswered_ids: group.unanswered_ids, feedback_ids: group.feedback_ids }).then(function (res) {
      notice(res.ok ? "已标记为已处理：" + group.question : (res.data.detail || "操作失败。"));
      loadGroups();
    });
  }

  function startDraft(group) {
    $("draft-question").value = group.question;
    $("draft-phrasings").value = group.variants.slice(1).join("\n");
    if (group.topic) { $("draft-topic").value = group.topic; }
    linked = { unanswered_ids: group.unanswered_ids, feedback_ids: group.feedback_ids };
    $("draft-linked").textContent = "保存后，这一组的" + group.count + "个问题将标记为已处理。";
    $("draft-question").focus();
  }

  function showProblems(list) {
    var box = $("draft-problems");
    clear(box);
    box.hidden = !list.length;
    if (!list.length) { return; }
    box.appendChild(el("p", null, "草稿未通过校验："));
    var ul = el("ul");
    list.forEach(function (p) { ul.appendChild(el("li", null, p)); });
    box.appendChild(ul);
  }

  $("draft-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {
      question: $("draft-question").value,
      phrasings: lines($("draft-phrasings").value),
      answer: $("draft-answer").value,
      cites: lines($("draft-cites").value),
      topic: $("draft-topic").value,
      region: $("draft-region").value,
      kind: $("draft-kind").value,
      unanswered_ids: linked.unanswered_ids,
      feedback_ids: linked.feedback_ids
    };
    api("POST", "/api/review/drafts", body).then(function (res) {
      if (!res.ok) { showProblems(res.data.problems || [res.data.detail || "保存失败。"]); return; }
      showProblems([]);
      notice("草稿已保存：" + res.data.draft.entry_id);
      event.target.reset();
      linked = { unanswered_ids: [], feedback_ids: [] };
      $("draft-linked").textContent = "";
      loadDrafts();
      loadGroups();
    });
  });

  function loadDrafts() {
    return api("GET", "/api/review/drafts").then(function (res) {
      var body = $("drafts-body");
      clear(body);
      if (!res.ok) { return; }
      res.data.drafts.forEach(function (d) {
        var tr = el("tr");
        tr.appendChild(el("td", null, d.entry_id));
        tr.appendChild(el("td", null, d.question));
        tr.appendChild(el("td", null, d.cites.join("、")));
        tr.appendChild(el("td", null, d.status === "approved" ? "已通过" : "草稿"));
        var actions = el("td");
        if (d.status === "draft") {
          var approve = el("button", "primary", "审核通过");
          approve.type = "button";
          approve.setAttribute("aria-label", "审核通过：" + d.entry_id);
          approve.addEventListener("click", function () {
            api("POST", "/api/review/drafts/" + d.id + "/approve").then(function (r) {
              notice(r.ok ? "已审核通过：" + d.entry_id : (r.data.problems || [r.data.detail]).join("；"));
              loadDrafts();
            });
          });
          actions.appendChild(approve);
        }
        tr.appendChild(actions);
        body.appendChild(tr);
      });
    });
  }

  $("group-filter").addEventListener("submit", function (event) { event.preventDefault(); loadGroups(); });
  loadGroups();
  loadDrafts();
})();
