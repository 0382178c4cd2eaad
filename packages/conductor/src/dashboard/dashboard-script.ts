/*
 * The dashboard's script (GET /dashboard/app.js), plain browser JavaScript with no build step. It polls
 * GET /admin/status, /admin/history and the open provider groups' /admin/keys pages every 5 s, ticks
 * cooldown countdowns every second against the server's clock, and sends the admin token from
 * sessionStorage as a Bearer header. DOM is built with textContent only: no key, model or message text
 * is ever parsed as HTML. No backticks or dollar-brace in the script (it lives in a String.raw template).
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var STATES = ['active', 'untested', 'cooldown', 'no_quota', 'dead', 'unsupported', 'disabled'];
  var REFRESH_MS = 5000;
  var PAGE = 50;
  var TOKEN_KEY = 'llmgw-admin-token';

  var state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    status: null,
    filters: { provider: '', state: '', q: '' },
    groups: {},
    clockOffset: 0,
    paused: false,
    refreshing: null,
    again: null,
    historyKey: null,
    historyCursor: null
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === undefined || value === null || value === false) return;
        if (name === 'text') node.textContent = String(value);
        else if (name === 'className') node.className = value;
        else if (name === 'onclick') node.addEventListener('click', value);
        else node.setAttribute(name, String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function showError(message) {
    $('error').textContent = message || '';
  }

  function AuthProblem(message) { this.message = message; }

  function api(path, method) {
    var headers = { accept: 'application/json' };
    if (state.token) headers.authorization = 'Bearer ' + state.token;
    return fetch(path, { method: method || 'GET', headers: headers, cache: 'no-store' }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        var message = body && body.error && body.error.message ? body.error.message : 'HTTP ' + res.status;
        if (res.status === 401 || res.status === 403) throw new AuthProblem(message);
        if (!res.ok) throw new Error(message);
        return body;
      });
    });
  }

  function serverNow() { return Date.now() + state.clockOffset; }

  function syncClock(serverTime) {
    var at = Date.parse(serverTime);
    if (!isNaN(at)) state.clockOffset = at - Date.now();
  }

  function formatLeft(ms) {
    if (ms <= 0) return 'now';
    var s = Math.ceil(ms / 1000);
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + (s % 60) + 's';
    var h = Math.floor(m / 60);
    if (h < 48) return h + 'h ' + (m % 60) + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }

  function formatAgo(iso) {
    if (!iso) return '-';
    var ms = serverNow() - Date.parse(iso);
    if (ms < 0) ms = 0;
    return formatLeft(ms).replace('now', '0s') + ' ago';
  }

  function percent(x) { return Math.round(x * 100) + '%'; }

  function countdown(until, prefix) {
    return el('span', { className: 'countdown', 'data-until': until, 'data-prefix': prefix || '', text: (prefix || '') + formatLeft(Date.parse(until) - serverNow()) });
  }

  function tick() {
    var nodes = document.querySelectorAll('[data-until]');
    for (var i = 0; i < nodes.length; i += 1) {
      var node = nodes[i];
      node.textContent = node.getAttribute('data-prefix') + formatLeft(Date.parse(node.getAttribute('data-until')) - serverNow());
    }
  }

  // ---- login -------------------------------------------------------------------------------------

  function showLogin(message) {
    $('main').hidden = true;
    $('login').hidden = false;
    $('forget').hidden = true;
    if (message) $('login-message').textContent = message;
    $('token-input').focus();
  }

  function showMain() {
    $('login').hidden = true;
    $('main').hidden = false;
    $('forget').hidden = !state.token;
  }

  $('login-form').addEventListener('submit', function (event) {
    event.preventDefault();
    state.token = $('token-input').value.trim();
    $('token-input').value = '';
    sessionStorage.setItem(TOKEN_KEY, state.token);
    refresh();
  });

  $('forget').addEventListener('click', function () {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = '';
    showLogin('Token forgotten. Enter an admin token to continue.');
  });

  // ---- summary -----------------------------------------------------------------------------------

  function renderSummary(status) {
    var pool = status.pool;
    var keeper = pool.keeper;
    $('meta').textContent = 'v' + status.version + ' · up ' + formatLeft(status.uptimeSeconds * 1000) +
      ' · ' + status.database.kind + ' ' + status.database.target;
    var cards = $('cards');
    clear(cards);
    function card(label, value, className, testid) {
      cards.appendChild(el('div', { className: 'card', 'data-testid': testid }, [
        el('div', { className: 'value ' + (className || ''), text: value }),
        el('div', { className: 'label', text: label })
      ]));
    }
    card('keys', String(pool.totals.keys), '', 'card-keys');
    card('triples', String(pool.totals.triples), '', 'card-triples');
    var fraction = pool.totals.triples ? pool.totals.usable / pool.totals.triples : 0;
    card('usable now', pool.totals.usable + ' (' + percent(fraction) + ')', fraction < 0.5 ? 'bad' : '', 'card-usable');
    card('in flight (this replica)', String(status.conductor.inflight), '', 'card-inflight');
    var keeperText = keeper.embedded ? 'in this process' : keeper.present === true ? 'leader pid ' + (keeper.pid === null ? '?' : keeper.pid) : keeper.present === false ? 'no leader' : 'unknown';
    card('keeper', keeperText, keeper.present === false ? 'warn' : '', 'card-keeper');

    var totals = {};
    pool.providers.forEach(function (p) {
      Object.keys(p.triples).forEach(function (s) { totals[s] = (totals[s] || 0) + p.triples[s]; });
    });
    var chips = $('state-chips');
    clear(chips);
    STATES.forEach(function (s) {
      var selected = state.filters.state === s;
      chips.appendChild(el('button', {
        type: 'button',
        className: 'chip bg-' + s + (selected ? ' selected' : ''),
        'data-testid': 'chip-' + s,
        title: selected ? 'show every state' : 'show only ' + s,
        onclick: function () { setFilter('state', selected ? '' : s); }
      }, [s + ' ' + (totals[s] || 0)]));
    });

    var select = $('filter-provider');
    var current = select.value;
    var names = pool.providers.map(function (p) { return p.provider; });
    var existing = Array.prototype.slice.call(select.options, 1).map(function (o) { return o.value; });
    if (names.join('\n') !== existing.join('\n')) {
      while (select.options.length > 1) select.remove(1);
      names.forEach(function (name) { select.appendChild(el('option', { value: name, text: name })); });
      select.value = names.indexOf(current) >= 0 ? current : '';
    }
  }

  function renderTraffic(traffic) {
    $('traffic-window').textContent = Math.round(traffic.windowSeconds / 60) + ' min';
    var body = $('traffic').tBodies[0];
    clear(body);
    if (traffic.providers.length === 0) {
      body.appendChild(el('tr', null, [el('td', { colspan: 7, className: 'muted', text: 'no requests in this window' })]));
      return;
    }
    traffic.providers.forEach(function (p) {
      var reasons = Object.keys(p.failedAttempts).sort(function (a, b) { return p.failedAttempts[b] - p.failedAttempts[a]; })
        .map(function (r) { return r + ' ' + p.failedAttempts[r]; }).join(', ');
      var errorRate = p.requests ? p.errors / p.requests : 0;
      body.appendChild(el('tr', { 'data-provider': p.provider }, [
        el('td', { text: p.provider }),
        el('td', { className: 'num', text: String(p.requests) }),
        el('td', { className: 'num', text: (p.requests / (traffic.windowSeconds / 60)).toFixed(1) }),
        el('td', { className: 'num ' + (errorRate > 0.05 ? 'bad' : ''), text: percent(errorRate) }),
        el('td', { className: 'num', text: String(p.attempts) }),
        el('td', { text: reasons || '-' }),
        el('td', { className: 'num', text: p.meanLatencyMs === null ? '-' : Math.round(p.meanLatencyMs) + ' ms' })
      ]));
    });
  }

  function renderHistoryRows(body, entries, withEvidence) {
    clear(body);
    if (entries.length === 0) {
      body.appendChild(el('tr', null, [el('td', { colspan: withEvidence ? 7 : 6, className: 'muted', text: 'nothing recorded' })]));
    }
    entries.forEach(function (e) {
      var cells = [
        el('td', { title: e.at, text: formatAgo(e.at) }),
        el('td', { text: e.subject }),
        el('td', { text: e.from || '-' }),
        el('td', [], [el('span', { className: 'chip bg-' + e.to, text: e.to })]),
        el('td', { text: e.reason || '-' }),
        el('td', { text: e.actor || '-' })
      ];
      if (withEvidence) {
        var ev = e.evidence && typeof e.evidence === 'object' ? e.evidence : null;
        cells.push(el('td', { text: ev ? [ev.message, ev.status].filter(Boolean).join(' · ') : '-' }));
      }
      body.appendChild(el('tr', null, cells));
    });
  }

  // ---- groups: one per provider, collapsed until opened, keys paged --------------------------------

  function groupOf(provider) {
    if (!state.groups[provider]) state.groups[provider] = { open: false, cursors: [null], index: 0, page: null, error: null };
    return state.groups[provider];
  }

  function keysPath(provider, group) {
    var params = ['provider=' + encodeURIComponent(provider), 'limit=' + PAGE];
    if (state.filters.state) params.push('state=' + encodeURIComponent(state.filters.state));
    if (state.filters.q) params.push('q=' + encodeURIComponent(state.filters.q));
    var cursor = group.cursors[group.index];
    if (cursor !== null && cursor !== undefined) params.push('cursor=' + cursor);
    return '/admin/keys?' + params.join('&');
  }

  function loadGroup(provider) {
    var group = groupOf(provider);
    return api(keysPath(provider, group)).then(function (page) {
      syncClock(page.serverTime);
      group.page = page;
      group.error = null;
    }, function (error) {
      if (error instanceof AuthProblem) throw error;
      group.error = error.message;
    });
  }

  function stateBar(summary) {
    var bar = el('div', { className: 'bar', title: STATES.map(function (s) { return s + ': ' + (summary.triples[s] || 0); }).join(', ') });
    STATES.forEach(function (s) {
      var n = summary.triples[s] || 0;
      if (!n || !summary.total) return;
      var part = el('span', { className: 'bg-' + s });
      part.style.width = (100 * n / summary.total) + '%';
      bar.appendChild(part);
    });
    return bar;
  }

  function renderGroups() {
    var root = $('groups');
    clear(root);
    if (!state.status) return;
    var providers = state.status.pool.providers.filter(function (p) {
      return !state.filters.provider || p.provider === state.filters.provider;
    });
    if (providers.length === 0) {
      root.appendChild(el('p', { className: 'muted', text: 'No providers in the pool yet: put keys in keys/<provider>.txt and start the keeper.' }));
    }
    providers.forEach(function (summary) {
      var group = groupOf(summary.provider);
      var head = el('div', { className: 'group-head', 'data-testid': 'group-head-' + summary.provider, onclick: function () { toggleGroup(summary.provider); } }, [
        el('span', { className: 'twisty', text: group.open ? '▾' : '▸' }),
        el('span', { className: 'name', text: summary.provider }),
        stateBar(summary),
        el('span', { text: 'usable ' + summary.usable + ' / ' + summary.total }),
        el('span', { className: 'muted', text: summary.keys.live + ' keys' + (summary.keys.disabled ? ', ' + summary.keys.disabled + ' disabled' : '') }),
        summary.enabled ? null : el('span', { className: 'badge', text: 'provider disabled' }),
        summary.cooldownUntil ? el('span', { className: 'warn' }, ['provider cooldown (' + (summary.cooldownReason || '?') + ') ', countdown(summary.cooldownUntil, '')]) : null
      ]);
      var box = el('div', { className: 'group', 'data-provider': summary.provider, 'data-testid': 'group-' + summary.provider }, [head]);
      if (group.open) box.appendChild(renderGroupBody(summary.provider, group));
      root.appendChild(box);
    });
  }

  function renderGroupBody(provider, group) {
    var body = el('div', { className: 'group-body' });
    if (group.error) body.appendChild(el('p', { className: 'bad', text: group.error }));
    var page = group.page;
    if (!page) {
      body.appendChild(el('p', { className: 'muted', text: 'loading…' }));
      return body;
    }
    if (page.keys.length === 0) {
      body.appendChild(el('p', { className: 'muted', text: 'no keys match the filters' }));
      return body;
    }
    var models = [];
    page.keys.forEach(function (k) {
      k.triples.forEach(function (t) { if (models.indexOf(t.model) < 0) models.push(t.model); });
    });
    models.sort();
    var headRow = el('tr', null, [el('th', { text: 'key' })].concat(models.map(function (m) { return el('th', { text: m }); }), [el('th', { text: 'actions' })]));
    var tbody = el('tbody');
    page.keys.forEach(function (k) { tbody.appendChild(renderKeyRow(k, models)); });
    body.appendChild(el('table', { className: 'grid' }, [el('thead', null, [headRow]), tbody]));
    var first = group.index * PAGE + 1;
    var pager = el('div', { className: 'pager' }, [
      el('button', { type: 'button', disabled: group.index === 0, onclick: function () { group.index -= 1; reloadGroup(provider); } }, ['‹ Prev']),
      el('span', { text: 'keys ' + first + '–' + (first + page.keys.length - 1) + ' of ' + page.total }),
      el('button', { type: 'button', 'data-testid': 'next-' + provider, disabled: page.nextCursor === null, onclick: function () {
        group.cursors[group.index + 1] = page.nextCursor;
        group.index += 1;
        reloadGroup(provider);
      } }, ['Next ›'])
    ]);
    body.appendChild(pager);
    return body;
  }

  function renderKeyRow(key, models) {
    var byModel = {};
    key.triples.forEach(function (t) { byModel[t.model] = t; });
    var keyCell = el('td', { className: 'keycell' }, [
      el('div', null, [el('span', { text: '#' + key.keyId + ' ' }), el('span', { className: 'mask', text: key.mask }),
        key.disabled ? el('span', { className: 'badge', text: 'disabled' }) : null,
        key.removed ? el('span', { className: 'badge', text: 'removed' }) : null]),
      el('div', { className: 'src', text: key.sourceFile + ':' + key.sourceLine + (key.bucket ? ' · bucket ' + key.bucket.name : '') + (key.proxy ? ' · proxy ' + key.proxy.mask : '') }),
      key.bucket && key.bucket.cooldownUntil && Date.parse(key.bucket.cooldownUntil) > serverNow()
        ? el('div', { className: 'warn' }, ['bucket cooldown ', countdown(key.bucket.cooldownUntil, '')]) : null
    ]);
    var cells = models.map(function (model) {
      var t = byModel[model];
      if (!t) return el('td', { className: 'cell-td' }, [el('div', { className: 'cell none', text: '—' })]);
      return el('td', { className: 'cell-td' }, [renderCell(key, t)]);
    });
    var actions = el('td', { className: 'actions' }, [
      el('button', { type: 'button', 'data-testid': 'reset-key-' + key.keyId, disabled: key.disabled || key.removed, title: 'start every triple of this key over as untested (probed next)', onclick: function () { act(key.keyId, 'reset'); } }, ['Reset']),
      key.disabled
        ? el('button', { type: 'button', 'data-testid': 'enable-key-' + key.keyId, onclick: function () { act(key.keyId, 'enable'); } }, ['Enable'])
        : el('button', { type: 'button', 'data-testid': 'disable-key-' + key.keyId, onclick: function () { act(key.keyId, 'disable'); } }, ['Disable']),
      el('button', { type: 'button', 'data-testid': 'history-key-' + key.keyId, onclick: function () { openKeyHistory(key.keyId, key.mask); } }, ['History'])
    ]);
    return el('tr', { 'data-key-id': key.keyId, 'data-testid': 'key-' + key.keyId }, [keyCell].concat(cells, [actions]));
  }

  function renderCell(key, t) {
    var detail = [];
    if (t.reason) detail.push('reason: ' + t.reason);
    if (t.lastError) detail.push('last error: ' + t.lastError.reason + (t.lastError.message ? ' — ' + t.lastError.message : '') + (t.lastError.at ? ' (' + formatAgo(t.lastError.at) + ')' : ''));
    if (t.lastOkAt) detail.push('last ok ' + formatAgo(t.lastOkAt));
    if (t.consecutiveFailures) detail.push(t.consecutiveFailures + ' failures in a row');
    if (t.inflight) detail.push(t.inflight + ' in flight');
    var cell = el('div', {
      className: 'cell bg-' + t.state,
      'data-testid': 'cell-' + t.tripleId,
      'data-state': t.state,
      title: detail.join('\n') || t.state
    }, [
      el('div', null, [el('span', { className: 'st', text: t.state }), t.reason ? ' · ' + t.reason : null]),
      t.cooldownUntil && (t.state === 'cooldown' || t.state === 'no_quota') ? el('div', { className: 'sub' }, [countdown(t.cooldownUntil, 'back in ')]) : null,
      el('div', { className: 'sub', text: percent(t.successRate) + ' ok · ' + (t.latencyMs === null ? '-' : Math.round(t.latencyMs) + ' ms') }),
      t.lastError && t.state === 'active' ? el('div', { className: 'sub', text: 'last err ' + t.lastError.reason }) : null
    ]);
    if (t.state !== 'active' && t.state !== 'untested' && t.state !== 'disabled' && t.state !== 'removed' && !key.disabled) {
      cell.appendChild(el('button', { type: 'button', 'data-testid': 'reset-triple-' + t.tripleId, title: 'reset this model only', onclick: function (event) {
        event.stopPropagation();
        act(key.keyId, 'reset', t.model);
      } }, ['reset']));
    }
    return cell;
  }

  function toggleGroup(provider) {
    var group = groupOf(provider);
    group.open = !group.open;
    renderGroups();
    if (group.open) reloadGroup(provider);
  }

  function reloadGroup(provider) {
    return loadGroup(provider).then(renderGroups, handleFailure);
  }

  function setFilter(name, value) {
    state.filters[name] = value;
    if (name === 'provider') $('filter-provider').value = value;
    if (name === 'state') $('filter-state').value = value;
    Object.keys(state.groups).forEach(function (p) {
      var g = state.groups[p];
      g.cursors = [null];
      g.index = 0;
      g.page = null;
    });
    if (name === 'q' && value && state.status) {
      // A search is for finding a key: look in every provider at once.
      state.status.pool.providers.forEach(function (p) { groupOf(p.provider).open = true; });
    }
    if (state.status) renderSummary(state.status);
    renderGroups();
    refresh();
  }

  function act(keyId, action, model) {
    var path = '/admin/keys/' + keyId + '/' + action + (model ? '?model=' + encodeURIComponent(model) : '');
    return api(path, 'POST').then(function () { return refresh(); }, handleFailure);
  }

  function openKeyHistory(keyId, mask) {
    state.historyKey = keyId;
    state.historyCursor = null;
    $('key-history-title').textContent = 'History of key #' + keyId + ' ' + mask;
    $('key-history').hidden = false;
    loadKeyHistory(false);
  }

  function loadKeyHistory(more) {
    var path = '/admin/keys/' + state.historyKey + '/history?limit=50' + (more && state.historyCursor ? '&cursor=' + state.historyCursor : '');
    api(path).then(function (page) {
      var body = $('key-history').querySelector('tbody');
      var previous = more ? state.historyEntries || [] : [];
      state.historyEntries = previous.concat(page.entries);
      state.historyCursor = page.nextCursor;
      renderHistoryRows(body, state.historyEntries, true);
      $('key-history-more').hidden = page.nextCursor === null;
    }, handleFailure);
  }

  $('key-history-close').addEventListener('click', function () { $('key-history').hidden = true; });
  $('key-history-more').addEventListener('click', function () { loadKeyHistory(true); });

  // ---- refresh loop --------------------------------------------------------------------------------

  function handleFailure(error) {
    if (error instanceof AuthProblem) {
      showLogin(error.message);
      return;
    }
    showError('Refresh failed: ' + (error && error.message ? error.message : String(error)) + ' — retrying.');
  }

  function refresh() {
    if (state.refreshing) {
      // An action or a filter changed what to show: fetch once more after the refresh in flight.
      state.again = state.again || state.refreshing.then(function () { state.again = null; return refresh(); });
      return state.again;
    }
    state.refreshing = api('/admin/status').then(function (status) {
      syncClock(status.serverTime);
      state.status = status;
      var firstTime = !document.body.hasAttribute('data-loaded');
      if (firstTime && status.pool.providers.length === 1) groupOf(status.pool.providers[0].provider).open = true;
      var open = status.pool.providers.filter(function (p) { return groupOf(p.provider).open; });
      return Promise.all([api('/admin/history?limit=25')].concat(open.map(function (p) { return loadGroup(p.provider); })))
        .then(function (results) {
          showMain();
          showError('');
          renderSummary(status);
          renderTraffic(status.traffic);
          renderHistoryRows($('history').tBodies[0], results[0].entries, false);
          renderGroups();
          $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
          document.body.setAttribute('data-loaded', 'true');
        });
    }).catch(handleFailure).then(function () { state.refreshing = null; });
    return state.refreshing;
  }

  $('pause').addEventListener('click', function () {
    state.paused = !state.paused;
    $('pause').textContent = state.paused ? 'Resume' : 'Pause';
    if (!state.paused) refresh();
  });

  STATES.forEach(function (s) { $('filter-state').appendChild(el('option', { value: s, text: s })); });
  $('filter-provider').addEventListener('change', function (e) { setFilter('provider', e.target.value); });
  $('filter-state').addEventListener('change', function (e) { setFilter('state', e.target.value); });
  var typing = null;
  $('filter-q').addEventListener('input', function (e) {
    clearTimeout(typing);
    typing = setTimeout(function () { setFilter('q', e.target.value.trim()); }, 300);
  });
  $('expand-all').addEventListener('click', function () {
    if (!state.status) return;
    state.status.pool.providers.forEach(function (p) { groupOf(p.provider).open = true; });
    renderGroups();
    refresh();
  });
  $('collapse-all').addEventListener('click', function () {
    Object.keys(state.groups).forEach(function (p) { state.groups[p].open = false; });
    renderGroups();
  });

  setInterval(function () { if (!state.paused && !document.hidden && $('login').hidden) refresh(); }, REFRESH_MS);
  setInterval(tick, 1000);
  refresh();
})();
`;
