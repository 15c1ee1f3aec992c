// tribench view: sorting, run selection, filters, message search and the Live feed.
// Our own code, embedded in the binary; it fetches nothing but the server's own /events.
(function () {
  'use strict';
  var root = document.body.getAttribute('data-root') || '';

  function cellKey(td) {
    var v = td.getAttribute('data-v');
    return v !== null ? v : td.textContent.trim();
  }
  document.querySelectorAll('table.sortable th[data-sort]').forEach(function (th) {
    th.addEventListener('click', function () {
      var table = th.closest('table');
      var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
      var dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
      table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('data-dir'); });
      th.setAttribute('data-dir', dir);
      var numeric = th.getAttribute('data-sort') === 'num';
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = cellKey(a.cells[idx]), y = cellKey(b.cells[idx]);
        var c = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
        return dir === 'asc' ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });

  // Runs page: tick two runs to compare, more for a matrix.
  var pick = document.getElementById('pick');
  if (pick) {
    var picked = function () {
      return Array.prototype.slice.call(document.querySelectorAll('input.pick:checked'))
        .map(function (i) { return i.value; });
    };
    document.querySelectorAll('input.pick').forEach(function (i) {
      i.addEventListener('change', function () {
        var n = picked().length;
        pick.disabled = n < 2;
        pick.textContent = n > 2 ? 'Matrix of ' + n : 'Compare';
        document.getElementById('picked').textContent = n ? n + ' selected' : '';
      });
    });
    pick.addEventListener('click', function () {
      var keys = picked();
      if (keys.length === 2) location.href = 'compare/' + keys[0] + '~' + keys[1] + '/index.html';
      else if (keys.length > 2) location.href = 'matrix/' + keys.join('+') + '/index.html';
    });
  }

  // Run page: filters and search across the run's messages.
  var trials = document.getElementById('trials');
  var applyFilters = function () {};
  if (trials) {
    var search = document.getElementById('search');
    var shown = document.getElementById('shown');
    var loading = false;
    var apply = function () {
      var want = {};
      document.querySelectorAll('select.filter').forEach(function (s) {
        if (s.value) want[s.getAttribute('data-field')] = s.value;
      });
      var q = search.value.trim().toLowerCase();
      var index = window.TB_SEARCH;
      if (q && !index) {
        if (!loading) {
          loading = true;
          var s = document.createElement('script');
          s.src = 'search.js';
          s.onload = apply;
          document.head.appendChild(s);
        }
        shown.textContent = 'searching…';
        return;
      }
      var n = 0;
      Array.prototype.forEach.call(trials.tBodies[0].rows, function (row) {
        var ok = Object.keys(want).every(function (f) { return row.getAttribute('data-' + f) === want[f]; });
        if (ok && q) ok = (index[row.getAttribute('data-trial')] || '').indexOf(q) >= 0;
        row.hidden = !ok;
        if (ok) n++;
      });
      shown.textContent = n + (n === 1 ? ' trial' : ' trials');
    };
    document.querySelectorAll('select.filter').forEach(function (s) { s.addEventListener('change', apply); });
    search.addEventListener('input', apply);
    applyFilters = function () { window.TB_SEARCH = undefined; loading = false; apply(); };
  }

  // A run page whose run got new trials: take the new table, charts and score from the server
  // (parsed, never executed) and keep the filters the reader set.
  var refreshing = false;
  var refreshRun = function () {
    if (refreshing) return;
    refreshing = true;
    fetch(location.href, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['#trials tbody', '.charts', '#score'].forEach(function (sel) {
          var fresh = doc.querySelector(sel), old = document.querySelector(sel);
          if (fresh && old) old.replaceWith(document.importNode(fresh, true));
        });
        applyFilters();
      })
      .catch(function () {})
      .then(function () { refreshing = false; });
  };

  // Live: progress of running runs, from the server's event stream (not from file://).
  var lives = document.querySelectorAll('[data-live-run]');
  if (lives.length && location.protocol.indexOf('http') === 0 && window.EventSource) {
    var first = {};
    var es = new EventSource(root + 'events');
    es.onmessage = function (e) {
      var all = JSON.parse(e.data);
      lives.forEach(function (el) {
        var key = el.getAttribute('data-live-run');
        var p = all[key];
        if (!p) return;
        el.querySelector('.recorded').textContent = p.recorded;
        el.querySelector('.expected').textContent = p.expected;
        el.querySelector('.resolved').textContent = p.resolved;
        el.querySelector('.infra').textContent = p.infra;
        el.querySelector('.state').textContent = p.finished ? ' · finished' : ' · running';
        el.querySelector('.summary').textContent = p.summary;
        if (first[key] === undefined) first[key] = el.getAttribute('data-initial') || p.recorded;
        if (String(p.recorded) !== String(first[key])) {
          first[key] = p.recorded;
          if (trials && el.closest('ul.facts')) refreshRun();
        }
      });
    };
  }
})();
