// dslab trace viewer: the script inlined into trace.html (see src/report/html/page.ts and
// docs/trace-viewer.md). It decodes the embedded view model (gzip + base64), draws what is in
// view on one <canvas> (never one DOM node per event), and keeps the log panel virtual, so a
// 100k-event trace stays responsive. It runs offline: no network, no libraries.

(() => {
  const COLORS = {
    op: ["#3a9d5d", "#d64541", "#e0a526", "#9aa0a6"],
    state: ["#f6e7b0", "#cfead6", "#b9c7e6", "#54585f", "#d64541"],
    send: ["#5b6b8c", "#d08a00", "#8e44ad", "#8e44ad"],
    replyOk: "#2e8b57",
    replyError: "#c0392b",
    fault: "rgba(214, 69, 65, 0.22)",
    faultEdge: "rgba(214, 69, 65, 0.7)",
    evidence: "#e8175d",
    laneEven: "#ffffff",
    laneOdd: "#f6f7f9",
    grid: "#e6e8ec",
    text: "#1d2330",
    muted: "#5f6670",
  };
  const GUTTER = 96;
  const AXIS = 24;
  const ROW = 16;
  const LANE_HEIGHT = { harness: 22, link: 18, node: 34 };
  /** Past this many messages in view, lines are a blur: ask to zoom in instead. */
  const MAX_MESSAGE_LINES = 3000;
  const LOG_ROW = 16;

  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas");
  const wrap = $("canvas-wrap");
  const tooltip = $("tooltip");
  const api = { frames: 0, firstDrawMs: -1, frame: null, state: null };
  window.dslabViewer = api;

  async function decodeModel() {
    const text = $("trace-data").textContent.trim();
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  function niceStep(raw) {
    const power = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  function formatMs(ms, step) {
    if (step >= 1000 || ms >= 10000) return `${(ms / 1000).toFixed(step >= 1000 ? 0 : 2)} s`;
    const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step)));
    return `${ms.toFixed(decimals)} ms`;
  }

  function start(model) {
    const { ops, msgs, spans, faults, marks, logs, lanes, evidenceEvents, checks, codes } = model;
    const endMs = Math.max(model.meta.endMs, 1);
    const opRowById = new Map(ops.id.map((id, i) => [id, i]));
    const state = {
      view: { t0: 0, t1: endMs },
      hiddenLanes: new Set(),
      hiddenTypes: new Set(),
      subject: "",
      selected: null, // { check, evidence }
      focusEvent: -1,
      focusTime: -1,
      logText: "",
      logInView: false,
    };
    api.state = state;
    let layout = [];
    let laneY = [];
    const opVisible = new Uint8Array(ops.id.length);
    const msgVisible = new Uint8Array(msgs.t0.length);
    let hits = [];
    let width = 0;
    let drawPending = false;
    let msgsOfOp = null;

    // ---- filters -------------------------------------------------------------------------
    function laneShown(i) {
      const lane = lanes[i];
      if (!lane || state.hiddenLanes.has(i)) return false;
      if (lane.kind === "harness") return !state.hiddenTypes.has("probes");
      if (lane.kind === "link") {
        if (state.hiddenTypes.has("faults")) return false;
        const hiddenEnd = lanes.findIndex(
          (other, j) =>
            state.hiddenLanes.has(j) && (other.name === lane.client || other.name === lane.node),
        );
        return hiddenEnd === -1;
      }
      return true;
    }

    function baseHeight(lane) {
      return lane.kind === "client" ? 8 + lane.rows * ROW : LANE_HEIGHT[lane.kind];
    }

    function applyFilters() {
      layout = [];
      laneY = new Array(lanes.length).fill(-1);
      const shown = lanes.map((_, i) => i).filter(laneShown);
      // Messages cross the space between client and node lanes: give it the room there is.
      const base = shown.reduce((sum, i) => sum + baseHeight(lanes[i]), AXIS);
      const links = shown.filter((i) => lanes[i].kind === "link").length;
      const room = Math.max(0, wrap.clientHeight - base - 8);
      const linkExtra = links > 0 ? Math.min(100, room / links) : 0;
      const gap = links > 0 ? 0 : Math.min(90, room);
      let y = AXIS;
      for (const i of shown) {
        const lane = lanes[i];
        if (lane.kind === "node" && layout.every((row) => lanes[row.lane].kind !== "node"))
          y += gap;
        const height = baseHeight(lane) + (lane.kind === "link" ? linkExtra : 0);
        layout.push({ lane: i, y, height });
        laneY[i] = y;
        y += height;
      }
      const subject = state.subject;
      const showOps = !state.hiddenTypes.has("ops");
      for (let i = 0; i < ops.id.length; i++) {
        opVisible[i] =
          showOps && laneY[ops.lane[i]] >= 0 && (!subject || ops.subject[i].includes(subject))
            ? 1
            : 0;
      }
      const showMsgs = !state.hiddenTypes.has("msgs");
      for (let i = 0; i < msgs.t0.length; i++) {
        const node = msgs.node[i];
        const op = opRowById.get(msgs.op[i]);
        const subjectOk = !subject || (op !== undefined && ops.subject[op].includes(subject));
        msgVisible[i] =
          showMsgs && laneY[msgs.lane[i]] >= 0 && (node < 0 || laneY[node] >= 0) && subjectOk
            ? 1
            : 0;
      }
      canvas.style.height = `${y + 6}px`;
      resize();
      refreshLogs();
    }

    // ---- drawing -------------------------------------------------------------------------
    function resize() {
      width = wrap.clientWidth;
      const dpr = window.devicePixelRatio || 1;
      const height = Number.parseFloat(canvas.style.height) || 100;
      canvas.style.width = `${width}px`;
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      scheduleDraw();
    }

    function scheduleDraw() {
      if (drawPending) return;
      drawPending = true;
      requestAnimationFrame(() => {
        drawPending = false;
        draw();
      });
    }

    function xOf(t) {
      const { t0, t1 } = state.view;
      return GUTTER + ((t - t0) / (t1 - t0)) * (width - GUTTER - 8);
    }

    function tOf(x) {
      const { t0, t1 } = state.view;
      return t0 + ((x - GUTTER) / (width - GUTTER - 8)) * (t1 - t0);
    }

    function selectedSets() {
      const events = new Set();
      const opIds = new Set();
      if (state.selected) {
        const e = checks[state.selected.check].evidence[state.selected.evidence];
        for (const k of e.events) events.add(k);
        for (const id of e.ops) opIds.add(id);
      }
      if (state.focusEvent >= 0) events.add(state.focusEvent);
      return { events, opIds };
    }

    function draw() {
      const ctx = canvas.getContext("2d");
      const dpr = window.devicePixelRatio || 1;
      const height = canvas.height / dpr;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);
      hits = [];
      const frame = { lanes: [], opsDrawn: 0, msgsDrawn: 0, highlights: [], notice: "" };
      const { t0, t1 } = state.view;
      const right = width - 8;
      const clipX = (x) => Math.max(GUTTER, Math.min(right, x));

      layout.forEach((row, k) => {
        ctx.fillStyle = k % 2 ? COLORS.laneOdd : COLORS.laneEven;
        ctx.fillRect(0, row.y, width, row.height);
        frame.lanes.push(lanes[row.lane].name);
      });
      drawAxis(ctx, height);

      ctx.save();
      ctx.beginPath();
      ctx.rect(GUTTER, 0, right - GUTTER, height);
      ctx.clip();

      if (!state.hiddenTypes.has("states")) {
        for (let i = 0; i < spans.t0.length; i++) {
          const y = laneY[spans.lane[i]];
          if (y < 0 || spans.t1[i] < t0 || spans.t0[i] > t1) continue;
          const x0 = clipX(xOf(spans.t0[i]));
          const x1 = clipX(xOf(spans.t1[i]));
          ctx.fillStyle = COLORS.state[spans.state[i]];
          ctx.fillRect(x0, y + 6, Math.max(1, x1 - x0), LANE_HEIGHT.node - 12);
          hits.push({ x0, y0: y + 6, x1, y1: y + LANE_HEIGHT.node - 6, kind: "span", i });
        }
      }

      if (!state.hiddenTypes.has("faults")) {
        for (let i = 0; i < faults.t0.length; i++) {
          const y = laneY[faults.lane[i]];
          if (y < 0 || faults.t1[i] < t0 || faults.t0[i] > t1) continue;
          const h = lanes[faults.lane[i]].kind === "node" ? 5 : laneHeight(faults.lane[i]);
          const x0 = clipX(xOf(faults.t0[i]));
          const x1 = clipX(xOf(faults.t1[i]));
          ctx.fillStyle = COLORS.fault;
          ctx.fillRect(x0, y, Math.max(2, x1 - x0), h);
          ctx.fillStyle = COLORS.faultEdge;
          ctx.fillRect(x0, y, 1, h);
          if (x1 - x0 > 60 && h > 10) {
            ctx.fillStyle = COLORS.text;
            ctx.font = "11px system-ui, sans-serif";
            ctx.fillText(fitText(ctx, faults.text[i], x1 - x0 - 6), x0 + 3, y + 13);
          }
          hits.push({ x0, y0: y, x1: Math.max(x1, x0 + 2), y1: y + h, kind: "fault", i });
        }
      }

      const { events: selectedEvents, opIds } = selectedSets();
      drawOps(ctx, frame, opIds, clipX);
      drawMessages(ctx, frame);
      drawMarks(ctx);
      if (!state.hiddenTypes.has("logs")) drawLogTicks(ctx);
      drawEvidence(ctx, frame, selectedEvents);
      if (state.focusTime >= 0) {
        const x = xOf(state.focusTime);
        ctx.strokeStyle = COLORS.evidence;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(x, AXIS);
        ctx.lineTo(x, height);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.restore();
      drawGutter(ctx);

      $("view-range").textContent =
        `${formatMs(t0, (t1 - t0) / 100)} – ${formatMs(t1, (t1 - t0) / 100)} of ${formatMs(endMs, endMs / 100)}`;
      $("notice").textContent = frame.notice;
      api.frames++;
      if (api.firstDrawMs < 0) api.firstDrawMs = performance.now();
      api.frame = frame;
      if (state.logInView) refreshLogs();
    }

    function fitText(ctx, text, maxWidth) {
      if (ctx.measureText(text).width <= maxWidth) return text;
      let lo = 0;
      let hi = text.length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (ctx.measureText(`${text.slice(0, mid)}…`).width <= maxWidth) lo = mid;
        else hi = mid - 1;
      }
      return lo > 0 ? `${text.slice(0, lo)}…` : "";
    }

    function drawAxis(ctx, height) {
      const { t0, t1 } = state.view;
      const step = niceStep((t1 - t0) / Math.max(1, (width - GUTTER) / 110));
      ctx.fillStyle = "#f7f8fa";
      ctx.fillRect(0, 0, width, AXIS);
      ctx.font = "11px system-ui, sans-serif";
      for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
        const x = xOf(t);
        ctx.fillStyle = COLORS.grid;
        ctx.fillRect(x, AXIS, 1, height - AXIS);
        ctx.fillStyle = COLORS.muted;
        ctx.fillText(formatMs(t, step), x + 3, 15);
      }
    }

    function drawGutter(ctx) {
      ctx.font = "12px system-ui, sans-serif";
      layout.forEach((row, k) => {
        const lane = lanes[row.lane];
        ctx.fillStyle = k % 2 ? "#eceef2" : "#f3f4f7";
        ctx.fillRect(0, row.y, GUTTER, row.height);
        ctx.fillStyle = lane.kind === "link" ? COLORS.muted : COLORS.text;
        const label = lane.kind === "link" ? `link ${lane.name}` : lane.name;
        ctx.fillText(fitText(ctx, label, GUTTER - 10), 6, row.y + Math.min(row.height / 2 + 4, 17));
      });
    }

    function drawOps(ctx, frame, opIds, clipX) {
      const { t0, t1 } = state.view;
      const lastEnd = new Map();
      ctx.font = "11px system-ui, sans-serif";
      for (let i = 0; i < ops.id.length; i++) {
        if (ops.t0[i] > t1) break; // ops are in invoke order
        if (!opVisible[i] || ops.t1[i] < t0) continue;
        const y = laneY[ops.lane[i]] + 4 + ops.row[i] * ROW;
        const x0 = clipX(xOf(ops.t0[i]));
        const x1 = Math.max(clipX(xOf(ops.t1[i])), x0 + 1);
        const status = ops.status[i];
        const key = `${ops.lane[i]}/${ops.row[i]}/${status}`;
        const highlighted = opIds.has(ops.id[i]);
        if (!highlighted && (lastEnd.get(key) ?? -1) >= x1 - 0.5) continue; // same pixels
        lastEnd.set(key, x1);
        ctx.fillStyle = COLORS.op[status];
        ctx.fillRect(x0, y, x1 - x0, ROW - 4);
        if (highlighted) {
          ctx.strokeStyle = COLORS.evidence;
          ctx.lineWidth = 2.5;
          ctx.strokeRect(x0 - 1, y - 1, x1 - x0 + 2, ROW - 2);
          ctx.lineWidth = 1;
        }
        if (x1 - x0 > 40) {
          ctx.fillStyle = "#fff";
          ctx.fillText(fitText(ctx, `${ops.id[i]} ${ops.label[i]}`, x1 - x0 - 6), x0 + 3, y + 9.5);
        }
        frame.opsDrawn++;
        hits.push({ x0, y0: y, x1, y1: y + ROW - 4, kind: "op", i });
      }
    }

    function laneHeight(lane) {
      return layout.find((r) => r.lane === lane)?.height ?? 0;
    }

    function laneBottom(lane) {
      return laneY[lane] + laneHeight(lane);
    }

    function drawMessages(ctx, frame) {
      const { t0, t1 } = state.view;
      const inView = [];
      for (let i = 0; i < msgs.t0.length; i++) {
        const s = msgs.t0[i] >= 0 ? msgs.t0[i] : msgs.t1[i];
        if (s > t1) break; // rows are in time order
        if (!msgVisible[i] || msgs.node[i] < 0) continue;
        const e = msgs.t1[i] >= 0 ? msgs.t1[i] : s;
        if (e < t0 && s < t0) continue;
        inView.push(i);
      }
      if (inView.length > MAX_MESSAGE_LINES) {
        frame.notice = `${inView.length} messages in view: zoom in to see them`;
        return;
      }
      const arrows = inView.length < 400;
      ctx.lineWidth = 1;
      for (const i of inView) {
        const yc = laneBottom(msgs.lane[i]) - 2;
        const yn = laneY[msgs.node[i]] + 4;
        const sent = msgs.t0[i];
        const replied = msgs.t1[i];
        if (sent >= 0) {
          const xs = xOf(sent);
          const xm = replied >= 0 ? xOf((sent + replied) / 2) : xs + 10;
          const ym = replied >= 0 ? yn : (yc + yn) / 2;
          ctx.strokeStyle = COLORS.send[msgs.kind[i]];
          if (replied < 0) ctx.setLineDash([3, 3]);
          line(ctx, xs, yc, xm, ym, arrows && replied >= 0);
          ctx.setLineDash([]);
          if (replied < 0) cross(ctx, xm, ym, COLORS.send[msgs.kind[i]], 3);
        }
        if (replied >= 0) {
          const xr = xOf(replied);
          const xm = sent >= 0 ? xOf((sent + replied) / 2) : xr - 10;
          ctx.strokeStyle = msgs.success[i] ? COLORS.replyOk : COLORS.replyError;
          line(ctx, xm, yn, xr, yc, arrows);
        }
        frame.msgsDrawn++;
      }
    }

    function line(ctx, xa, ya, xb, yb, arrow) {
      ctx.beginPath();
      ctx.moveTo(xa, ya);
      ctx.lineTo(xb, yb);
      ctx.stroke();
      if (!arrow) return;
      const angle = Math.atan2(yb - ya, xb - xa);
      ctx.beginPath();
      ctx.moveTo(xb, yb);
      ctx.lineTo(xb - 6 * Math.cos(angle - 0.4), yb - 6 * Math.sin(angle - 0.4));
      ctx.moveTo(xb, yb);
      ctx.lineTo(xb - 6 * Math.cos(angle + 0.4), yb - 6 * Math.sin(angle + 0.4));
      ctx.stroke();
    }

    function cross(ctx, x, y, color, size) {
      ctx.strokeStyle = color;
      ctx.beginPath();
      ctx.moveTo(x - size, y - size);
      ctx.lineTo(x + size, y + size);
      ctx.moveTo(x + size, y - size);
      ctx.lineTo(x - size, y + size);
      ctx.stroke();
    }

    function markShown(kind) {
      const k = codes.markKind;
      if (kind === k.decide || kind === k.other) return !state.hiddenTypes.has("decisions");
      if (kind === k.probe || kind === k.error || kind === k.end)
        return !state.hiddenTypes.has("probes");
      return !state.hiddenTypes.has("states");
    }

    function drawMarks(ctx) {
      const { t0, t1 } = state.view;
      const k = codes.markKind;
      ctx.lineWidth = 2;
      for (let i = 0; i < marks.t.length; i++) {
        const y0 = laneY[marks.lane[i]];
        if (y0 < 0 || marks.t[i] < t0 || marks.t[i] > t1 || !markShown(marks.kind[i])) continue;
        const x = xOf(marks.t[i]);
        const lane = lanes[marks.lane[i]];
        const y = y0 + (lane.kind === "node" ? LANE_HEIGHT.node / 2 : 11);
        const kind = marks.kind[i];
        if (kind === k.crash || kind === k.exit || kind === k.failed || kind === k.error) {
          cross(ctx, x, y, COLORS.op[1], 5);
        } else if (kind === k.restart) {
          ctx.fillStyle = COLORS.op[0];
          ctx.beginPath();
          ctx.moveTo(x, y - 6);
          ctx.lineTo(x + 5, y + 4);
          ctx.lineTo(x - 5, y + 4);
          ctx.fill();
        } else if (kind === k.decide || kind === k.other) {
          ctx.fillStyle = "#2f6fdb";
          ctx.beginPath();
          ctx.moveTo(x, y - 6);
          ctx.lineTo(x + 5, y);
          ctx.lineTo(x, y + 6);
          ctx.lineTo(x - 5, y);
          ctx.fill();
        } else {
          ctx.fillStyle = kind === k.end ? COLORS.text : COLORS.muted;
          ctx.fillRect(x - 1, y0 + 3, 2, LANE_HEIGHT.harness - 6);
        }
        hits.push({ x0: x - 6, y0: y - 7, x1: x + 6, y1: y + 7, kind: "mark", i });
      }
      ctx.lineWidth = 1;
    }

    function drawLogTicks(ctx) {
      const { t0, t1 } = state.view;
      const last = new Map();
      for (let i = 0; i < logs.t.length; i++) {
        const y = laneY[logs.lane[i]];
        if (y < 0 || logs.t[i] < t0 || logs.t[i] > t1) continue;
        const x = Math.round(xOf(logs.t[i]));
        if (last.get(logs.lane[i]) === x) continue;
        last.set(logs.lane[i], x);
        ctx.fillStyle = logs.stderr[i] ? "#b36b3c" : COLORS.muted;
        ctx.fillRect(x, y + LANE_HEIGHT.node - 5, 1, 4);
      }
    }

    function drawEvidence(ctx, frame, selectedEvents) {
      const { t0, t1 } = state.view;
      const failing = new Set();
      checks.forEach((check) => {
        if (check.verdict !== "fail") return;
        for (const e of check.evidence) for (const k of e.events) failing.add(k);
      });
      for (const k of new Set([...failing, ...selectedEvents])) {
        const ev = evidenceEvents[k];
        const y0 = laneY[ev.lane];
        if (y0 < 0 || ev.t < t0 || ev.t > t1) continue;
        const x = xOf(ev.t);
        const lane = lanes[ev.lane];
        const y = y0 + Math.min(lane.kind === "client" ? 10 : LANE_HEIGHT[lane.kind] / 2, 17);
        ctx.strokeStyle = COLORS.evidence;
        if (selectedEvents.has(k)) {
          ctx.lineWidth = k === state.focusEvent ? 3.5 : 2.5;
          ctx.beginPath();
          ctx.arc(x, y, k === state.focusEvent ? 10 : 7, 0, 2 * Math.PI);
          ctx.stroke();
          frame.highlights.push({ event: ev.index, x, y });
        } else {
          ctx.fillStyle = COLORS.evidence;
          ctx.beginPath();
          ctx.moveTo(x, y0 + 1);
          ctx.lineTo(x + 4, y0 + 7);
          ctx.lineTo(x - 4, y0 + 7);
          ctx.fill();
        }
        hits.push({ x0: x - 8, y0: y - 8, x1: x + 8, y1: y + 8, kind: "evidence", i: k });
      }
      ctx.lineWidth = 1;
    }

    // ---- view changes --------------------------------------------------------------------
    function setView(a, b) {
      const minSpan = 0.01;
      let t0 = Math.min(a, b);
      let t1 = Math.max(a, b, t0 + minSpan);
      const span = Math.min(t1 - t0, endMs * 1.2);
      if (t0 < -endMs * 0.1) t0 = -endMs * 0.1;
      t1 = t0 + span;
      if (t1 > endMs * 1.1) {
        t1 = endMs * 1.1;
        t0 = t1 - span;
      }
      state.view = { t0, t1 };
      scheduleDraw();
    }

    function zoom(factor, atX) {
      const { t0, t1 } = state.view;
      const pivot = atX === undefined ? (t0 + t1) / 2 : tOf(atX);
      setView(pivot - (pivot - t0) * factor, pivot + (t1 - pivot) * factor);
    }

    function showRange(a, b) {
      const pad = Math.max((b - a) * 0.15, 1);
      setView(a - pad, b + pad);
    }

    function scrollToLane(lane) {
      const y = laneY[lane];
      if (y < 0) return;
      if (y < wrap.scrollTop || y > wrap.scrollTop + wrap.clientHeight - 30)
        wrap.scrollTop = Math.max(0, y - 40);
    }

    // ---- evidence --------------------------------------------------------------------------
    function selectEvidence(check, evidence, focus) {
      state.selected = { check, evidence };
      state.focusEvent = focus ?? -1;
      for (const el of document.querySelectorAll(".evidence.selected"))
        el.classList.remove("selected");
      for (const el of document.querySelectorAll(".evidence-event.focused"))
        el.classList.remove("focused");
      const item = document.querySelector(
        `.evidence[data-check="${check}"][data-evidence="${evidence}"]`,
      );
      item?.classList.add("selected");
      const e = checks[check].evidence[evidence];
      if (focus !== undefined) {
        item?.querySelector(`[data-event="${focus}"]`)?.classList.add("focused");
        const ev = evidenceEvents[focus];
        const span = Math.min(state.view.t1 - state.view.t0, Math.max(2, endMs / 100));
        setView(ev.t - span / 2, ev.t + span / 2);
        scrollToLane(ev.lane);
        showDetails([
          ["event", `#${ev.index} at ${formatMs(ev.t, 0.001)}`],
          ["what", ev.text],
          ["raw", ev.json, true],
        ]);
        return;
      }
      const times = e.events.map((k) => evidenceEvents[k].t);
      for (const id of e.ops) {
        const row = opRowById.get(id);
        if (row !== undefined) times.push(ops.t0[row], ops.t1[row]);
      }
      if (times.length > 0) showRange(Math.min(...times), Math.max(...times));
      if (e.events.length > 0) scrollToLane(evidenceEvents[e.events[0]].lane);
      showDetails([
        ["property", checks[check].property],
        ["evidence", e.message],
        ["ops", e.ops.join(", ") || "none"],
        ["events", e.events.map((k) => evidenceEvents[k].text).join("\n"), true],
      ]);
    }

    // ---- details and tooltip -----------------------------------------------------------------
    function showDetails(rows) {
      const body = $("details-body");
      body.replaceChildren();
      const dl = document.createElement("dl");
      for (const [name, value, pre] of rows) {
        const dt = document.createElement("dt");
        dt.textContent = name;
        const dd = document.createElement("dd");
        if (pre) {
          const p = document.createElement("pre");
          p.textContent = value;
          dd.append(p);
        } else dd.textContent = value;
        dl.append(dt, dd);
      }
      body.append(dl);
    }

    function describeHit(hit) {
      const i = hit.i;
      const ms = (t) => formatMs(t, 0.001);
      switch (hit.kind) {
        case "op": {
          msgsOfOp ??= groupMessagesByOp();
          const sent = (msgsOfOp.get(ops.id[i]) ?? []).map(describeMessage).join("\n");
          return [
            ["op", `${ops.id[i]} by ${lanes[ops.lane[i]].name}`],
            ["call", ops.label[i]],
            ["invoked", ms(ops.t0[i])],
            ["ended", ops.status[i] === codes.opStatus.pending ? "never" : ms(ops.t1[i])],
            ["result", ops.result[i]],
            ["messages", sent || "none", true],
          ];
        }
        case "span":
          return [
            ["node", lanes[spans.lane[i]].name],
            [
              "state",
              Object.keys(codes.nodeState).find((s) => codes.nodeState[s] === spans.state[i]),
            ],
            ["from", ms(spans.t0[i])],
            ["to", ms(spans.t1[i])],
          ];
        case "fault":
          return [
            ["fault", faults.text[i]],
            ["from", ms(faults.t0[i])],
            ["to", ms(faults.t1[i])],
          ];
        case "mark":
          return [
            ["at", ms(marks.t[i])],
            ["lane", lanes[marks.lane[i]].name],
            ["what", marks.text[i]],
          ];
        default: {
          const ev = evidenceEvents[i];
          const props = checks
            .filter((c) => c.evidence.some((e) => e.events.includes(i)))
            .map((c) => c.property);
          return [
            ["evidence for", props.join(", ")],
            ["at", ms(ev.t)],
            ["what", ev.text],
            ["raw", ev.json, true],
          ];
        }
      }
    }

    function groupMessagesByOp() {
      const byOp = new Map();
      for (let m = 0; m < msgs.t0.length; m++) {
        if (msgs.op[m] < 0) continue;
        if (!byOp.has(msgs.op[m])) byOp.set(msgs.op[m], []);
        byOp.get(msgs.op[m]).push(m);
      }
      return byOp;
    }

    function describeMessage(m) {
      const kind = Object.keys(codes.msgKind).find((k) => codes.msgKind[k] === msgs.kind[m]);
      const sent = msgs.t0[m] >= 0 ? formatMs(msgs.t0[m], 0.001) : "?";
      const reply = msgs.t1[m] >= 0 ? `${formatMs(msgs.t1[m], 0.001)} ${msgs.reply[m]}` : "none";
      return `${sent} ${kind} xid ${msgs.xid[m]} conn ${msgs.conn[m]} -> ${reply}`;
    }

    function hitAt(x, y) {
      for (let h = hits.length - 1; h >= 0; h--) {
        const hit = hits[h];
        if (x >= hit.x0 - 1 && x <= hit.x1 + 1 && y >= hit.y0 && y <= hit.y1) return hit;
      }
      return null;
    }

    function canvasPoint(event) {
      const rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }

    // ---- log panel (virtual list) ------------------------------------------------------------
    const logList = $("log-list");
    const logSpacer = $("log-spacer");
    let logRows = [];
    let focusedLog = -1;

    function refreshLogs() {
      const text = state.logText.toLowerCase();
      const { t0, t1 } = state.view;
      logRows = [];
      for (let i = 0; i < logs.t.length; i++) {
        if (state.hiddenLanes.has(logs.lane[i])) continue;
        if (state.logInView && (logs.t[i] < t0 || logs.t[i] > t1)) continue;
        if (text && !logs.line[i].toLowerCase().includes(text)) continue;
        logRows.push(i);
      }
      $("log-count").textContent = `(${logRows.length} of ${logs.t.length})`;
      logSpacer.style.height = `${logRows.length * LOG_ROW}px`;
      renderLogRows();
    }

    function renderLogRows() {
      const first = Math.floor(logList.scrollTop / LOG_ROW);
      const count = Math.ceil(logList.clientHeight / LOG_ROW) + 2;
      const nodes = [];
      for (let r = first; r < Math.min(logRows.length, first + count); r++) {
        const i = logRows[r];
        const row = document.createElement("div");
        row.className = `log-row${logs.stderr[i] ? " stderr" : ""}${i === focusedLog ? " focused" : ""}`;
        row.style.top = `${r * LOG_ROW}px`;
        row.dataset.log = String(i);
        row.textContent = `${formatMs(logs.t[i], 0.1).padStart(10)} ${lanes[logs.lane[i]].name} ${logs.line[i]}`;
        row.title = logs.line[i];
        nodes.push(row);
      }
      logList.replaceChildren(logSpacer, ...nodes);
    }

    // ---- wiring --------------------------------------------------------------------------------
    for (const item of document.querySelectorAll(".evidence")) {
      const check = Number(item.dataset.check);
      const evidence = Number(item.dataset.evidence);
      item.addEventListener("click", (event) => {
        const line = event.target.closest("[data-event]");
        selectEvidence(check, evidence, line ? Number(line.dataset.event) : undefined);
      });
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter") selectEvidence(check, evidence);
      });
    }
    for (const input of document.querySelectorAll('#filters input[type="checkbox"]')) {
      input.addEventListener("change", () => {
        const set = input.name === "lane" ? state.hiddenLanes : state.hiddenTypes;
        const value = input.name === "lane" ? Number(input.value) : input.value;
        if (input.checked) set.delete(value);
        else set.add(value);
        applyFilters();
      });
    }
    $("subject-filter").addEventListener("input", (event) => {
      state.subject = event.target.value.trim();
      applyFilters();
    });
    $("log-filter").addEventListener("input", (event) => {
      state.logText = event.target.value;
      refreshLogs();
    });
    $("log-in-view").addEventListener("change", (event) => {
      state.logInView = event.target.checked;
      refreshLogs();
    });
    logList.addEventListener("scroll", renderLogRows);
    logList.addEventListener("click", (event) => {
      const row = event.target.closest("[data-log]");
      if (!row) return;
      focusedLog = Number(row.dataset.log);
      state.focusTime = logs.t[focusedLog];
      const { t0, t1 } = state.view;
      if (state.focusTime < t0 || state.focusTime > t1) {
        const half = (t1 - t0) / 2;
        setView(state.focusTime - half, state.focusTime + half);
      } else scheduleDraw();
      renderLogRows();
    });
    $("zoom-in").addEventListener("click", () => zoom(0.5));
    $("zoom-out").addEventListener("click", () => zoom(2));
    $("zoom-fit").addEventListener("click", () => setView(0, endMs));
    $("copy-reproduce").addEventListener("click", () => {
      navigator.clipboard?.writeText($("reproduce").textContent).catch(() => undefined);
    });
    canvas.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const { x } = canvasPoint(event);
        if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
          const shift = ((event.deltaX || event.deltaY) / width) * (state.view.t1 - state.view.t0);
          setView(state.view.t0 + shift, state.view.t1 + shift);
        } else zoom(Math.exp(event.deltaY * 0.002), x);
      },
      { passive: false },
    );
    let drag = null;
    canvas.addEventListener("mousedown", (event) => {
      drag = { x: canvasPoint(event).x, view: state.view, moved: false };
    });
    window.addEventListener("mouseup", () => {
      setTimeout(() => {
        drag = null;
      });
    });
    canvas.addEventListener("mousemove", (event) => {
      const { x, y } = canvasPoint(event);
      if (drag && (event.buttons & 1) === 1) {
        const dt = ((x - drag.x) / (width - GUTTER - 8)) * (drag.view.t1 - drag.view.t0);
        if (Math.abs(x - drag.x) > 3) drag.moved = true;
        setView(drag.view.t0 - dt, drag.view.t1 - dt);
        tooltip.hidden = true;
        return;
      }
      const hit = hitAt(x, y);
      if (!hit) {
        tooltip.hidden = true;
        return;
      }
      tooltip.textContent = describeHit(hit)
        .filter((row) => !row[2])
        .map(([name, value]) => `${name}: ${value}`)
        .join("\n");
      tooltip.hidden = false;
      tooltip.style.left = `${Math.min(x + 14, width - 300)}px`;
      tooltip.style.top = `${y + 14}px`;
    });
    canvas.addEventListener("mouseleave", () => {
      tooltip.hidden = true;
    });
    canvas.addEventListener("click", (event) => {
      if (drag?.moved) return;
      const { x, y } = canvasPoint(event);
      const hit = hitAt(x, y);
      if (hit) showDetails(describeHit(hit));
    });
    canvas.addEventListener("dblclick", (event) => zoom(0.5, canvasPoint(event).x));
    new ResizeObserver(applyFilters).observe(wrap);
    window.addEventListener("resize", renderLogRows);

    api.selectEvidence = selectEvidence;
    api.setView = setView;
    applyFilters();
  }

  decodeModel().then(start, (error) => {
    const box = $("load-error");
    box.hidden = false;
    box.textContent = `This trace view could not load (${error}). It needs a browser with DecompressionStream (Chromium 80+, Firefox 113+, Safari 16.4+); the trace itself is trace.jsonl beside this file.`;
    console.error(error);
  });
})();
