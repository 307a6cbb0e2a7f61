// The report's script: the swipe divider (pointer and keyboard) and its zoom,
// the synchronised 1:1 detail, the overlay controls and the rotating RGB cube.
// Plain DOM and canvas, no library; it marks <body data-ready="1"> when every
// part is wired, which the tests read back from headless Chromium.
#include "report_parts.hpp"

namespace kmq::report {

const char* report_script() {
  return R"kmq(
(function () {
  'use strict';
  var doc = document;
  function byId(id) { return doc.getElementById(id); }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function press(group, pressed) {
    Array.prototype.forEach.call(group.querySelectorAll('button'), function (b) {
      b.setAttribute('aria-pressed', b === pressed ? 'true' : 'false');
    });
  }
  function onGroup(selector, handler) {
    var first = doc.querySelector(selector);
    if (!first) return;
    var group = first.parentNode;
    group.addEventListener('click', function (e) {
      var b = e.target.closest('button');
      if (b && group.contains(b)) { press(group, b); handler(b); }
    });
  }
  // Keeps the pointer's moves coming to el while a button is down.
  function capture(el, e) {
    try { el.setPointerCapture(e.pointerId); } catch (ignored) { /* a pointer that is already gone */ }
  }
  // Drag to pan a scrolled element.
  function pannable(el, enabled) {
    var drag = null;
    el.addEventListener('pointerdown', function (e) {
      if (e.button !== 0 || !enabled()) return;
      drag = { x: e.clientX, y: e.clientY, left: el.scrollLeft, top: el.scrollTop };
      capture(el, e);
      e.preventDefault();
    });
    el.addEventListener('pointermove', function (e) {
      if (!drag) return;
      el.scrollLeft = drag.left - (e.clientX - drag.x);
      el.scrollTop = drag.top - (e.clientY - drag.y);
    });
    function end() { drag = null; }
    el.addEventListener('pointerup', end);
    el.addEventListener('pointercancel', end);
  }

  // Each preview is embedded once; the other layers show the same image.
  var original = byId('img-original'), compressed = byId('img-compressed');
  byId('swipe-over').src = original.src;
  byId('swipe-under').src = compressed.src;
  byId('overlay-base').src = original.src;

  // ---- swipe -------------------------------------------------------------
  (function () {
    var viewer = byId('swipe'), viewport = byId('swipe-viewport'), stage = byId('swipe-stage');
    var divider = byId('swipe-divider'), pos = 50, zoom = 0, dragging = false;
    function setPos(p) {
      pos = clamp(p, 0, 100);
      stage.style.setProperty('--pos', pos + '%');
      divider.setAttribute('aria-valuenow', String(Math.round(pos)));
      divider.setAttribute('aria-valuetext', Math.round(pos) + ' % original');
    }
    function fromEvent(e) {
      var r = stage.getBoundingClientRect();
      return (e.clientX - r.left) / r.width * 100;
    }
    function setZoom(z, fx, fy) {
      zoom = z;
      viewer.classList.toggle('zoomed', z > 0);
      stage.style.setProperty('--z', String(z || 1));
      var group = viewer.querySelector('[data-zoom]').parentNode;
      press(group, group.querySelector('[data-zoom="' + z + '"]'));
      if (z > 0) {
        viewport.scrollLeft = (fx === undefined ? pos / 100 : fx) * stage.offsetWidth - viewport.clientWidth / 2;
        viewport.scrollTop = (fy === undefined ? 0.5 : fy) * stage.offsetHeight - viewport.clientHeight / 2;
      }
    }
    stage.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      if (zoom > 0 && !divider.contains(e.target)) return;  // panning, below
      dragging = true;
      setPos(fromEvent(e));
      capture(stage, e);
      e.preventDefault();
      e.stopPropagation();
    });
    stage.addEventListener('pointermove', function (e) { if (dragging) setPos(fromEvent(e)); });
    stage.addEventListener('pointerup', function () { dragging = false; });
    stage.addEventListener('pointercancel', function () { dragging = false; });
    pannable(viewport, function () { return zoom > 0 && !dragging; });
    stage.addEventListener('dblclick', function (e) {
      var r = stage.getBoundingClientRect();
      setZoom(zoom > 0 ? 0 : 2, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
    });
    divider.addEventListener('keydown', function (e) {
      var step = e.shiftKey ? 10 : 1, p = pos;
      switch (e.key) {
        case 'ArrowLeft': case 'ArrowDown': p -= step; break;
        case 'ArrowRight': case 'ArrowUp': p += step; break;
        case 'PageDown': p -= 10; break;
        case 'PageUp': p += 10; break;
        case 'Home': p = 0; break;
        case 'End': p = 100; break;
        default: return;
      }
      e.preventDefault();
      setPos(p);
    });
    onGroup('[data-zoom]', function (b) { setZoom(Number(b.getAttribute('data-zoom'))); });
    setPos(50);
  })();

  // ---- detail at 1:1 -------------------------------------------------------
  (function () {
    var pair = byId('detail-pair');
    var views = Array.prototype.slice.call(pair.querySelectorAll('.dview'));
    var syncing = false;
    views.forEach(function (v) {
      pannable(v, function () { return true; });
      v.addEventListener('scroll', function () {
        if (syncing) return;
        syncing = true;
        views.forEach(function (o) { if (o !== v) { o.scrollLeft = v.scrollLeft; o.scrollTop = v.scrollTop; } });
        syncing = false;
      });
    });
    // Start at the largest zoom that shows the whole detail in its column.
    var group = doc.querySelector('[data-dzoom]').parentNode, side = Number(pair.style.getPropertyValue('--w'));
    var room = views[0].parentNode.clientWidth, best = null;
    Array.prototype.forEach.call(group.querySelectorAll('button'), function (b) {
      var z = Number(b.getAttribute('data-dzoom'));
      if (side * z <= room && (!best || z > Number(best.getAttribute('data-dzoom')))) best = b;
    });
    if (best) { press(group, best); pair.style.setProperty('--dz', best.getAttribute('data-dzoom')); }
    onGroup('[data-dzoom]', function (b) {
      var before = views[0], fx = (before.scrollLeft + before.clientWidth / 2) / Math.max(1, before.scrollWidth);
      var fy = (before.scrollTop + before.clientHeight / 2) / Math.max(1, before.scrollHeight);
      pair.style.setProperty('--dz', b.getAttribute('data-dzoom'));
      views.forEach(function (v) {
        v.scrollLeft = fx * v.scrollWidth - v.clientWidth / 2;
        v.scrollTop = fy * v.scrollHeight - v.clientHeight / 2;
      });
    });
  })();

  // ---- overlay ---------------------------------------------------------------
  (function () {
    var stage = byId('overlay-stage'), base = byId('overlay-base');
    byId('overlay-opacity').addEventListener('input', function (e) {
      stage.style.setProperty('--op', String(e.target.value / 100));
    });
    byId('overlay-edges').addEventListener('change', function (e) {
      stage.classList.toggle('no-edges', !e.target.checked);
    });
    onGroup('[data-base]', function (b) {
      base.src = b.getAttribute('data-base') === '1' ? compressed.src : original.src;
    });
  })();

  // ---- the RGB cube ------------------------------------------------------------
  (function () {
    var canvas = byId('cube'), data = JSON.parse(byId('cluster-data').textContent);
    var ctx = canvas.getContext('2d'), button = byId('cube-spin');
    var p = data.p, c = data.c, n = p.length / 4, k = c.length / 3;
    var colours = [];
    for (var i = 0; i < k; ++i) colours.push('rgb(' + c[3 * i] + ',' + c[3 * i + 1] + ',' + c[3 * i + 2] + ')');
    var reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    var yaw = 0.75, pitch = 0.42, spinning = !reduce, last = 0;
    var w = canvas.width, h = canvas.height, order = new Array(n), depth = new Float64Array(n);
    var sx = new Float64Array(n), sy = new Float64Array(n);
    for (i = 0; i < n; ++i) order[i] = i;
    function project(r, g, b) {
      var x = r / 255 - 0.5, y = g / 255 - 0.5, z = b / 255 - 0.5;
      var cy = Math.cos(yaw), sy0 = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
      var x1 = x * cy + z * sy0, z1 = -x * sy0 + z * cy;
      var y2 = y * cp - z1 * sp, z2 = y * sp + z1 * cp;
      var f = 2.6 / (2.6 + z2), s = Math.min(w, h) * 0.56;
      return [w / 2 + x1 * s * f, h / 2 - y2 * s * f, z2];
    }
    var corners = [[0,0,0],[255,0,0],[0,255,0],[0,0,255],[255,255,0],[255,0,255],[0,255,255],[255,255,255]];
    var edges = [[0,1],[0,2],[0,3],[1,4],[1,5],[2,4],[2,6],[3,5],[3,6],[4,7],[5,7],[6,7]];
    function draw() {
      ctx.clearRect(0, 0, w, h);
      var q = corners.map(function (v) { return project(v[0], v[1], v[2]); });
      ctx.lineWidth = 1.2;
      edges.forEach(function (e) {
        var a = q[e[0]], b = q[e[1]], g = ctx.createLinearGradient(a[0], a[1], b[0], b[1]);
        var ca = corners[e[0]], cb = corners[e[1]];
        g.addColorStop(0, 'rgba(' + Math.max(ca[0], 70) + ',' + Math.max(ca[1], 70) + ',' + Math.max(ca[2], 70) + ',0.75)');
        g.addColorStop(1, 'rgba(' + Math.max(cb[0], 70) + ',' + Math.max(cb[1], 70) + ',' + Math.max(cb[2], 70) + ',0.75)');
        ctx.strokeStyle = g;
        ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
      });
      for (var j = 0; j < n; ++j) {
        var v = project(p[4 * j], p[4 * j + 1], p[4 * j + 2]);
        sx[j] = v[0]; sy[j] = v[1]; depth[j] = v[2];
      }
      order.sort(function (a, b) { return depth[b] - depth[a]; });
      for (j = 0; j < n; ++j) {
        var m = order[j];
        ctx.fillStyle = colours[p[4 * m + 3]];
        ctx.fillRect(sx[m] - 1.6, sy[m] - 1.6, 3.2, 3.2);
      }
      for (j = 0; j < k; ++j) {
        var t = project(c[3 * j], c[3 * j + 1], c[3 * j + 2]);
        ctx.beginPath(); ctx.arc(t[0], t[1], 7, 0, 2 * Math.PI);
        ctx.fillStyle = colours[j]; ctx.fill();
        ctx.lineWidth = 3; ctx.strokeStyle = '#fff'; ctx.stroke();
        ctx.lineWidth = 1.2; ctx.strokeStyle = '#000'; ctx.stroke();
      }
      ctx.font = '600 14px system-ui, sans-serif';
      [['R', 1, '#ff6b6b'], ['G', 2, '#69db7c'], ['B', 3, '#74a9ff']].forEach(function (a) {
        var e = q[a[1]], o = q[0];
        ctx.fillStyle = a[2];
        ctx.fillText(a[0], e[0] + (e[0] - o[0]) * 0.08 - 4, e[1] + (e[1] - o[1]) * 0.08 + 5);
      });
    }
    function frame(time) {
      if (!spinning) return;
      if (last) yaw += Math.min(50, time - last) * 0.00035;
      last = time;
      draw();
      window.requestAnimationFrame(frame);
    }
    function setSpin(on) {
      spinning = on;
      last = 0;
      button.setAttribute('aria-pressed', on ? 'true' : 'false');
      button.textContent = on ? 'Pause rotation' : 'Rotate';
      if (on) window.requestAnimationFrame(frame);
    }
    button.addEventListener('click', function () { setSpin(!spinning); });
    var drag = null;
    canvas.addEventListener('pointerdown', function (e) {
      drag = { x: e.clientX, y: e.clientY };
      capture(canvas, e);
      if (spinning) setSpin(false);
    });
    canvas.addEventListener('pointermove', function (e) {
      if (!drag) return;
      yaw += (e.clientX - drag.x) * 0.01;
      pitch = clamp(pitch + (e.clientY - drag.y) * 0.01, -1.5, 1.5);
      drag = { x: e.clientX, y: e.clientY };
      draw();
    });
    canvas.addEventListener('pointerup', function () { drag = null; });
    canvas.addEventListener('keydown', function (e) {
      var d = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1] }[e.key];
      if (!d) return;
      e.preventDefault();
      if (spinning) setSpin(false);
      yaw += d[0];
      pitch = clamp(pitch + d[1], -1.5, 1.5);
      draw();
    });
    draw();
    setSpin(spinning);
  })();

  doc.body.setAttribute('data-ready', '1');
})();
)kmq";
}

}  // namespace kmq::report
