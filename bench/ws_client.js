// ws_client.js: WebSocket load client for the bridge benchmark (Node + the `ws` package).
//
//   node ws_client.js load URL CONNS DEPTH WARMUP_S DURATION_S FRAMES
//   node ws_client.js hold URL CONNS FRAMES
//
// FRAMES: "text"   - one text message per request line, without LF (the project's bridge,
//                    websocat); reply messages are lines, with or without their LF.
//         "binary" - binary messages holding the request line and its LF (websockify, which
//                    forwards raw TCP bytes); replies are a byte stream split at LF.
// The client offers permessage-deflate as browsers do; the server decides.
// Same requests and checks as loadgen.c. Prints one JSON line; exit 2 on wrong replies,
// 3 when stalled, 1 on connection failure.
'use strict';
const WebSocket = require('ws');

const TEXT = 'halo dunia apa kabar semuanya baik baik saja';

function makeReq(k, c) {
  const n = Number((BigInt(k) * 2654435761n + BigInt(c) * 40503n + 7n) % 1000000000n);
  const len = 1 + ((k * 7 + c) % 30);
  const parity = `angka ${n} merupakan ${n & 1 ? 'ganjil' : 'genap'}`;
  const length = `jumlah karakter: ${len}`;
  switch (k & 3) {
    case 0: return [`parity ${n}`, parity];
    case 1: return [`length ${TEXT.slice(0, len)}`, length];
    case 2: return [`${n}`, parity];
    default: return [TEXT.slice(0, len), length];
  }
}

const [mode, url, connsArg, ...rest] = process.argv.slice(2);
const conns = parseInt(connsArg, 10);
const depth = mode === 'load' ? parseInt(rest[0], 10) : 1;
const warm = mode === 'load' ? parseFloat(rest[1]) : 0;
const dur = mode === 'load' ? parseFloat(rest[2]) : 0;
const frames = mode === 'load' ? rest[3] : rest[0];
const binary = frames === 'binary';

let errors = 0;
let firstError = '';
const lat = [];
let measured = 0;
let tMeas = Infinity;
let tEnd = Infinity;
let stopping = false;
let lastProgress = performance.now();
let negotiated = '';

function fail(msg, code) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

class Conn {
  constructor(idx, onReady) {
    this.idx = idx;
    this.sent = 0;
    this.recvd = 0;
    this.exp = [];
    this.tSent = [];
    this.buf = '';
    this.ws = new WebSocket(url, { perMessageDeflate: true, maxPayload: 64 << 20 });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => {
      negotiated = this.ws.extensions || negotiated;
      onReady(this);
    });
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('error', (e) => fail(`connection ${idx}: ${e.message}`, 1));
    this.ws.on('close', (code, reason) => {
      if (!this.closing) fail(`connection ${idx} closed by the server: ${code} ${reason}`, 1);
    });
  }
  send(n) {
    const now = performance.now();
    for (let i = 0; i < n; i++) {
      const [req, exp] = makeReq(this.sent, this.idx);
      this.exp.push(exp);
      this.tSent.push(now);
      this.sent++;
      if (binary) this.ws.send(Buffer.from(req + '\n'), { binary: true });
      else this.ws.send(req);
    }
  }
  onMessage(data, isBinary) {
    let text = isBinary ? data.toString('utf8') : data.toString();
    if (!binary && !text.endsWith('\n')) text += '\n'; // a message is a line
    this.buf += text;
    const now = performance.now();
    const measuring = now >= tMeas && now < tEnd;
    let got = 0;
    let nl;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (this.exp.length === 0) {
        errors++;
        if (!firstError) firstError = `unasked reply '${line.slice(0, 200)}'`;
        continue;
      }
      const exp = this.exp.shift();
      const t = this.tSent.shift();
      if (line !== exp) {
        errors++;
        if (!firstError) firstError = `expected '${exp}' got '${line.slice(0, 200)}'`;
      }
      if (measuring) lat.push(now - t);
      this.recvd++;
      got++;
    }
    if (got) {
      lastProgress = now;
      if (measuring) measured += got;
      if (mode === 'load' && !stopping) this.send(got);
      if (this.onReply) this.onReply(this);
    }
  }
}

function pct(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.round(p * (sorted.length - 1))] * 1000; // microseconds
}

function runLoad() {
  const all = [];
  let ready = 0;
  for (let i = 0; i < conns; i++) {
    all.push(new Conn(i, () => {
      if (++ready === conns) start();
    }));
  }
  const connectTimer = setTimeout(() => fail(`only ${ready} of ${conns} connected in 20 s`, 1), 20000);
  function start() {
    clearTimeout(connectTimer);
    const t0 = performance.now();
    tMeas = t0 + warm * 1000;
    tEnd = tMeas + dur * 1000;
    lastProgress = t0;
    for (const c of all) c.send(depth);
    const timer = setInterval(() => {
      const now = performance.now();
      if (now >= tEnd) stopping = true;
      const pending = all.reduce((s, c) => s + (c.sent - c.recvd), 0);
      if (stopping && pending === 0) {
        clearInterval(timer);
        finish(all, false);
      } else if (now - lastProgress > 5000) {
        clearInterval(timer);
        process.stderr.write(`stalled: no reply for 5 s with ${pending} requests in flight\n`);
        finish(all, true);
      }
    }, 20);
  }
}

function finish(all, stalled) {
  lat.sort((a, b) => a - b);
  const out = {
    conns, depth, seconds: dur, requests: measured,
    total_replies: all.reduce((s, c) => s + c.recvd, 0),
    rps: measured / dur,
    p50_us: pct(lat, 0.5), p90_us: pct(lat, 0.9), p99_us: pct(lat, 0.99), max_us: pct(lat, 1),
    errors, first_error: firstError, stalled, extensions: negotiated,
  };
  process.stdout.write(JSON.stringify(out) + '\n', () => {
    for (const c of all) { c.closing = true; c.ws.terminate(); }
    process.exit(stalled ? 3 : errors ? 2 : 0);
  });
}

function runHold() {
  const all = [];
  let opened = 0;
  let done = 0;
  const maxActive = 50;
  let active = 0;
  function openMore() {
    while (opened < conns && active < maxActive) {
      const c = new Conn(opened++, (cc) => cc.send(1));
      c.onReply = (cc) => {
        if (cc.recvd === cc.sent && !cc.counted) {
          cc.counted = true;
          done++;
          active--;
          lastProgress = performance.now();
          if (done === conns) ready();
          else openMore();
        }
      };
      all.push(c);
      active++;
    }
  }
  const watchdog = setInterval(() => {
    if (done < conns && performance.now() - lastProgress > 10000) {
      fail(`stalled after ${done} of ${conns} sessions`, 3);
    }
  }, 500);
  function ready() {
    clearInterval(watchdog);
    process.stdout.write(`ready ${done} errors ${errors} extensions ${negotiated || '-'}\n`);
    process.stdin.resume();
    process.stdin.on('data', () => quit());
    process.stdin.on('end', () => quit());
  }
  function quit() {
    for (const c of all) { c.closing = true; c.ws.terminate(); }
    process.exit(errors ? 2 : 0);
  }
  openMore();
}

if (mode === 'load' && process.argv.length === 9) runLoad();
else if (mode === 'hold' && process.argv.length === 6) runHold();
else fail('usage: node ws_client.js load URL CONNS DEPTH WARMUP_S DURATION_S text|binary\n' +
          '       node ws_client.js hold URL CONNS text|binary', 1);
