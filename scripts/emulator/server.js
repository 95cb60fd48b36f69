#!/usr/bin/env node
// The Telegram Bot API emulator for the bot's end-to-end tests and latency bench.
//
// telegram-test-api@4.2.1 emulates the Bot API (bot side: /bot<token>/<method>) and a
// client API for fake users (/sendMessage, /sendCommand, /sendCallback). This file
// serves it over HTTP on 127.0.0.1 behind a thin shim that bridges the gaps between
// it and what python-telegram-bot 22 expects:
//
//   * getMe lacks is_bot                     → added; malformed tokens get 404 and
//                                               tokens "0:…" get 401, as Telegram does
//   * sent messages come back with `date` in ms and the request's own fields
//                                             → a clean Message, date in seconds
//   * callback queries lack chat_instance    → added
//   * editMessageText/editMessageReplyMarkup/answerCallbackQuery return null
//                                             → true
//   * getUpdates returns at once             → long polling (waits up to `timeout`),
//                                               so an idle bot does not spin
//   * no inline queries, setMyCommands, sendChatAction, answerInlineQuery
//                                             → recorded and answered `true`
//   * setWebhook with a secret crashes it    → recorded only (webhook is tested
//                                               separately, posting to the bot)
//
// and adds a control API for tests (never part of Telegram):
//
//   GET  /__shim/calls?since=N&token=T&wait=MS
//                                the Bot API calls made since the N-th, in order (sent
//                                messages with the Message returned); waits up to MS
//                                for one
//   POST /__shim/update          {token, update}: inject a raw update (inline_query…)
//   POST /__shim/fail            {chat_id, method, error: forbidden|retry_after, times}
//
// Usage: node server.js [port]   (0 = any free port); prints {"port": N} when ready.

'use strict';

const http = require('http');
const EventEmitter = require('events');
const express = require('express');
const TelegramServer = require('telegram-test-api');

const BOT = { id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot' };
const MAX_POLL_SECONDS = 50;
const JSON_FIELDS = ['reply_markup', 'entities', 'link_preview_options', 'reply_parameters',
  'results', 'commands', 'allowed_updates', 'scope', 'button'];

const emulator = new TelegramServer({ host: '127.0.0.1', port: 0, storeTimeout: 3600 });
const wake = new EventEmitter();  // a user update arrived
const called = new EventEmitter();  // the bot made a call
wake.setMaxListeners(0);
called.setMaxListeners(0);
for (const event of ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery']) {
  emulator.on(event, () => wake.emit('event'));
}

const calls = [];
const injected = {};
const failures = [];
const chats = {};

function decode(body) {
  // PTB sends form fields with JSON-encoded values for anything not a string.
  const params = { ...body };
  for (const key of JSON_FIELDS) {
    if (typeof params[key] === 'string') {
      try { params[key] = JSON.parse(params[key]); } catch (e) { /* keep the string */ }
    }
  }
  return params;
}

function ok(res, result) { res.json({ ok: true, result }); }

function tokenError(token) {
  if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) return [404, 'Not Found'];
  if (token.startsWith('0:')) return [401, 'Unauthorized'];
  return null;
}

function injectedFailure(method, chatId) {
  const rule = failures.find((f) => f.times > 0 && f.method === method
    && String(f.chat_id) === String(chatId));
  if (!rule) return null;
  rule.times -= 1;
  if (rule.error === 'forbidden') {
    return [403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }];
  }
  return [429, {
    ok: false, error_code: 429, description: 'Too Many Requests: retry after 1',
    parameters: { retry_after: 1 },
  }];
}

function takeUpdates(token) {
  const updates = emulator.getUpdates(token).concat(injected[token] || []);
  injected[token] = [];
  for (const update of updates) {
    const query = update.callback_query;
    if (query && !query.chat_instance) {
      const chat = query.message && query.message.chat;
      query.chat_instance = String(chat ? chat.id : query.from.id);
    }
  }
  return updates.sort((a, b) => a.update_id - b.update_id);
}

function waitFor(emitter, ms) {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); emitter.off('event', done); resolve(); };
    const timer = setTimeout(done, ms);
    emitter.on('event', done);
  });
}

