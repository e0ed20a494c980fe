/*
 * Trial assistant chat widget (NCT07520357).
 *
 * Include with ONE tag on any page:  <script src="https://<host>/static/widget.js" defer></script>
 * The script loads its own stylesheet (widget.css beside it), injects a launcher button and a chat panel,
 * and talks to POST /api/chat on the origin it was loaded from. While the panel is open it also polls
 * GET /api/chat/messages every few seconds for messages from a patient navigator (a person who took the
 * conversation over in the navigator console); only those come that way, so nothing is shown twice.
 *
 * Safety rule: message content is only ever rendered through textContent / createTextNode; links are
 * created with createElement and only for http(s) URLs. No HTML string is ever parsed by this file.
 */
(function () {
  "use strict";

  if (window.__trialbotWidget) {
    return;
  }
  window.__trialbotWidget = true;

  var DISCLAIMER =
    "Automated assistant for trial NCT07520357 \u2014 not a doctor and cannot decide eligibility. " +
    "Type 'talk to a person' at any time.";
  var MAX_CHARS = 2000;
  var COUNTER_FROM = 1800;
  var MAX_ENTRIES = 200;
  var REQUEST_TIMEOUT_MS = 45000;
  var GREET_PAYLOAD = "/greet";
  var POLL_MS = 3000;
  var NAVIGATOR_LABEL = "Patient navigator";
  var SENDER_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
  var KEYS = {
    sender: "trialbot.sender",
    transcript: "trialbot.transcript",
    open: "trialbot.open",
    cursor: "trialbot.cursor",
  };

  // ---- where we were loaded from -------------------------------------------------------------------
  function findScript() {
    if (document.currentScript && document.currentScript.src) {
      return document.currentScript;
    }
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(scripts[i].src)) {
        return scripts[i];
      }
    }
    return null;
  }
  var scriptEl = findScript();
  var scriptUrl = new URL(scriptEl ? scriptEl.src : "/static/widget.js", document.baseURI);
  var API_URL = scriptUrl.origin + "/api/chat";
  var MESSAGES_URL = scriptUrl.origin + "/api/chat/messages";
  var CSS_URL = new URL("widget.css", scriptUrl).href;

  // ---- storage that never throws (private mode, disabled storage) ---------------------------------
  var memory = {};
  function store(kind) {
    try {
      var s = window[kind];
      s.setItem("trialbot.probe", "1");
      s.removeItem("trialbot.probe");
      return s;
    } catch (e) {
      return null;
    }
  }
  var local = store("localStorage");
  var session = store("sessionStorage");
  function read(s, key) {
    try {
      if (s) {
        return s.getItem(key);
      }
    } catch (e) {
      /* fall through to memory */
    }
    return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
  }
  function write(s, key, value) {
    try {
      if (s) {
        s.setItem(key, value);
        return;
      }
    } catch (e) {
      /* fall through to memory */
    }
    memory[key] = value;
  }
  function forget(s, key) {
    try {
      if (s) {
        s.removeItem(key);
      }
    } catch (e) {
      /* ignore */
    }
    delete memory[key];
  }

  // ---- sender id: generated once, kept in localStorage ---------------------------------------------
  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = "";
    for (var i = 0; i < b.length; i++) {
      h += (b[i] + 0x100).toString(16).slice(1);
    }
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function senderId() {
    var id = read(local, KEYS.sender);
    if (!id || !SENDER_RE.test(id)) {
      id = newId();
      write(local, KEYS.sender, id);
    }
    return id;
  }

  // ---- transcript model (kept in sessionStorage: survives reloads, not the closing of the tab) -----
  function str(v) {
    return typeof v === "string" ? v : "";
  }
  function cleanButtons(list) {
    var out = [];
    if (!Array.isArray(list)) {
      return out;
    }
    list.forEach(function (b) {
      if (b && typeof b === "object" && str(b.title) && str(b.payload)) {
        out.push({ title: b.title, payload: b.payload });
      }
    });
    return out;
  }
  function cleanCitations(list) {
    var out = [];
    if (!Array.isArray(list)) {
      return out;
    }
    list.forEach(function (c) {
      if (c && typeof c === "object" && (str(c.source) || str(c.text))) {
        out.push({ source: str(c.source), section: str(c.section), text: str(c.text) });
      }
    });
    return out;
  }
  function cleanEntry(e) {
    if (!e || typeof e !== "object" || (e.role !== "user" && e.role !== "bot" && e.role !== "navigator")) {
      return null;
    }
    if (e.role === "user" || e.role === "navigator") {
      return str(e.text) ? { role: e.role, text: e.text } : null;
    }
    return {
      role: "bot",
      text: str(e.text),
      buttons: cleanButtons(e.buttons),
      citations: cleanCitations(e.citations),
    };
  }
  function loadTranscript() {
    try {
      var parsed = JSON.parse(read(session, KEYS.transcript) || "[]");
      if (!Array.isArray(parsed)) {
        return [];
      }
      return parsed.map(cleanEntry).filter(Boolean).slice(-MAX_ENTRIES);
    } catch (e) {
      return [];
    }
  }
  function saveTranscript() {
    if (entries.length > MAX_ENTRIES) {
      var extra = entries.length - MAX_ENTRIES;
      entries.splice(0, extra);
      entryEls.splice(0, extra).forEach(function (node) {
        if (node.parentNode) {
          node.parentNode.removeChild(node);
        }
      });
    }
    write(session, KEYS.transcript, JSON.stringify(entries));
  }

  // Index of the last conversation event seen by the navigator-message polling (-1: none yet).
  function loadCursor() {
    var value = parseInt(read(session, KEYS.cursor) || "", 10);
    return isFinite(value) && value >= -1 ? value : -1;
  }

  var sender = senderId();
  var entries = loadTranscript();
  var cursor = loadCursor();
  var polling = false;
  var entryEls = [];
  var busy = false;
  var lastFailed = null;
  var ui = {};

  // ---- DOM helpers (createElement + textContent only) ----------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }
  function attrs(node, map) {
    Object.keys(map).forEach(function (k) {
      node.setAttribute(k, map[k]);
    });
    return node;
  }

  function safeLink(candidate) {
    var url;
    try {
      url = new URL(candidate);
    } catch (e) {
      return null;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return null;
    }
    var a = el("a", "tbw-link", candidate);
    a.href = url.href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  // Text with line breaks kept by CSS (white-space: pre-wrap); http(s) URLs become links.
  function appendText(parent, text) {
    var re = /\bhttps?:\/\/[^\s<>"']+/gi;
    var last = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      var url = m[0].replace(/[.,;:!?)\]]+$/, "");
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      parent.appendChild(safeLink(url) || document.createTextNode(url));
      last = m.index + url.length;
      re.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // ---- rendering ------------------------------------------------------------------------------------
  function renderCitations(citations) {
    var box = attrs(el("div", "tbw-sources"), { role: "group", "aria-label": "Sources" });
    box.appendChild(el("p", "tbw-sources-title", "Sources"));
    var list = el("ul", "tbw-sources-list");
    citations.forEach(function (c) {
      var item = attrs(el("li", "tbw-citation"), { "data-testid": "citation" });
      var details = el("details", "tbw-details");
      var label = c.source || "Trial document";
      if (c.section) {
        label += " \u2014 " + c.section;
      }
      details.appendChild(el("summary", "tbw-summary", label));
      if (c.text) {
        var passage = el("p", "tbw-passage");
        appendText(passage, c.text);
        details.appendChild(passage);
      }
      item.appendChild(details);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function renderEntry(entry, buttonsActive) {
    var turn = el("div", "tbw-turn tbw-turn-" + entry.role);
    if (entry.role === "user") {
      var mine = attrs(el("div", "tbw-msg tbw-user"), { "data-testid": "user-message" });
      mine.appendChild(el("span", "tbw-sr-only", "You said: "));
      mine.appendChild(document.createTextNode(entry.text));
      turn.appendChild(mine);
      return turn;
    }
    if (entry.role === "navigator") {
      // A person wrote this: say so visibly (line breaks are kept by the bubble's CSS).
      var human = attrs(el("div", "tbw-msg tbw-bot tbw-navigator"), { "data-testid": "navigator-message" });
      human.appendChild(el("strong", "tbw-navigator-label", NAVIGATOR_LABEL));
      human.appendChild(document.createTextNode("\n"));
      appendText(human, entry.text);
      turn.appendChild(human);
      return turn;
    }
    if (entry.text) {
      var bubble = attrs(el("div", "tbw-msg tbw-bot"), { "data-testid": "bot-message" });
      bubble.appendChild(el("span", "tbw-sr-only", "Assistant: "));
      appendText(bubble, entry.text);
      turn.appendChild(bubble);
    }
    if (entry.buttons.length) {
      var group = attrs(el("div", "tbw-buttons"), { role: "group", "aria-label": "Suggested replies" });
      entry.buttons.forEach(function (b) {
        var btn = attrs(el("button", "tbw-choice", b.title), { type: "button", "data-testid": "chat-choice" });
        btn.disabled = !buttonsActive;
        btn.addEventListener("click", function () {
          send(b.payload, b.title, false);
        });
        group.appendChild(btn);
      });
      turn.appendChild(group);
    }
    if (entry.citations.length) {
      turn.appendChild(renderCitations(entry.citations));
    }
    return turn;
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function renderAll() {
    while (ui.log.firstChild) {
      ui.log.removeChild(ui.log.firstChild);
    }
    entryEls = entries.map(function (entry, i) {
      var node = renderEntry(entry, i === entries.length - 1);
      ui.log.appendChild(node);
      return node;
    });
    scrollToEnd();
  }

  function pushEntry(entry) {
    entries.push(entry);
    var node = renderEntry(entry, true);
    entryEls.push(node);
    ui.log.insertBefore(node, ui.typing.parentNode === ui.log ? ui.typing : null);
  }

  function replaceEntry(index) {
    var node = renderEntry(entries[index], index === entries.length - 1);
    ui.log.replaceChild(node, entryEls[index]);
    entryEls[index] = node;
  }

  function disableChoices() {
    var buttons = ui.log.querySelectorAll(".tbw-choice");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
  }

  // Rasa's REST channel sends text and custom payloads as separate messages: citations without text
  // belong to the bot message before them.
  function addBotMessages(messages) {
    if (!Array.isArray(messages)) {
      return;
    }
    messages.forEach(function (m) {
      if (!m || typeof m !== "object") {
        return;
      }
      var text = str(m.text);
      var buttons = cleanButtons(m.buttons);
      var custom = m.custom && typeof m.custom === "object" ? m.custom : {};
      var citations = cleanCitations(custom.citations);
      if (text || buttons.length) {
        pushEntry({ role: "bot", text: text, buttons: buttons, citations: citations });
      } else if (citations.length) {
        var last = entries.length - 1;
        if (last >= 0 && entries[last].role === "bot") {
          entries[last].citations = entries[last].citations.concat(citations);
          replaceEntry(last);
        } else {
          pushEntry({ role: "bot", text: "", buttons: [], citations: citations });
        }
      }
    });
  }

  // ---- messages from a patient navigator (polled) --------------------------------------------------
  function pollNavigator() {
    // Only once the conversation has started (so polling never creates it), while open and visible.
    if (polling || !entries.length || !isOpen() || document.hidden) {
      return;
    }
    polling = true;
    var asked = sender;
    fetch(MESSAGES_URL + "?sender=" + encodeURIComponent(sender) + "&after=" + cursor, {
      headers: { Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (!body || typeof body !== "object" || asked !== sender) {
          return; // an error (tried again later), or "Start over" happened meanwhile
        }
        var added = false;
        (Array.isArray(body.messages) ? body.messages : []).forEach(function (m) {
          if (m && typeof m.index === "number" && m.index > cursor && str(m.text)) {
            pushEntry({ role: "navigator", text: m.text });
            cursor = m.index;
            added = true;
          }
        });
        if (typeof body.cursor === "number" && body.cursor > cursor) {
          cursor = body.cursor;
        }
        write(session, KEYS.cursor, String(cursor));
        if (added) {
          saveTranscript();
          scrollToEnd();
        }
      })
      .catch(function () {
        /* offline or server busy: the next poll tries again */
      })
      .finally(function () {
        polling = false;
      });
  }

  // ---- errors ---------------------------------------------------------------------------------------
  function clearError() {
    if (ui.error && ui.error.parentNode) {
      ui.error.parentNode.removeChild(ui.error);
    }
    ui.error = null;
  }

  function showError(status, detail) {
    clearError();
    var text;
    if (status >= 400 && status < 500 && detail) {
      text = "Sorry, that message could not be sent: " + detail;
    } else {
      text = "Sorry, the assistant cannot be reached right now. Your message has not been lost.";
    }
    var box = attrs(el("div", "tbw-error"), { role: "alert", "data-testid": "chat-error" });
    box.appendChild(el("p", "tbw-error-text", text));
    var retry = attrs(el("button", "tbw-retry", "Try again"), { type: "button", "data-testid": "chat-retry" });
    retry.addEventListener("click", function () {
      var failed = lastFailed;
      if (!failed) {
        clearError();
        return;
      }
      if (failed.fromInput && ui.input.value.trim()) {
        // The text went back into the box; send what is there now (the user may have edited it). The same text
        // keeps its message id, so a message that did reach the assistant is not answered twice.
        var same = ui.input.value === failed.payload;
        send(ui.input.value, ui.input.value, true, same ? failed.messageId : null);
      } else {
        send(failed.payload, failed.display, failed.fromInput, failed.messageId);
      }
    });
    box.appendChild(retry);
    // Outside the conversation log (which is itself a live region), just above the input.
    ui.panel.insertBefore(box, ui.form);
    ui.error = box;
  }

  // ---- sending --------------------------------------------------------------------------------------
  function setBusy(value) {
    busy = value;
    if (value) {
      ui.log.appendChild(ui.typing);
      ui.log.setAttribute("aria-busy", "true");
    } else {
      if (ui.typing.parentNode) {
        ui.typing.parentNode.removeChild(ui.typing);
      }
      ui.log.removeAttribute("aria-busy");
    }
    updateSendState();
    scrollToEnd();
  }

  function newMessageId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    return "m" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function postMessage(payload, messageId) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller
      ? setTimeout(function () {
          controller.abort();
        }, REQUEST_TIMEOUT_MS)
      : null;
    return fetch(API_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ sender: sender, message: payload, message_id: messageId }),
      cache: "no-store",
      credentials: "omit",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        if (!response.ok) {
          return response
            .json()
            .catch(function () {
              return null;
            })
            .then(function (body) {
              var err = new Error("HTTP " + response.status);
              err.status = response.status;
              err.detail = body && typeof body.detail === "string" ? body.detail : "";
              throw err;
            });
        }
        return response.json();
      })
      .finally(function () {
        if (timer) {
          clearTimeout(timer);
        }
      });
  }

  // payload: what Rasa gets; display: the user's bubble (null = silent, e.g. "/greet");
  // fromInput: the text came from the input box (restored there if sending fails);
  // messageId: the id a retry of the same message keeps (the web service answers a repeated id from its cache).
  function send(payload, display, fromInput, messageId) {
    if (busy || !payload || !payload.trim()) {
      return;
    }
    messageId = messageId || newMessageId();
    clearError();
    lastFailed = null;
    disableChoices();
    var userEntry = display !== null ? { role: "user", text: display } : null;
    var userNode = null;
    if (userEntry) {
      userNode = renderEntry(userEntry, false);
      ui.log.appendChild(userNode);
    }
    if (fromInput) {
      ui.input.value = "";
      updateCounter();
    }
    setBusy(true);
    postMessage(payload, messageId)
      .then(function (messages) {
        setBusy(false);
        if (userNode) {
          ui.log.removeChild(userNode);
          pushEntry(userEntry);
        }
        addBotMessages(messages);
        saveTranscript();
        scrollToEnd();
      })
      .catch(function (err) {
        setBusy(false);
        if (userNode && userNode.parentNode) {
          userNode.parentNode.removeChild(userNode);
        }
        if (fromInput && !ui.input.value) {
          ui.input.value = payload;
          updateCounter();
        }
        lastFailed = { payload: payload, display: display, fromInput: fromInput, messageId: messageId };
        // Re-enable the choices of the last bot message so a failed button press can be repeated.
        if (entries.length) {
          replaceEntry(entries.length - 1);
        }
        // The error box has role="alert": screen readers announce it once.
        showError(err && err.status ? err.status : 0, err && err.detail ? err.detail : "");
      });
  }

  function updateCounter() {
    var n = ui.input.value.length;
    ui.counter.hidden = n < COUNTER_FROM;
    ui.counter.textContent = n + " / " + MAX_CHARS + " characters";
    updateSendState();
  }

  function updateSendState() {
    ui.send.disabled = busy || !ui.input.value.trim();
  }

  // ---- open / close / start over ------------------------------------------------------------------
  function isOpen() {
    return !ui.panel.hidden;
  }

  function open(focusInput) {
    ui.panel.hidden = false;
    ui.root.classList.add("tbw-open");
    ui.launcher.setAttribute("aria-expanded", "true");
    write(session, KEYS.open, "1");
    scrollToEnd();
    if (focusInput) {
      ui.input.focus();
    }
    if (!entries.length && !busy && !ui.error) {
      send(GREET_PAYLOAD, null, false);
    }
  }

  function close() {
    ui.panel.hidden = true;
    ui.root.classList.remove("tbw-open");
    ui.launcher.setAttribute("aria-expanded", "false");
    forget(session, KEYS.open);
    ui.launcher.focus();
  }

  function startOver() {
    if (busy) {
      return;
    }
    clearError();
    lastFailed = null;
    entries = [];
    cursor = -1;
    forget(session, KEYS.transcript);
    forget(session, KEYS.cursor);
    forget(local, KEYS.sender);
    sender = senderId();
    renderAll();
    ui.input.value = "";
    updateCounter();
    send(GREET_PAYLOAD, null, false);
    ui.input.focus();
  }

  // ---- building the widget --------------------------------------------------------------------------
  function build() {
    var root = attrs(el("div", "tbw-root"), { id: "trialbot-widget" });

    var launcher = attrs(el("button", "tbw-launcher"), {
      type: "button",
      "aria-expanded": "false",
      "aria-controls": "tbw-panel",
      "data-testid": "chat-launcher",
    });
    launcher.appendChild(attrs(el("span", "tbw-launcher-icon"), { "aria-hidden": "true" }));
    launcher.appendChild(el("span", "tbw-launcher-label", "Questions about the trial?"));

    var panel = attrs(el("section", "tbw-panel"), {
      id: "tbw-panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": "tbw-title",
      "aria-describedby": "tbw-disclaimer",
      "data-testid": "chat-panel",
    });
    panel.hidden = true;

    var header = el("div", "tbw-header");
    header.appendChild(attrs(el("h2", "tbw-title", "Trial assistant"), { id: "tbw-title" }));
    var restart = attrs(el("button", "tbw-header-btn tbw-restart", "Start over"), {
      type: "button",
      title: "Clear this conversation from this device and start a new one",
      "data-testid": "chat-restart",
    });
    var closeBtn = attrs(el("button", "tbw-header-btn tbw-close"), {
      type: "button",
      "aria-label": "Close chat",
      "data-testid": "chat-close",
    });
    closeBtn.appendChild(attrs(el("span", "tbw-close-icon", "\u00d7"), { "aria-hidden": "true" }));
    header.appendChild(restart);
    header.appendChild(closeBtn);

    var disclaimer = attrs(el("p", "tbw-disclaimer", DISCLAIMER), {
      id: "tbw-disclaimer",
      "data-testid": "chat-disclaimer",
    });

    // The conversation is a live region (role="log"): new bot messages are read out. It starts silent
    // so that re-rendering a saved transcript after a reload is not read out again.
    var log = attrs(el("div", "tbw-log"), {
      role: "log",
      "aria-live": "off",
      "aria-relevant": "additions",
      "aria-label": "Conversation",
      tabindex: "0",
      "data-testid": "chat-log",
    });

    var typing = attrs(el("div", "tbw-typing"), { "data-testid": "typing-indicator" });
    typing.appendChild(el("span", "tbw-sr-only", "The assistant is typing"));
    for (var i = 0; i < 3; i++) {
      typing.appendChild(attrs(el("span", "tbw-dot"), { "aria-hidden": "true" }));
    }

    var form = attrs(el("form", "tbw-form"), { novalidate: "" });
    var label = attrs(el("label", "tbw-sr-only", "Your message"), { for: "tbw-input" });
    var input = attrs(el("textarea", "tbw-input"), {
      id: "tbw-input",
      rows: "1",
      maxlength: String(MAX_CHARS),
      placeholder: "Type your question\u2026",
      autocomplete: "off",
      "aria-describedby": "tbw-counter tbw-hint",
      "data-testid": "chat-input",
    });
    var sendBtn = attrs(el("button", "tbw-send", "Send"), {
      type: "submit",
      "aria-label": "Send message",
      "data-testid": "chat-send",
    });
    sendBtn.disabled = true;
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(sendBtn);
    var counter = attrs(el("p", "tbw-counter"), { id: "tbw-counter" });
    counter.hidden = true;
    var hint = attrs(el("p", "tbw-sr-only", "Press Enter to send, Shift and Enter for a new line."), {
      id: "tbw-hint",
    });

    panel.appendChild(header);
    panel.appendChild(disclaimer);
    panel.appendChild(log);
    panel.appendChild(form);
    panel.appendChild(counter);
    panel.appendChild(hint);
    root.appendChild(panel);
    root.appendChild(launcher);

    ui = {
      root: root,
      launcher: launcher,
      panel: panel,
      log: log,
      form: form,
      typing: typing,
      input: input,
      send: sendBtn,
      counter: counter,
      error: null,
    };

    launcher.addEventListener("click", function () {
      if (isOpen()) {
        close();
      } else {
        open(true);
      }
    });
    closeBtn.addEventListener("click", close);
    restart.addEventListener("click", startOver);
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        e.preventDefault();
        close();
      }
    });
    input.addEventListener("input", updateCounter);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (!ui.send.disabled) {
          send(input.value, input.value, true);
        }
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!ui.send.disabled) {
        send(input.value, input.value, true);
      }
    });

    document.body.appendChild(root);
    renderAll();
    setTimeout(function () {
      log.setAttribute("aria-live", "polite");
    }, 0);
    if (read(session, KEYS.open) === "1") {
      open(false);
    }
    setInterval(pollNavigator, POLL_MS);
  }

  // ---- start: load the stylesheet first so nothing shows unstyled ----------------------------------
  function start() {
    var started = false;
    function once() {
      if (!started) {
        started = true;
        build();
      }
    }
    var existing = document.querySelector('link[data-trialbot-css="1"]');
    if (existing) {
      once();
      return;
    }
    var link = attrs(document.createElement("link"), { rel: "stylesheet", "data-trialbot-css": "1" });
    link.href = CSS_URL;
    link.addEventListener("load", once);
    link.addEventListener("error", once);
    setTimeout(once, 3000);
    document.head.appendChild(link);
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
