// The center's wall. Reads the broker's monitoring endpoint with the
// endpoint's bearer token: the zones' outlines (/v1/zones), the open alerts
// (/v1/alerts), the units' positions (/v1/units), latency (/v1/stats) and one
// alert's timeline (/v1/alerts/ID); and follows the live event stream
// (/v1/events, server-sent events read through fetch so that the token goes
// in a header, not in the URL). Events move units at once and make the
// lists reload within a fraction of a second. No library, no network beyond
// the broker.
//
// The console (publish, amend, assign, cancel, close) posts to
// /v1/console/ACTION with the operator's own token; the broker carries the
// action out as that operator's session, as the CLI would, and answers with
// its PubAck once the journal has it.

const state = {
  token: '',
  operator: '',           // who the console acts as
  started: false,         // the wall is up (a second sign-in only changes who acts)
  consoleReady: false,    // the console's handlers are set
  pendingId: '',          // the alert id of the publish form as filled in
  city: '',
  zones: [],              // {id, name, rings: [[[x, y], ...]], cx, cy}
  project: null,          // [lon, lat] -> [x, y] in the SVG's units
  alerts: new Map(),      // alert_id -> AlertStatus
  units: new Map(),       // unit -> UnitPosition
  selected: '',
  escalations: [],
  stats: null,
  shownAlerts: '',        // what the alert list shows, to skip redrawing it unchanged
  online: new Map(),      // zone -> terminals online
  dots: new Map(),        // unit -> its circle on the map
  movedUnits: new Set(),  // units to redraw at the next frame
  framePending: false,
  zonesDirty: false,      // the per-zone counts, redrawn at most once a second
  connected: false,
};

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text = '') {
  const e = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4))
                                   : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

async function api(path) {
  const response = await fetch(path, {headers: {Authorization: 'Bearer ' + state.token},
                                      cache: 'no-store'});
  if (response.status === 401 || response.status === 403) {
    throw Object.assign(new Error(await response.text()), {auth: true});
  }
  if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
  return response.json();
}

// --- sign-in -------------------------------------------------------------

function signIn() {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem('zonecast-token', fromUrl);
    sessionStorage.setItem('zonecast-operator', params.get('operator') || '');
    history.replaceState(null, '', location.pathname);  // not left in the address bar
  }
  state.token = sessionStorage.getItem('zonecast-token') || '';
  state.operator = sessionStorage.getItem('zonecast-operator') || '';
  $('sign-in').onsubmit = (e) => {
    e.preventDefault();
    state.token = $('token').value.trim();
    state.operator = $('operator-name').value.trim();
    sessionStorage.setItem('zonecast-token', state.token);
    sessionStorage.setItem('zonecast-operator', state.operator);
    start();
  };
  if (state.token) return start();
  $('sign-in').hidden = false;
}

async function start() {
  if (state.started) return whoAmI();  // signed in again: only who acts changed
  try {
    await loadZones();
  } catch (e) {
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = e.auth ? 'the broker refused this token' : String(e.message);
    sessionStorage.removeItem('zonecast-token');
    return;
  }
  $('sign-in').hidden = true;
  $('wall').hidden = false;
  state.started = true;
  await whoAmI();
  follow();  // first, so that nothing between the loads and the stream is lost
  await reloadAll();
  drawZoneUnits();
  setInterval(tick, 1000);
  setInterval(loadStats, 5000);
  setInterval(reloadSoon, 5000);
}

// --- the map ---------------------------------------------------------------

