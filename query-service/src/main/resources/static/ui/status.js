// The status page: this node, its rebuilds, and every namespace's partitions with their owner and
// replicas, as the node's own API reports them. Refreshes itself; no build step, no dependencies.
'use strict';

const every = Math.max(0.5, Number(new URLSearchParams(location.search).get('every')) || 2);

function field(root, name) {
  return root.querySelector(`[data-field="${name}"]`);
}

function set(root, name, text) {
  field(root, name).textContent = text;
}

// A secured node answers 401/403 without credentials: the page then asks for an API key (kept for this tab only).
function credentials() {
  const key = sessionStorage.getItem('logkv-api-key');
  return key ? { Authorization: `ApiKey ${key}` } : {};
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json', ...credentials() }, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) {
    document.getElementById('login').hidden = false;
  }
  if (!response.ok) {
    let detail = '';
    try { detail = (await response.json()).detail || ''; } catch (ignored) { /* not a problem document */ }
    throw new Error(`${path}: ${response.status} ${detail}`.trim());
  }
  return response.json();
}

function cell(row, text, options = {}) {
  const td = document.createElement('td');
  td.textContent = text;
  if (options.number) td.className = 'number';
  if (options.field) td.dataset.field = options.field;
  if (options.pill) {
    const span = document.createElement('span');
    span.className = `pill ${options.pill}`;
    span.textContent = text;
    td.textContent = '';
    td.appendChild(span);
  }
  row.appendChild(td);
  return td;
}

function ttl(seconds) {
  if (!seconds) return 'none';
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function count(value) {
  return value < 0 ? 'unknown' : value.toLocaleString('en');
}

function renderNode(node, health) {
  const header = document.querySelector('header');
  set(header, 'node', node.node);
  set(header, 'url', node.url);
  const pill = field(header, 'health');
  pill.textContent = health;
  pill.className = `pill ${health === 'UP' ? 'ok' : 'bad'}`;
}

function renderRebuilds(rebuilds) {
  const table = document.getElementById('rebuilds');
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of rebuilds) {
    const row = body.insertRow();
    row.dataset.namespace = r.namespace;
    row.dataset.partition = r.partition;
    cell(row, r.namespace);
    cell(row, r.partition, { number: true });
    cell(row, r.state, { pill: r.state === 'FAILED' ? 'bad' : r.state === 'DONE' ? 'ok' : 'warn' });
    cell(row, `${r.percentDone.toFixed(1)} %`, { number: true });
    cell(row, `${count(r.appliedPosition)} / ${count(r.targetPosition)}`, { number: true });
    cell(row, count(r.recordsPerSecond), { number: true });
    cell(row, r.megabytesPerSecond.toFixed(1), { number: true });
    cell(row, `${(r.elapsedMs / 1000).toFixed(1)} s`, { number: true });
    cell(row, r.failure || '');
  }
  table.hidden = rebuilds.length === 0;
  document.querySelector('[data-field="no-rebuilds"]').hidden = rebuilds.length > 0;
}

function renderNamespace(section, description) {
  set(section, 'name', description.name);
  set(section, 'partitions', description.partitions);
  set(section, 'topic', description.truthTopic);
  set(section, 'ttl', ttl(description.defaultTtlSeconds));
  let home = '';
  if (description.homeRegion) {
    const lags = (description.mirror || []).map(m => m.lagMs);
    const lag = lags.length === 0 || lags.some(l => l < 0) ? 'unknown' : `${Math.max(...lags).toLocaleString('en')} ms`;
    home = ` · a copy of region ${description.homeRegion} (reads only), mirror lag ${lag}`;
  }
  set(section, 'home', home);
  const body = section.querySelector('table.partitions').tBodies[0];
  body.replaceChildren();
  for (const partition of description.topology) {
    const replicas = partition.replicas.length ? partition.replicas : [{ node: '', state: null, error: 'no replica placed' }];
    replicas.forEach((replica, index) => {
      const row = body.insertRow();
      row.dataset.partition = partition.partition;
      row.dataset.node = replica.node;
      if (index === 0) row.className = 'partition-first';
      cell(row, index === 0 ? partition.partition : '', { number: true });
      cell(row, index === 0 ? (partition.owner || 'none') : '', { field: index === 0 ? 'owner' : undefined });
      cell(row, replica.node || '');
      const state = replica.state;
      if (!state) {
        cell(row, replica.error || 'unknown', { pill: 'bad', field: 'serving' });
        for (let i = 0; i < 5; i++) cell(row, '');
        return;
      }
      cell(row, state.serving ? 'serving' : 'catching up', { pill: state.serving ? 'ok' : 'warn', field: 'serving' });
      cell(row, count(state.appliedPosition), { number: true, field: 'applied' });
      cell(row, count(state.lagRecords), { number: true, field: 'lag-records' });
      cell(row, state.lagMs < 0 ? 'unknown' : count(state.lagMs), { number: true, field: 'lag-ms' });
      cell(row, count(state.estimatedKeys), { number: true });
      cell(row, state.origin || '');
    });
  }
}

async function refresh() {
  const error = document.getElementById('error');
  try {
    const [node, health, list] = await Promise.all([
      getJson('/v1/admin/replicas'),
      getJson('/actuator/health/readiness').then(h => h.status, () => 'DOWN'),
      getJson('/v1/namespaces'),
    ]);
    const names = list.namespaces.map(n => n.name).sort();
    const descriptions = await Promise.all(names.map(name => getJson(`/v1/namespaces/${encodeURIComponent(name)}`)));
    renderNode(node, health);
    renderRebuilds(node.rebuilds);
    const container = document.getElementById('namespaces');
    const existing = new Map([...container.children].map(section => [section.dataset.namespace, section]));
    const template = document.getElementById('namespace-template');
    const sections = descriptions.map(description => {
      let section = existing.get(description.name);
      if (!section) {
        section = template.content.firstElementChild.cloneNode(true);
        section.dataset.namespace = description.name;
        section.querySelector('table.partitions').id = `partitions-${description.name}`;
      }
      renderNamespace(section, description);
      return section;
    });
    container.replaceChildren(...sections);
    set(document, 'refreshed', new Date().toLocaleTimeString('en-GB'));
    error.hidden = true;
  } catch (e) {
    error.textContent = `Could not refresh: ${e.message}. The figures below are from the last refresh.`;
    error.hidden = false;
  } finally {
    setTimeout(refresh, every * 1000);
  }
}

document.getElementById('login').addEventListener('submit', event => {
  event.preventDefault();
  sessionStorage.setItem('logkv-api-key', document.getElementById('api-key').value.trim());
  document.getElementById('login').hidden = true;
});
set(document, 'interval', every);
refresh();
