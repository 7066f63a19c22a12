// 执录: the little the pages need beyond htmx. No inline scripts (the pages' CSP forbids them).
"use strict";

// Timeline and chart positions: data-left / data-width in per mille of the track.
function place(root) {
  root.querySelectorAll("[data-left]").forEach(function (el) {
    el.style.left = (Number(el.dataset.left) / 10) + "%";
    if (el.dataset.width !== undefined) el.style.width = (Number(el.dataset.width) / 10) + "%";
  });
}

function show(el, msg) { el.textContent = msg; el.hidden = false; }

// Login: JSON to the API (the CSRF rule for login), then on to `next`; an initial password
// must be changed first.
function login(form) {
  var err = document.getElementById("login-error");
  var change = document.getElementById("change-form");
  var token = null;
  var next = form.dataset.next || "/";
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    err.hidden = true;
    fetch("/api/v1/session", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: form.user.value.trim(), password: form.password.value })
    }).then(function (r) {
      return r.json().then(function (b) { return { ok: r.ok, body: b }; });
    }).then(function (r) {
      if (!r.ok) { show(err, r.body.message || "登录失败"); return; }
      if (r.body.must_change_password) {
        token = r.body.csrf_token; form.hidden = true; change.hidden = false; return;
      }
      location.assign(next);
    }).catch(function () { show(err, "无法连接服务器，请检查网络后重试"); });
  });
  change.addEventListener("submit", function (e) {
    e.preventDefault();
    var cerr = document.getElementById("change-error");
    fetch("/api/v1/session/password", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ current: form.password.value, new: change["new"].value })
    }).then(function (r) {
      if (r.ok) { location.assign(next); return; }
      return r.json().then(function (b) { show(cerr, b.message || "修改失败"); });
    }).catch(function () { show(cerr, "无法连接服务器，请检查网络后重试"); });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  place(document);
  var form = document.getElementById("login-form");
  if (form) login(form);
  document.querySelectorAll("button.print").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
});
document.addEventListener("htmx:afterSettle", function (e) { place(e.target); });
