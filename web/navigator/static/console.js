/*
 * Navigator console behaviour (no framework; the CSP allows no inline script).
 * Every state-changing call sends the CSRF token from <meta name="csrf-token"> in X-CSRF-Token.
 * Text from the server is only ever put on the page with textContent.
 */
(function () {
  "use strict";

  var POLL_MS = 4000;
  var ROLE_LABELS = { user: "Patient", bot: "Assistant", navigator: "Navigator" };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function notice(text, isError) {
    var box = document.querySelector('[data-testid="notice"]');
    if (!box) {
      return;
    }
    box.textContent = text;
    box.className = "notice" + (isError ? " notice-error" : "");
    box.hidden = !text;
  }

  function api(method, url, body) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["X-CSRF-Token"] = csrfToken();
    }
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    return fetch(url, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/navigator/login");
        throw new Error("signed out");
      }
      if (!response.ok) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            var err = new Error(typeof data.detail === "string" ? data.detail : "HTTP " + response.status);
            err.status = response.status;
            throw err;
          });
      }
      return response.status === 204 ? null : response.json();
    });
  }

  function failed(err) {
    notice("That did not work: " + (err && err.message ? err.message : "unknown error"), true);
  }

  // ---- sign-in ------------------------------------------------------------------------------------------
  function setUpLogin() {
    var form = document.getElementById("login-form");
    if (!form) {
      return;
    }
    var error = form.querySelector('[data-testid="login-error"]');
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      error.hidden = true;
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      fetch("/api/navigator/login", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ username: form.username.value, password: form.password.value }),
        credentials: "same-origin",
        cache: "no-store",
      })
        .then(function (response) {
          if (response.ok) {
            window.location.assign("/navigator");
            return null;
          }
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (data) {
              error.textContent = typeof data.detail === "string" ? data.detail : "Sign-in failed.";
              error.hidden = false;
              form.password.value = "";
              form.password.focus();
            });
        })
        .catch(function () {
          error.textContent = "The console cannot be reached. Check the connection and try again.";
          error.hidden = false;
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  }

  function setUpLogout() {
    var button = document.querySelector('[data-action="logout"]');
    if (!button) {
      return;
    }
    button.addEventListener("click", function () {
      api("POST", "/api/navigator/logout")
        .then(function () {
          window.location.assign("/navigator/login");
        })
        .catch(failed);
    });
  }

  // ---- the case page -------------------------------------------------------------------------------------
  function messageItem(m) {
    var item = document.createElement("li");
    item.className = "msg msg-" + m.role;
    item.setAttribute("data-testid", "transcript-message");
    item.setAttribute("data-role", m.role);
    var who = document.createElement("span");
    who.className = "msg-who";
    who.textContent = ROLE_LABELS[m.role] || m.role;
    var text = document.createElement("span");
    text.className = "msg-text";
    text.textContent = m.text;
    item.appendChild(who);
    item.appendChild(text);
    if (m.at) {
      var at = document.createElement("time");
      at.className = "msg-at";
      at.setAttribute("datetime", m.at);
      at.textContent = m.at.replace("T", " ").replace("+00:00", " UTC");
      item.appendChild(at);
    }
    return item;
  }

  function scrollToEnd(list) {
    list.scrollTop = list.scrollHeight;
  }

  // The messages the server rendered into the page, as the API gives them.
  function renderedMessages(list) {
    return Array.prototype.map.call(list.querySelectorAll('[data-testid="transcript-message"]'), function (item) {
      var text = item.querySelector(".msg-text");
      var at = item.querySelector("time");
      return {
        role: item.getAttribute("data-role"),
        text: text ? text.textContent : "",
        at: at ? at.getAttribute("datetime") : "",
      };
    });
  }

  function sameMessage(a, b) {
    return a.role === b.role && a.text === b.text && a.at === b.at;
  }

  // The list is a live region: only messages that are new are added (so a screen reader announces those, not
  // the whole conversation at every poll); it is rebuilt only when earlier messages changed. If the navigator
  // was reading the end of the conversation, it stays at the end.
  function renderTranscript(list, transcript) {
    var atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    var shown = list.__messages;
    var keep = Array.isArray(shown) && shown.length <= transcript.length;
    for (var i = 0; keep && i < shown.length; i++) {
      keep = sameMessage(shown[i], transcript[i]);
    }
    if (!keep || (shown.length === 0 && transcript.length > 0)) {
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      shown = [];
    }
    transcript.slice(shown.length).forEach(function (m) {
      list.appendChild(messageItem(m));
    });
    list.__messages = transcript.slice();
    if (atEnd) {
      scrollToEnd(list);
    }
  }

  function setUpCase() {
    var root = document.getElementById("case");
    if (!root) {
      return;
    }
    var base = "/api/navigator/cases/" + encodeURIComponent(root.getAttribute("data-case-id"));
    // The newest messages matter most (the handoff, the patient's latest words): show the end first.
    var transcriptList = root.querySelector('[data-testid="transcript"]');
    transcriptList.__messages = renderedMessages(transcriptList);
    scrollToEnd(transcriptList);
    var reload = function () {
      window.location.reload();
    };

    function onForm(action, handler) {
      var form = root.querySelector('form[data-action="' + action + '"]');
      if (form) {
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          handler(form);
        });
      }
    }
    function onButton(action, handler) {
      var button = root.querySelector('button[data-action="' + action + '"]');
      if (button) {
        button.addEventListener("click", function () {
          handler(button);
        });
      }
    }

    onForm("update", function (form) {
      api("PATCH", base, { status: form.status.value, urgency: form.urgency.value }).then(reload, failed);
    });
    onForm("assign", function (form) {
      api("POST", base + "/assign", { username: form.username.value || null }).then(reload, failed);
    });
    onForm("note", function (form) {
      var text = form.text.value.trim();
      if (text) {
        api("POST", base + "/notes", { text: text }).then(reload, failed);
      }
    });
    onForm("reply", function (form) {
      var text = form.text.value.trim();
      if (!text) {
        return;
      }
      api("POST", base + "/reply", { text: text }).then(function (updated) {
        form.text.value = "";
        var list = root.querySelector('[data-testid="transcript"]');
        renderTranscript(list, updated.transcript);
        scrollToEnd(list);
        notice("Sent to the patient.", false);
      }, failed);
    });
    onButton("take", function () {
      api("POST", base + "/take").then(reload, failed);
    });
    onButton("hand-back", function () {
      api("POST", base + "/hand-back").then(reload, failed);
    });
    onButton("erase", function (button) {
      var reference = button.getAttribute("data-reference");
      if (!window.confirm("Erase case " + reference + " and its notes for good? This cannot be undone.")) {
        return;
      }
      api("DELETE", base).then(function () {
        window.location.assign("/navigator");
      }, failed);
    });

    // While I answer the patient, their new messages appear without reloading.
    if (root.getAttribute("data-held-by") && root.getAttribute("data-held-by") === root.getAttribute("data-me")) {
      var list = root.querySelector('[data-testid="transcript"]');
      var poll = function () {
        if (document.hidden) {
          return;
        }
        api("GET", base + "/transcript").then(function (data) {
          if (data && Array.isArray(data.transcript) && data.live) {
            renderTranscript(list, data.transcript);
          }
        }, function () {
          /* keep what is shown; the next poll tries again */
        });
      };
      window.setInterval(poll, POLL_MS);
    }
  }

  function start() {
    setUpLogin();
    setUpLogout();
    setUpCase();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