async function loadZones() {
  const geo = await api('/v1/zones');
  const zones = [];
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const f of geo.features) {
    const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates]
                                                   : f.geometry.coordinates;
    const rings = polygons.map((p) => p[0]);
    for (const ring of rings) {
      for (const [lon, lat] of ring) {
        minX = Math.min(minX, lon); maxX = Math.max(maxX, lon);
        minY = Math.min(minY, lat); maxY = Math.max(maxY, lat);
      }
    }
    zones.push({id: f.properties.zone, name: f.properties.name || '', rings});
  }
  // Equirectangular, a degree of longitude shortened by the cosine of the
  // latitude: true to shape across a city.
  const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const scale = 1000 / Math.max((maxX - minX) * k, maxY - minY);
  state.project = ([lon, lat]) => [(lon - minX) * k * scale, (maxY - lat) * scale];
  const width = (maxX - minX) * k * scale, height = (maxY - minY) * scale;
  $('map').setAttribute('viewBox', `-10 -10 ${width + 20} ${height + 20}`);
  state.city = geo.city || (geo.name || '').replace(/-zones$/, '');
  $('city').textContent = state.city;
  state.unproject = ([x, y]) => [minX + x / (k * scale), maxY - y / scale];
  const layer = $('zones'), labels = $('zone-labels');
  for (const z of zones) {
    const d = z.rings.map((ring) => 'M' + ring.map((p) => state.project(p).join(',')).join('L') + 'Z')
                     .join('');
    const path = el('svg:path', {d, class: 'zone', 'data-zone': z.id});
    path.appendChild(el('svg:title', {}, `${z.id} ${z.name}`));
    layer.appendChild(path);
    let sx = 0, sy = 0, n = 0;
    for (const p of z.rings[0].slice(1)) { const [x, y] = state.project(p); sx += x; sy += y; ++n; }
    z.cx = sx / n; z.cy = sy / n;
    const label = el('svg:text', {x: z.cx, y: z.cy, class: 'zone-label', 'data-zone': z.id});
    label.appendChild(el('svg:tspan', {x: z.cx, dy: 0}, `${z.id} ${z.name}`));
    label.appendChild(el('svg:tspan', {x: z.cx, dy: 14, class: 'zone-counts'}, ''));
    labels.appendChild(label);
  }
  state.zones = zones;
  $('map-note').textContent = `${zones.length} zones; dots are units (grey: offline), ` +
                              'triangles open alerts';
}

function drawAlerts() {
  const layer = $('alert-markers');
  layer.replaceChildren();
  const byZone = new Map();
  for (const a of state.alerts.values()) {
    const worst = byZone.get(a.zone);
    if (!worst || a.priority < worst) byZone.set(a.zone, a.priority);
    if (!a.located || !state.project) continue;
    const [x, y] = state.project([a.lon, a.lat]);
    const marker = el('svg:path', {d: `M${x},${y - 12}L${x + 10},${y + 6}L${x - 10},${y + 6}Z`,
                                   class: `alert-marker ${a.priority}` +
                                          (a.alert_id === state.selected ? ' selected' : ''),
                                   'data-alert-id': a.alert_id});
    marker.appendChild(el('svg:title', {}, `${a.priority} ${a.title}`));
    marker.onclick = () => select(a.alert_id);
    layer.appendChild(marker);
  }
  for (const path of document.querySelectorAll('path.zone')) {
    const worst = byZone.get(path.dataset.zone);
    path.classList.toggle('alerting', Boolean(worst));
    path.classList.toggle('p1', worst === 'P1');
  }
}

// One unit's dot, found in a map rather than the document: a thousand
// units report every few seconds.
function drawUnit(u) {
  if (!state.project) return;
  let dot = state.dots.get(u.unit);
  if (!dot) {
    dot = el('svg:circle', {r: 5, class: 'unit', 'data-unit': u.unit});
    dot.appendChild(el('svg:title', {}, u.unit));
    $('units').appendChild(dot);
    state.dots.set(u.unit, dot);
  }
  const [x, y] = state.project([u.lon, u.lat]);
  dot.setAttribute('cx', x);
  dot.setAttribute('cy', y);
  dot.classList.toggle('offline', !u.online);
}

function drawUnits() {
  for (const u of state.units.values()) drawUnit(u);
  for (const [unit, dot] of state.dots) {
    if (!state.units.has(unit)) {
      dot.remove();
      state.dots.delete(unit);
    }
  }
}

