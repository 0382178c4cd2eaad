/*
 * The dashboard page (GET /dashboard). It carries no data: everything comes from the admin JSON API,
 * fetched by dashboard-script.ts. Assets are string modules so the esbuild bundle carries them and
 * nothing is read from disk at runtime. No backticks or dollar-brace in here (a template literal).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>llmgw — pool health</title>
<link rel="stylesheet" href="/dashboard/app.css">
</head>
<body>
<header>
  <h1>llmgw</h1>
  <span class="meta" id="meta">connecting…</span>
  <span class="spacer"></span>
  <span class="meta" id="updated"></span>
  <button type="button" id="pause" data-testid="pause">Pause</button>
  <button type="button" id="forget" data-testid="forget-token" hidden>Forget token</button>
</header>
<section class="panel" id="login" hidden>
  <h2>Admin token</h2>
  <p id="login-message" class="muted">This gateway's admin API needs an admin token (gateway.admin_tokens / LLMGW_ADMIN_TOKENS).</p>
  <form id="login-form" autocomplete="off">
    <input type="password" id="token-input" data-testid="token-input" placeholder="admin token" required>
    <button type="submit" data-testid="token-submit">Open dashboard</button>
  </form>
  <p class="muted">The token stays in this tab's session storage and is sent as a Bearer header to /admin/*.</p>
</section>
<main id="main" hidden>
  <section class="panel">
    <div class="cards" id="cards"></div>
    <div class="chips" id="state-chips"></div>
  </section>
  <section class="panel">
    <h2>Traffic, last <span id="traffic-window">5 min</span></h2>
    <table id="traffic" data-testid="traffic">
      <thead><tr><th>provider</th><th class="num">requests</th><th class="num">req/min</th><th class="num">error rate</th><th class="num">attempts</th><th>failed attempts</th><th class="num">mean latency</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="panel filters">
    <label>provider <select id="filter-provider" data-testid="filter-provider"><option value="">all</option></select></label>
    <label>state <select id="filter-state" data-testid="filter-state"><option value="">any</option></select></label>
    <label>search <input id="filter-q" data-testid="filter-q" placeholder="key id, mask or file" size="24"></label>
    <button type="button" id="expand-all">Expand all</button>
    <button type="button" id="collapse-all">Collapse all</button>
  </section>
  <section id="groups" data-testid="groups"></section>
  <section class="panel">
    <h2>Recent state changes</h2>
    <table id="history" data-testid="history">
      <thead><tr><th>when</th><th>subject</th><th>from</th><th>to</th><th>reason</th><th>by</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
<aside id="key-history" hidden data-testid="key-history">
  <button type="button" id="key-history-close">Close</button>
  <h2 id="key-history-title"></h2>
  <table><thead><tr><th>when</th><th>subject</th><th>from</th><th>to</th><th>reason</th><th>by</th><th>evidence</th></tr></thead><tbody></tbody></table>
  <button type="button" id="key-history-more" hidden>Older</button>
</aside>
<div id="error" role="alert" data-testid="error"></div>
<script src="/dashboard/app.js" defer></script>
</body>
</html>
`;
