/* Autosave companion (no libraries). htmx posts each field 800 ms after typing stops; this script
   1. keeps every value not yet acknowledged by the server in localStorage, so a closed tab, a lost network or
      a stale-revision conflict never loses typing, and restores it on reload when the server copy is older;
   2. shows the save state, marks fields invalid from the server's message, and retries when back online. */
(function () {
  "use strict";
  var form = document.getElementById("application-form");
  if (!form) return;
  var storeKey = "onetrip-draft-" + form.dataset.application;
  var status = document.getElementById("save-text");
  function load() { try { return JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return {}; } }
  function store(d) {
    try { if (Object.keys(d).length) { localStorage.setItem(storeKey, JSON.stringify(d)); } else { localStorage.removeItem(storeKey); } } catch (e) { /* private mode: the server copy still holds */ }
  }
  function valueOf(el) {
    if (el.type === "checkbox") {
      return Array.prototype.map.call(form.querySelectorAll('input[type="checkbox"][data-key="' + el.dataset.key + '"]:checked'), function (c) { return c.value; }).join("\n");
    }
    if (el.multiple) { return Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; }).join("\n"); }
    if (el.type === "radio") { var c = form.querySelector('input[type="radio"][data-key="' + el.dataset.key + '"]:checked'); return c ? c.value : ""; }
    return el.value;
  }
  function setValue(key, value) {
    var els = form.querySelectorAll('[data-key="' + key + '"]');
    if (!els.length) return null;
    var first = els[0];
    if (first.type === "checkbox" || first.type === "radio") {
      var wanted = String(value).split("\n");
      els.forEach(function (el) { el.checked = wanted.indexOf(el.value) >= 0; });
    } else if (first.multiple) {
      var picked = String(value).split("\n");
      Array.prototype.forEach.call(first.options, function (o) { o.selected = picked.indexOf(o.value) >= 0; });
    } else { first.value = value; }
    return first;
  }
  function say(text, cls) { if (status) { status.textContent = text; status.className = cls || ""; } }
  form.addEventListener("input", function (e) {
    var key = e.target.dataset && e.target.dataset.key;
    if (!key) return;
    var d = load(); d[key] = { v: valueOf(e.target), t: Date.now() }; store(d);
    say("有未保存的输入…", "state-saving");
  });
  form.addEventListener("change", function (e) {
    var key = e.target.dataset && e.target.dataset.key;
    if (!key) return;
    var d = load(); d[key] = { v: valueOf(e.target), t: Date.now() }; store(d);
  });
  document.body.addEventListener("htmx:configRequest", function (e) {
    var el = e.detail.elt; if (el && el.dataset && el.dataset.key) { el._sent = e.detail.parameters.value; say("正在保存…", "state-saving"); }
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var el = e.detail.elt; var xhr = e.detail.xhr;
    if (!el || !el.dataset || !el.dataset.key || !xhr) return;
    if (xhr.status >= 200 && xhr.status < 300) {
      var d = load(); var key = el.dataset.key;
      // Forget it only when the server has exactly what is stored; newer typing stays until its own save.
      if (d[key] && String(d[key].v) === String(el._sent)) { delete d[key]; store(d); }
      var now = new Date();
      say("已自动保存 " + String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0"), "state-saved");
    }
  });
  document.body.addEventListener("htmx:sendError", function () {
    say("网络中断：您的输入已暂存在本设备，恢复网络后自动保存。", "state-offline");
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    var t = e.detail.target;
    if (t && t.classList && t.classList.contains("field-error")) {
      var input = document.querySelector('[aria-describedby~="' + t.id + '"]');
      if (input) { if (t.textContent.trim()) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); } }
    }
  });
  function resend() {
    var d = load();
    Object.keys(d).forEach(function (key) {
      var el = form.querySelector('[data-key="' + key + '"]');
      if (el) htmx.trigger(el, "autosave");
    });
  }
  window.addEventListener("online", resend);
  // On reload: values typed after the server's last save come back and are sent again.
  var serverSaved = Number(form.dataset.savedAt || 0);
  var d = load(); var restored = 0;
  Object.keys(d).forEach(function (key) {
    if (d[key].t > serverSaved) {
      var el = setValue(key, d[key].v);
      if (el) { restored += 1; el.setAttribute("data-restored", ""); } else { delete d[key]; }
    } else { delete d[key]; }
  });
  store(d);
  if (restored) {
    say("已恢复您在本设备上尚未保存的 " + restored + " 项输入，正在保存…", "state-saving");
    window.setTimeout(resend, 50);
  }
})();
