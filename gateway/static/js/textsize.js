/* 适老化: a larger-text switch. Loaded in <head> (no defer) so the chosen size applies before the
 * first paint; the choice is kept in localStorage. Buttons marked [data-text-size-toggle] toggle
 * it and report their state with aria-pressed. */
(function () {
  "use strict";
  var KEY = "rs12333.large_text";
  var root = document.documentElement;

  function stored() {
    try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }

  function apply(on) {
    root.classList.toggle("large-text", on);
    Array.prototype.forEach.call(document.querySelectorAll("[data-text-size-toggle]"), function (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");  /* the label stays 大字模式 */
    });
  }

  apply(stored());
  document.addEventListener("DOMContentLoaded", function () {
    apply(stored());
    Array.prototype.forEach.call(document.querySelectorAll("[data-text-size-toggle]"), function (button) {
      button.addEventListener("click", function () {
        var on = !root.classList.contains("large-text");
        try { window.localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode: this page only */ }
        apply(on);
      });
    });
  });
})();
