/* Shared by the staff pages (agent console, review): DOM helpers and the JSON API call that
 * carries the session's CSRF token and sends an expired login back to the login page.
 * Plain JS, no dependencies, no inline script (CSP); exposes window.StaffPage. */
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  /* fetch JSON; resolves to {ok, status, data}. loginNext: where to return after a new login. */
  function api(method, url, body, loginNext) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") { headers["X-CSRF-Token"] = csrf; headers["Content-Type"] = "application/json"; }
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 401) { window.location.assign("/console/login?next=" + loginNext); }
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }

  window.StaffPage = {
    el: el,
    clear: clear,
    api: api,
    byId: function (id) { return document.getElementById(id); }
  };
})();