const app = express();
app.use(express.json({ limit: '10mb' }));
app.use(express.urlencoded({ extended: true, limit: '10mb' }));

// -- the control API -------------------------------------------------------------------
app.get('/__shim/calls', async (req, res) => {
  // Long-polls up to `wait` ms for a call after `since`, so tests need not hammer it.
  const since = Number(req.query.since || 0);
  const deadline = Date.now() + Math.min(Number(req.query.wait || 0), 30000);
  const matches = (c) => !req.query.token || c.token === req.query.token;
  let found = calls.slice(since).filter(matches);
  while (!found.length && Date.now() < deadline) {
    await waitFor(called, deadline - Date.now());
    found = calls.slice(since).filter(matches);
  }
  res.json({ calls: found, next: calls.length });
});
app.post('/__shim/update', (req, res) => {
  const { token, update } = req.body;
  update.update_id = update.update_id || emulator.updateId++;
  (injected[token] = injected[token] || []).push(update);
  wake.emit('event');
  res.json({ ok: true, update_id: update.update_id });
});
app.post('/__shim/fail', (req, res) => {
  failures.push({ method: 'sendMessage', times: 1, ...req.body });
  res.json({ ok: true });
});

// -- the client API: remember each chat, so the bot's messages come back in it --------------
app.post(['/sendMessage', '/sendCommand', '/sendCallback'], (req, _res, next) => {
  const message = req.body.message || req.body;
  if (message && message.chat) chats[message.chat.id] = message.chat;
  next();
});

// -- the Bot API ---------------------------------------------------------------------------
app.all('/bot:token/:method', async (req, res, next) => {
  const { token, method } = req.params;
  const params = decode({ ...req.query, ...req.body });
  const error = tokenError(token);
  if (error) {
    res.status(error[0]).json({ ok: false, error_code: error[0], description: error[1] });
    return;
  }
  const call = { at: Date.now(), token, method, params };
  calls.push(call);
  called.emit('event');
  const failure = injectedFailure(method, params.chat_id);
  if (failure) {
    res.status(failure[0]).json(failure[1]);
    return;
  }
  switch (method) {
    case 'getMe':
      ok(res, { ...BOT, can_join_groups: true, supports_inline_queries: true });
      return;
    case 'getUpdates': {
      const deadline = Date.now() + Math.min(Number(params.timeout || 0), MAX_POLL_SECONDS) * 1000;
      let updates = takeUpdates(token);
      while (!updates.length && Date.now() < deadline) {
        await waitFor(wake, deadline - Date.now());
        updates = takeUpdates(token);
      }
      ok(res, updates);
      return;
    }
    case 'sendMessage': {
      const sent = emulator.addBotMessage({ ...params }, token);
      const chat = chats[params.chat_id] || { id: Number(params.chat_id), type: 'private' };
      const message = {
        message_id: sent.message_id,
        date: Math.floor(sent.date / 1000),
        chat,
        from: BOT,
        text: params.text,
      };
      if (params.reply_markup && params.reply_markup.inline_keyboard) {
        message.reply_markup = params.reply_markup;
      }
      call.result = message;
      ok(res, message);
      return;
    }
    case 'editMessageText':
      emulator.editMessageText({ ...params });
      ok(res, true);
      return;
    case 'editMessageReplyMarkup':
      emulator.editMessageReplyMarkup({ ...params });
      ok(res, true);
      return;
    case 'getWebhookInfo':
      ok(res, { url: '', has_custom_certificate: false, pending_update_count: 0 });
      return;
    case 'answerCallbackQuery':
    case 'answerInlineQuery':
    case 'sendChatAction':
    case 'setMyCommands':
    case 'deleteMyCommands':
    case 'setWebhook':
    case 'deleteWebhook':
    case 'close':
    case 'logOut':
      ok(res, true);
      return;
    default:
      next();  // the emulator's own routes (and its "not supported" for the rest)
  }
});

// Everything else — the client API — is the emulator's.
app.use((req, res) => emulator.webServer(req, res));

const port = Number(process.argv[2] || process.env.PORT || 0);
const server = http.createServer(app);
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