// Events change the model at once and the page at the next frame, once
// for all that came in between.
function redrawSoon() {
  if (state.framePending) return;
  state.framePending = true;
  requestAnimationFrame(() => {
    state.framePending = false;
    for (const unit of state.movedUnits) {
      const u = state.units.get(unit);
      if (u) drawUnit(u);
    }
    state.movedUnits.clear();
  });
}

// --- lists -----------------------------------------------------------------

const PRIORITY_ORDER = {P1: 1, P2: 2, P3: 3, P4: 4};

function ageText(a, now) {
  const age = Math.max(0, (now - a.published_unix_ms) / 1000);
  const left = a.deadline_unix_ms ? (a.deadline_unix_ms - now) / 1000 : null;
  const mmss = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  if (left === null) return {text: mmss(age), cls: 'ok'};
  const cls = left < 0 ? 'late' : left < 10 ? 'near' : 'ok';
  return {text: `${mmss(age)} (${left < 0 ? 'late ' + mmss(-left) : mmss(left) + ' left'})`, cls};
}

function drawAlertList() {
  const list = $('alerts');
  const alerts = [...state.alerts.values()].sort((a, b) =>
      (PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority]) ||
      (a.published_unix_ms - b.published_unix_ms));
  const now = Date.now();
  list.replaceChildren(...alerts.map((a) => {
    const li = el('li', {class: a.priority + (a.alert_id === state.selected ? ' selected' : ''),
                         'data-alert-id': a.alert_id, 'data-state': a.state});
    const age = ageText(a, now);
    li.appendChild(el('span', {class: 'age ' + age.cls}, age.text));
    li.appendChild(el('span', {class: 'prio'}, a.priority));
    li.appendChild(el('span', {class: 'title'}, a.title || a.alert_id));
    const takers = (a.takers || []).join(', ');
    const meta = `${a.zone} \u00b7 ${a.state}` +
                 (a.units_received ? ` \u00b7 ${a.units_received} received` : '') +
                 (a.escalated ? ' \u00b7 escalated' : '');
    li.appendChild(el('div', {class: 'meta'}, meta));
    if (takers) li.appendChild(el('div', {class: 'taken'}, 'taken by ' + takers));
    li.onclick = () => select(a.alert_id);
    return li;
  }));
  $('alert-count').textContent = `(${alerts.length})`;
}

function drawZoneUnits() {
  state.zonesDirty = false;
  const positions = new Map(), opens = new Map();
  for (const u of state.units.values()) positions.set(u.zone, (positions.get(u.zone) || 0) + 1);
  for (const a of state.alerts.values()) opens.set(a.zone, (opens.get(a.zone) || 0) + 1);
  const rows = [];
  for (const z of state.zones) {
    const units = {length: positions.get(z.id) || 0};
    const online = state.online.get(z.id) || 0;
    const open = opens.get(z.id) || 0;
    const tr = el('tr', {'data-zone': z.id});
    for (const v of [`${z.id} ${z.name}`, online, units.length, open]) tr.appendChild(el('td', {}, String(v)));
    rows.push(tr);
    const counts = document.querySelector(`text[data-zone="${z.id}"] .zone-counts`);
    if (counts) counts.textContent = `${online} units \u00b7 ${open} open`;
  }
  $('zone-units').tBodies[0].replaceChildren(...rows);
}

function drawEscalations() {
  const list = $('escalations');
  if (!state.escalations.length) return;
  list.replaceChildren(...state.escalations.slice(0, 20).map((e) => {
    const when = new Date(Number(e.unix_ms)).toLocaleTimeString();
    const to = (e.neighbours || []).join(', ');
    return el('li', {'data-alert-id': (e.alert || {}).alert_id || ''},
              `${when} ${(e.alert || {}).alert_id || ''} ${e.reason} (step ${e.level || 1})` +
              (to ? ` \u2192 ${to}` : ''));
  }));
}

function drawLatency() {
  const body = $('latency').tBodies[0];
  const rows = [];
  for (const s of (state.stats && state.stats.latency_by_priority) || []) {
    if (!['routing', 'pub_ack', 'end_to_end', 'response_accepted'].includes(s.stage)) continue;
    const tr = el('tr');
    for (const v of [s.stage, s.priority, fmt(s.p50_ms), fmt(s.p99_ms), s.count]) {
      tr.appendChild(el('td', {}, String(v)));
    }
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

const fmt = (ms) => (ms === undefined ? '' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

async function select(id) {
  state.selected = id;
  drawAlertList();
  drawAlerts();
  showUpdateForm();
  $('timeline-of').textContent = id;
  try {
    const t = await api('/v1/alerts/' + encodeURIComponent(id));
    const entries = (t.timeline || t).entries || [];
    $('timeline').replaceChildren(...entries.map((e) => el('li', {},
        `${new Date(Number(e.unix_ms)).toLocaleTimeString()} ${e.kind}` +
        (e.level && e.level !== 'ACK_LEVEL_UNSPECIFIED' ? ' ' + e.level : '') +
        (e.unit ? ' ' + e.unit : '') +
        (e.zone ? ' (' + e.zone + ')' : '') + (e.text ? ': ' + e.text : ''))));
  } catch (e) {
    $('timeline').replaceChildren(el('li', {class: 'muted'}, String(e.message)));
  }
}

// --- the console -------------------------------------------------------------

// Who the token signs in as: an operator of the keys file, or (a broker
// without one) whoever the sign-in form named.
async function whoAmI() {
  let who = {};
  try {
    who = await api('/v1/console/operator');
  } catch (e) { /* an older broker: no console */ }
  if (who.operator_name) state.operator = who.operator_name;
  const canAct = who.may_act && state.operator;
  $('signed-in').textContent = canAct
      ? 'signed in as ' + state.operator + (who.operator_name ? '' : ' (as said: no keys file)')
      : 'watching' + (who.reason ? ': ' + who.reason
                                 : who.may_act ? ' (sign in with your name to act)' : '');
  $('console').hidden = !canAct;
  $('sign-in').hidden = true;
  if (canAct && !state.consoleReady) setUpConsole();
  // A broker without a keys file acts for a name: offer the form again.
  if (who.may_act && !state.operator) {
    $('token').value = state.token;
    $('sign-in').hidden = false;
  }
}

function newAlertId() {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return 'w-' + Date.now() + '-' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Posts an action; resolves to the broker's answer (its PubAck) or throws
// the broker's error.
async function act(action, request) {
  request.operator_name = state.operator;
  const response = await fetch('/v1/console/' + action, {
      method: 'POST', cache: 'no-store', body: JSON.stringify(request),
      headers: {Authorization: 'Bearer ' + state.token, 'Content-Type': 'application/json'}});
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || 'HTTP ' + response.status);
  return answer;
}

function say(text, cls) {
  const p = $('console-result');
  p.textContent = text;
  p.className = cls;
}

// Runs one action from a button, showing its outcome; the lists follow
// from the event stream. The console's buttons wait while it runs.
async function run(action, request, what) {
  const buttons = document.querySelectorAll('#console button');
  for (const b of buttons) b.disabled = true;
  say(what + '\u2026', 'muted');
  try {
    const answer = await act(action, request);
    const where = answer.held ? 'held, sent live (the journal could not store it yet)'
                              : `stored as seq ${answer.seq}`;
    say(`${what}: ${where}` + (answer.duplicate ? ' (already stored)' : '') +
        ` by ${answer.operator_name}`, 'done');
    return answer;
  } catch (e) {
    say(`${what}: ${e.message}`, 'error');
    return null;
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

function setUpConsole() {
  state.consoleReady = true;
  const zone = $('pub-zone');
  zone.replaceChildren(el('option', {value: ''}, 'zone by location'),
                       ...state.zones.map((z) => el('option', {value: z.id}, `${z.id} ${z.name}`)));
  // A click on the map places the alert there (and picks its zone).
  $('map').addEventListener('click', (e) => {
    if (!state.unproject || e.target.closest('.alert-marker')) return;
    const svg = $('map');
    const at = new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.getScreenCTM().inverse());
    const [lon, lat] = state.unproject([at.x, at.y]);
    $('pub-lat').value = lat.toFixed(5);
    $('pub-lon').value = lon.toFixed(5);
    const hit = e.target.closest('path.zone');
    zone.value = hit ? hit.dataset.zone : '';
    let pick = document.querySelector('circle.pick');
    if (!pick) {
      pick = el('svg:circle', {r: 9, class: 'pick'});
      $('pick').appendChild(pick);
    }
    pick.setAttribute('cx', at.x);
    pick.setAttribute('cy', at.y);
    state.pendingId = '';  // another place: another alert
  });
  $('publish-form').onsubmit = async (e) => {
    e.preventDefault();
    // One id per alert as filled in: publishing it again (a retry after an
    // error or a timeout) is answered as the same alert, never sent twice.
    if (!state.pendingId) state.pendingId = newAlertId();
    const request = {alert_id: state.pendingId, priority: $('pub-priority').value,
                     title: $('pub-title').value.trim(), body: $('pub-body').value.trim(),
                     topic: `alert.${state.city}` + (zone.value ? '.' + zone.value : '')};
    const lat = parseFloat($('pub-lat').value), lon = parseFloat($('pub-lon').value);
    if (Number.isFinite(lat) && Number.isFinite(lon)) request.location = {lat, lon};
    if (await run('publish', request, 'publish ' + request.alert_id)) {
      $('pub-title').value = $('pub-body').value = '';
      state.pendingId = '';
    }
  };
  // A changed alert is a new one: it gets a new id.
  for (const id of ['pub-zone', 'pub-priority', 'pub-title', 'pub-body', 'pub-lat', 'pub-lon']) {
    $(id).addEventListener('input', () => { state.pendingId = ''; });
  }
  const update = (action, fields) => async () => {
    const a = state.alerts.get(state.selected);
    if (!a) return say('select an open alert first', 'error');
    await run(action, Object.assign({topic: a.topic, alert_id: a.alert_id}, fields()),
              `${action} ${a.alert_id}`);
    select(a.alert_id);  // its timeline shows the change
  };
  const text = () => $('upd-text').value.trim();
  $('do-amend').onclick = update('amend', () => {
    const change = {};
    if (text()) change.title = text();
    if ($('upd-priority').value) change.priority = $('upd-priority').value;
    return change;
  });
  $('do-assign').onclick = update('assign', () => ({unit: $('upd-unit').value.trim(), text: text()}));
  $('do-cancel').onclick = update('cancel', () => ({text: text()}));
  $('do-close').onclick = update('close', () => ({text: text()}));
}

// Shows the console's update form for the selected alert.
function showUpdateForm() {
  const a = state.alerts.get(state.selected);
  $('update-form').hidden = !a || $('console').hidden;
  $('upd-alert').textContent = a ? `${a.priority} ${a.title || a.alert_id}` : '';
}

// --- loading and following -------------------------------------------------

async function loadAlerts() {
  const list = await api('/v1/alerts?state=open');
  const before = state.alerts.get(state.selected);
  state.alerts = new Map((list.alerts || []).map((a) => [a.alert_id, a]));
  // Redrawn only when what the list shows changed (not its ages, which
  // tick() keeps current in place).
  const shown = (list.alerts || []).map((a) => [a.alert_id, a.priority, a.state, a.title,
      a.units_received, a.escalated, (a.takers || []).join(','), a.lat, a.lon].join('|')).join('\n');
  if (shown !== state.shownAlerts) {
    state.shownAlerts = shown;
    drawAlertList();
    drawAlerts();
    showUpdateForm();  // the selected alert may have ended
    state.zonesDirty = true;
  }
  // The selected alert's timeline again only when the alert changed.
  const after = state.alerts.get(state.selected);
  if (after && (!before || before.last_change_unix_ms !== after.last_change_unix_ms ||
                before.state !== after.state)) {
    select(state.selected);
  }
}

async function loadUnits() {
  const [list, sessions] = await Promise.all([api('/v1/units'), api('/v1/sessions')]);
  state.units = new Map((list.units || []).map((u) => [u.unit, u]));
  // Terminals online per zone, whether or not they reported a position.
  state.online = new Map();
  for (const s of sessions.sessions || []) {
    if (s.role !== 'terminal') continue;
    const zone = (s.zone || '').split('.').pop();
    state.online.set(zone, (state.online.get(zone) || 0) + 1);
  }
  drawUnits();
  state.zonesDirty = true;
}

async function loadStats() {
  try {
    state.stats = await api('/v1/stats');
    drawLatency();
  } catch (e) { /* shown by the link state */ }
}

async function reloadAll() {
  await Promise.all([loadAlerts(), loadUnits(), loadStats()]);
}

// `load`, `ms` after the first call of a burst, once for the whole burst,
// and never twice at once: a busy night must not pile loads up. (Failures
// show in the link state.)
function coalesced(load, ms) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setTimeout(async () => {
      try {
        await load();
      } catch (e) { /* the link state shows it */ }
      pending = false;
    }, ms);
  };
}

// Many events in a burst make one reload, a fifth of a second later;
// presence comes in bursts too (a restart brings every terminal back).
const reloadSoon = coalesced(() => loadAlerts(), 200);
const reloadUnitsSoon = coalesced(() => loadUnits(), 1000);

function onEvent(type, data) {
  switch (type) {
    case 'position': {
      const known = state.units.get(data.unit);
      state.units.set(data.unit, Object.assign(known || {}, data, {online: true}));
      state.movedUnits.add(data.unit);
      redrawSoon();
      if (!known) state.zonesDirty = true;
      break;
    }
    case 'presence':
      if (state.units.has(data.unit)) {
        state.units.get(data.unit).online = data.state === 'ONLINE';
        state.movedUnits.add(data.unit);
        redrawSoon();
      }
      if (data.role === 'terminal') reloadUnitsSoon();
      break;
    case 'escalation':
      state.escalations.unshift(data.event.escalation);
      drawEscalations();
      reloadSoon();
      break;
    case 'missed':
      reloadAll().catch(() => {});
      break;
    case 'ack':
      // A RECEIVED changes only a count: the periodic reload shows it.
      if (data.level !== 'RECEIVED') reloadSoon();
      break;
    case 'alert': case 'update':
      reloadSoon();
      break;
  }
}

// Reads the server-sent events of /v1/events; reconnects after 2 s if the
// stream ends, and reloads everything then (events may have been missed).
async function follow() {
  for (;;) {
    try {
      const response = await fetch('/v1/events', {
          headers: {Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream'},
          cache: 'no-store'});
      if (!response.ok) throw new Error('HTTP ' + response.status);
      setLink(true);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, {stream: true});
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message', data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) onEvent(type, JSON.parse(data));
        }
      }
    } catch (e) { /* reconnect below */ }
    setLink(false);
    await new Promise((r) => setTimeout(r, 2000));
    reloadAll().catch(() => {});
  }
}

function setLink(up) {
  state.connected = up;
  $('link').textContent = up ? 'live' : 'reconnecting';
  $('link').className = 'link ' + (up ? 'up' : 'down');
}

// Once a second: the clock, the alerts' ages (in place: the list is
// rebuilt only when it changes) and the per-zone counts if they changed.
function tick() {
  $('clock').textContent = new Date().toLocaleTimeString();
  const now = Date.now();
  for (const li of $('alerts').children) {
    const a = state.alerts.get(li.dataset.alertId);
    const span = li.firstChild;
    if (!a || !span) continue;
    const age = ageText(a, now);
    span.textContent = age.text;
    span.className = 'age ' + age.cls;
  }
  if (state.zonesDirty) drawZoneUnits();
}

signIn();
