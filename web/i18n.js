// One strings table per language. `t(key, vars)` fills {name} placeholders.
// The page's language: ?lang=en|id, else the browser's language, else English.

export const LANGS = ["en", "id"];

const en = {
  "doc.title": "Client–server playground",
  "title": "Client–server playground",
  "tagline": "The lab sheet's TCP service (parity and length) and its conversation, made visible.",
  "skip": "Skip to the message box",
  "lang.label": "Language",

  // --- one playground for a class (target.js, server view privacy)
  "target.label": "Server address",
  "target.name": "Your name",
  "target.connect": "Connect",
  "target.nameHint": "Optional: the teacher sees it beside your session in the server view and the request log. Kept in this browser.",
  "target.none": "Empty: the playground's own service. Type your server as HOST:PORT (or pick your name from the class list), then Enter.",
  "target.chosen": "This page talks to {target}. Enter connects to what you type instead.",
  "target.refused": "Refused by the playground: {reason}",
  "server.hidden": "(another client's request: not shown)",
  "server.you": "you",
  "server.private": "Each page sees only its own requests here; other clients appear without what they typed.",

  "status.connecting": "connecting…",
  "status.connected": "connected",
  "status.disconnected": "disconnected",
  "status.reconnecting": "reconnecting",
  "status.connectedTo": "connected · backend {backend}",
  "status.ping": "ping {ms} ms",
  "status.queued": "{n} queued",
  "status.reconnectIn": "reconnecting in {s} s",
  "status.reconnectAttempt": "reconnecting (attempt {n})…",

  "form.message": "Message",
  "form.send": "Send",
  "form.hint": "Enter sends · ↑ / ↓ recall earlier messages",
  "form.handler": "Handler",
  "mode.auto": "Auto",
  "mode.parity": "Parity",
  "mode.length": "Length",
  "mode.raw": "Raw",
  "modeHelp.auto": "Sends a JSON request; the server picks parity for an integer, length for anything else.",
  "modeHelp.parity": "Sends a JSON request: is the text an even or an odd integer?",
  "modeHelp.length": "Sends a JSON request: characters, bytes and graphemes of the text.",
  "modeHelp.raw": "Sends exactly what you type as one line and shows the reply as it came. Use it for a server that does not speak this protocol's JSON.",

  "examples.title": "Examples",
  "examples.intro": "A click fills the message box.",
  "examples.even": "Even: 42",
  "examples.odd": "Odd: -7",
  "examples.million": "A million digits",
  "examples.family": "Emoji family 👨‍👩‍👧‍👦",
  "examples.text": "Text: halo dunia",
  "examples.nan": "Not a number: 4x2",
  "examples.utf8": "Bad UTF-8 cannot be sent from a browser: WebSocket text is always UTF-8 and the page's strings are Unicode. To see ERR invalid_utf8, use a raw TCP client:",
  "examples.million.note": "Over the default line limit of 64 KiB as a plain line: expect ERR line_too_long unless the server runs with a larger --max-line.",

  "cheat.title": "Protocol cheat sheet",
  "cheat.intro": "One request per line (UTF-8, ending in LF; CRLF is accepted). Every request gets exactly one reply line, in order.",
  "cheat.parity": "parity of 42",
  "cheat.length": "characters, bytes, graphemes of the rest of the line",
  "cheat.auto": "no command word: parity for an integer, length otherwise",
  "cheat.json": "JSON request; the reply is one JSON object with the same id",
  "cheat.help": "one line of usage",
  "cheat.errors": "Errors start with ERR and a code (not_an_integer, invalid_utf8, line_too_long, invalid_json, unknown_handler, invalid_request, empty); the connection stays open.",

  "log.title": "Conversation",
  "log.clear": "Clear",
  "log.bytes": "Bytes",
  "log.export": "Export",
  "log.exportMd": "Markdown (.md)",
  "log.exportCsv": "CSV (.csv)",
  "log.copy": "Copy",
  "log.copied": "Markdown copied to the clipboard.",
  "log.copyFailed": "The clipboard is not available here.",
  "log.empty": "Nothing yet. Type a number and press Enter.",
  "log.dropped": "{n} older entries were dropped; showing the last {cap}.",
  "log.jump": "Jump to latest ({n} new)",
  "log.cleared": "The conversation was cleared.",

  "entry.sent": "sent",
  "entry.received": "received",
  "entry.event": "event",
  "entry.error": "error",
  "entry.queued": "queued: sent once connected",
  "entry.sending": "sending…",
  "entry.queuedFor": "waited {s} s for the connection",
  "entry.lost": "no reply: the connection closed first",
  "entry.rtt": "RTT {ms} ms",
  "entry.since": "+{ms} ms since the previous message",
  "entry.unmatched": "no request waiting for it",
  "entry.rejected": "answered by the bridge; nothing went to the backend",
  "entry.json": "JSON",
  "entry.command": "Command",
  "entry.commandTitle": "Copy as a terminal command",
  "entry.commandCopied": "Command copied: {cmd}",
  "entry.truncated": "… ({n} characters in all)",
  "entry.noWire": "not on the TCP wire",
  "entry.wireBytes": "{n} bytes on the wire",
  "entry.wireEnd.lf": "ended by LF",
  "entry.wireEnd.crlf": "ended by CRLF",
  "entry.wireEnd.idle": "no LF: flushed after a pause",
  "entry.wireEnd.close": "no LF: flushed when the backend closed",
  "entry.wireMore": "… {n} more bytes",

  "result.parity": "{parity} · {digits} digits",
  "result.parity.one": "{parity} · 1 digit",
  "result.even": "even",
  "result.odd": "odd",
  "result.length": "characters {characters} · bytes {bytes} · graphemes {graphemes}",

  "event.ws_open": "WebSocket open",
  "event.backend_connected": "Backend connected: {backend}, from {local}",
  "event.backend_refused": "Backend refused: {reason}",
  "event.backend_eof": "Backend half-closed its side (FIN); the connection closes",
  "event.closed": "Closed: code {code} ({codeName}), reason “{reason}”",
  "event.error": "WebSocket error: {detail}",
  "event.repeat": "×{n}",
  "code.1000": "normal closure",
  "code.1001": "going away",
  "code.1006": "abnormal closure, no close frame",
  "code.1008": "policy violation",
  "code.1009": "message too big",
  "code.1011": "server error",
  "code.1013": "try again later",
  "code.other": "see RFC 6455",
  "reason.none": "none",
  "error.noConnection": "the page cannot reach the web app",

  "server.title": "Server view",
  "server.intro": "What the TCP service sees: every client connected to it (this page's WebSocket sessions and raw TCP clients) and what each asked.",
  "server.modeMany": "Serves many clients at once.",
  "server.modeSingle": "--single: serves one connection at a time; the others wait their turn.",
  "server.external": "The service is another process ({backend}); shown here are this bridge's own connections to it.",
  "server.clients": "Connected clients",
  "server.none": "No clients connected.",
  "server.tcpClient": "TCP client",
  "server.served": "served",
  "server.waiting": "waiting",
  "server.position": "#{n} in line",
  "server.console": "Console, as the lab sheet's program prints it",
  "server.consoleEmpty": "Waiting...",
  "server.reply": "→ {reply}",
  "server.closed": "# connection {conn} closed: {reason}",
  "server.opened": "# accepted connection {conn} from {peer}",
  "server.feedLive": "live feed",
  "server.feedDown": "feed lost; retrying",
  "server.dropped": "# {n} events were missed (this viewer was too slow)",
  "server.skipped": "# … and {n} more requests in the last second, counted but not shown",

  "queue.title": "Queue experiment",
  "queue.button": "Queue experiment",
  "queue.explain": "The lab sheet's server is single-threaded: it accepts one connection, answers it, and only then accepts the next, so other clients wait in line. This experiment opens {n} extra connections at once (queue-1 … queue-{n}), sends one number on each and keeps each open about a second after its reply, like a busy client. Under --single you see one served and the others marked waiting, answered one by one (a connection that sits idle gives up its turn after {turn} s when others wait). Without --single all are served at once.",
  "queue.running": "Running…",
  "queue.done": "Done: {answered} of {n} answered, {ms} ms from first to last answer.",
  "queue.failed": "{label}: {reason}",
  "queue.timeline": "Timeline, ms from the start",
  "queue.accepted": "accepted",
  "queue.servedAt": "served",
  "queue.firstByte": "first byte",
  "queue.answered": "answered",
  "queue.closedAt": "closed",
  "queue.waited": "waited",

  "settings.title": "Settings in force",
  "settings.maxLine": "Line limit",
  "settings.idleFlush": "Idle flush",
  "settings.idleTimeout": "Idle timeout",
  "settings.default": "Default handler",
  "settings.lang": "Server language",
  "settings.single": "One connection at a time (--single)",
  "settings.turnIdle": "Turn given up after idle",
  "settings.backend": "Backend",
  "settings.wsMax": "WebSocket message limit",
  "settings.yes": "yes",
  "settings.no": "no",
  "settings.externalYes": "{backend} (another process)",
  "settings.unknown": "unavailable",
  "unit.bytes": "{n} bytes",
  "unit.ms": "{n} ms",
  "unit.s": "{n} s",

  "md.title": "Lab report: simple client–server application (single thread)",
  "md.date": "Date",
  "md.settings": "Settings",
  "md.table": "Requests and replies",
  "md.col.n": "#",
  "md.col.time": "Time",
  "md.col.handler": "Handler",
  "md.col.request": "Request",
  "md.col.reply": "Reply",
  "md.col.rtt": "RTT (ms)",
  "md.none": "No requests yet.",
  "md.rtt": "Round-trip time",
  "md.rttStats": "min {min} ms · median {median} ms · max {max} ms over {n} replies",
  "md.rttNone": "No round-trip times measured.",
  "md.analysis": "Analysis",
  "md.a1": "1. Analysis of the experiment (simple single-thread client–server)",
  "md.a1.hint": "What did the server print for each request? What happened to a second client while the first was being served (see the queue experiment)?",
  "md.a2": "2. Server that replies with the number of characters (port 12345)",
  "md.a2.hint": "Compare characters, bytes and graphemes for the same text; explain where they differ.",
  "md.a3": "3. Client that sends the user's message and shows the reply",
  "md.a3.hint": "What does the client do when the reply has no line ending, or the server is not running?",
  "md.conclusion": "Conclusion",
  "md.dropped": "Note: {n} older log entries were dropped before this export.",
};

const id = {
  "doc.title": "Praktikum client–server",
  "title": "Praktikum client–server",
  "tagline": "Layanan TCP dari lembar praktikum (genap/ganjil dan jumlah karakter) dan percakapannya, terlihat jelas.",
  "skip": "Langsung ke kotak pesan",
  "lang.label": "Bahasa",

  // --- one playground for a class (target.js, server view privacy)
  "target.label": "Alamat server",
  "target.name": "Nama kamu",
  "target.connect": "Hubungkan",
  "target.nameHint": "Opsional: guru melihatnya di samping sesimu pada tampilan server dan log permintaan. Disimpan di browser ini.",
  "target.none": "Kosong: layanan milik playground ini. Ketik server milikmu sebagai HOST:PORT (atau pilih namamu dari daftar kelas), lalu Enter.",
  "target.chosen": "Halaman ini berbicara dengan {target}. Enter menghubungkan ke yang kamu ketik.",
  "target.refused": "Ditolak oleh playground: {reason}",
  "server.hidden": "(permintaan klien lain: tidak ditampilkan)",
  "server.you": "kamu",
  "server.private": "Setiap halaman hanya melihat permintaannya sendiri di sini; klien lain tampil tanpa isi yang mereka ketik.",

  "status.connecting": "menghubungkan…",
  "status.connected": "terhubung",
  "status.disconnected": "terputus",
  "status.reconnecting": "menghubungkan ulang",
  "status.connectedTo": "terhubung · backend {backend}",
  "status.ping": "ping {ms} ms",
  "status.queued": "{n} dalam antrean",
  "status.reconnectIn": "menghubungkan ulang dalam {s} dtk",
  "status.reconnectAttempt": "menghubungkan ulang (percobaan ke-{n})…",

  "form.message": "Pesan",
  "form.send": "Kirim",
  "form.hint": "Enter mengirim · ↑ / ↓ memanggil pesan sebelumnya",
  "form.handler": "Penangan (handler)",
  "mode.auto": "Auto (otomatis)",
  "mode.parity": "Parity (genap/ganjil)",
  "mode.length": "Length (panjang)",
  "mode.raw": "Raw (mentah)",
  "modeHelp.auto": "Mengirim permintaan JSON; server memilih parity untuk bilangan bulat, length untuk yang lain.",
  "modeHelp.parity": "Mengirim permintaan JSON: apakah teks ini bilangan bulat genap atau ganjil?",
  "modeHelp.length": "Mengirim permintaan JSON: jumlah karakter, byte dan grafem teks.",
  "modeHelp.raw": "Mengirim persis apa yang diketik sebagai satu baris dan menampilkan balasan apa adanya. Pakai untuk server yang tidak memahami JSON protokol ini.",

  "examples.title": "Contoh",
  "examples.intro": "Klik untuk mengisi kotak pesan.",
  "examples.even": "Genap: 42",
  "examples.odd": "Ganjil: -7",
  "examples.million": "Sejuta digit",
  "examples.family": "Emoji keluarga 👨‍👩‍👧‍👦",
  "examples.text": "Teks: halo dunia",
  "examples.nan": "Bukan angka: 4x2",
  "examples.utf8": "UTF-8 yang rusak tidak bisa dikirim dari peramban: teks WebSocket selalu UTF-8 dan string halaman ini Unicode. Untuk melihat ERR invalid_utf8, pakai klien TCP mentah:",
  "examples.million.note": "Sebagai baris biasa ini melebihi batas baris bawaan 64 KiB: balasannya ERR line_too_long, kecuali server dijalankan dengan --max-line yang lebih besar.",

  "cheat.title": "Contekan protokol",
  "cheat.intro": "Satu permintaan per baris (UTF-8, diakhiri LF; CRLF diterima). Setiap permintaan mendapat tepat satu baris balasan, berurutan.",
  "cheat.parity": "genap/ganjil dari 42",
  "cheat.length": "karakter, byte, grafem dari sisa baris",
  "cheat.auto": "tanpa kata perintah: parity untuk bilangan bulat, length untuk yang lain",
  "cheat.json": "permintaan JSON; balasannya satu objek JSON dengan id yang sama",
  "cheat.help": "satu baris cara pakai",
  "cheat.errors": "Galat diawali ERR dan sebuah kode (not_an_integer, invalid_utf8, line_too_long, invalid_json, unknown_handler, invalid_request, empty); koneksi tetap terbuka.",

  "log.title": "Percakapan",
  "log.clear": "Bersihkan",
  "log.bytes": "Bita",
  "log.export": "Ekspor",
  "log.exportMd": "Markdown (.md)",
  "log.exportCsv": "CSV (.csv)",
  "log.copy": "Salin",
  "log.copied": "Markdown tersalin ke papan klip.",
  "log.copyFailed": "Papan klip tidak tersedia di sini.",
  "log.empty": "Belum ada apa-apa. Ketik sebuah angka lalu tekan Enter.",
  "log.dropped": "{n} entri lama dibuang; yang tampil {cap} terakhir.",
  "log.jump": "Ke yang terbaru ({n} baru)",
  "log.cleared": "Percakapan dibersihkan.",

  "entry.sent": "dikirim",
  "entry.received": "diterima",
  "entry.event": "peristiwa",
  "entry.error": "galat",
  "entry.queued": "dalam antrean: dikirim setelah terhubung",
  "entry.sending": "mengirim…",
  "entry.queuedFor": "menunggu koneksi {s} dtk",
  "entry.lost": "tanpa balasan: koneksi tertutup lebih dulu",
  "entry.rtt": "RTT {ms} ms",
  "entry.since": "+{ms} ms sejak pesan sebelumnya",
  "entry.unmatched": "tidak ada permintaan yang menunggunya",
  "entry.rejected": "dijawab oleh jembatan; tidak ada yang dikirim ke backend",
  "entry.json": "JSON",
  "entry.command": "Perintah",
  "entry.commandTitle": "Salin sebagai perintah terminal",
  "entry.commandCopied": "Perintah tersalin: {cmd}",
  "entry.truncated": "… (seluruhnya {n} karakter)",
  "entry.noWire": "tidak lewat kabel TCP",
  "entry.wireBytes": "{n} byte di kabel",
  "entry.wireEnd.lf": "diakhiri LF",
  "entry.wireEnd.crlf": "diakhiri CRLF",
  "entry.wireEnd.idle": "tanpa LF: dikirim setelah jeda",
  "entry.wireEnd.close": "tanpa LF: dikirim saat backend menutup",
  "entry.wireMore": "… {n} byte lagi",

  "result.parity": "{parity} · {digits} digit",
  "result.even": "genap",
  "result.odd": "ganjil",
  "result.length": "karakter {characters} · byte {bytes} · grafem {graphemes}",

  "event.ws_open": "WebSocket terbuka",
  "event.backend_connected": "Backend terhubung: {backend}, dari {local}",
  "event.backend_refused": "Backend menolak: {reason}",
  "event.backend_eof": "Backend menutup sisinya (FIN); koneksi ditutup",
  "event.closed": "Ditutup: kode {code} ({codeName}), alasan “{reason}”",
  "event.error": "Galat WebSocket: {detail}",
  "event.repeat": "×{n}",
  "code.1000": "penutupan normal",
  "code.1001": "pergi",
  "code.1006": "penutupan tidak normal, tanpa frame penutup",
  "code.1008": "pelanggaran kebijakan",
  "code.1009": "pesan terlalu besar",
  "code.1011": "galat server",
  "code.1013": "coba lagi nanti",
  "code.other": "lihat RFC 6455",
  "reason.none": "tidak ada",
  "error.noConnection": "halaman tidak bisa mencapai aplikasi web",

  "server.title": "Peladen (sisi server)",
  "server.intro": "Apa yang dilihat layanan TCP: setiap klien yang terhubung (sesi WebSocket halaman ini dan klien TCP mentah) dan apa yang diminta masing-masing.",
  "server.modeMany": "Melayani banyak klien sekaligus.",
  "server.modeSingle": "--single: melayani satu koneksi pada satu waktu; yang lain menunggu giliran.",
  "server.external": "Layanannya proses lain ({backend}); yang tampil di sini koneksi jembatan ini ke sana.",
  "server.clients": "Klien yang terhubung",
  "server.none": "Tidak ada klien yang terhubung.",
  "server.tcpClient": "klien TCP",
  "server.served": "dilayani",
  "server.waiting": "menunggu",
  "server.position": "antrean ke-{n}",
  "server.console": "Konsol, seperti dicetak program pada lembar praktikum",
  "server.consoleEmpty": "Waiting...",
  "server.reply": "→ {reply}",
  "server.closed": "# koneksi {conn} ditutup: {reason}",
  "server.opened": "# koneksi {conn} diterima dari {peer}",
  "server.feedLive": "siaran langsung",
  "server.feedDown": "siaran terputus; mencoba lagi",
  "server.dropped": "# {n} peristiwa terlewat (penampil ini terlalu lambat)",
  "server.skipped": "# … dan {n} permintaan lagi dalam sedetik terakhir, dihitung tapi tidak ditampilkan",

  "queue.title": "Percobaan antrean",
  "queue.button": "Percobaan antrean",
  "queue.explain": "Server pada lembar praktikum berjalan single thread: ia menerima satu koneksi, menjawabnya, baru kemudian menerima koneksi berikutnya, sehingga klien lain harus antre. Percobaan ini membuka {n} koneksi tambahan sekaligus (queue-1 … queue-{n}), mengirim satu angka di masing-masing, dan membiarkan tiap koneksi terbuka sekitar satu detik setelah dibalas, seperti klien yang sibuk. Dengan --single terlihat satu dilayani dan yang lain ditandai menunggu, lalu dijawab satu per satu (koneksi yang diam menyerahkan gilirannya setelah {turn} dtk bila ada yang menunggu). Tanpa --single semuanya dilayani sekaligus.",
  "queue.running": "Berjalan…",
  "queue.done": "Selesai: {answered} dari {n} dijawab, {ms} ms dari jawaban pertama sampai terakhir.",
  "queue.failed": "{label}: {reason}",
  "queue.timeline": "Linimasa, ms sejak mulai",
  "queue.accepted": "diterima",
  "queue.servedAt": "dilayani",
  "queue.firstByte": "byte pertama",
  "queue.answered": "dijawab",
  "queue.closedAt": "ditutup",
  "queue.waited": "menunggu",

  "settings.title": "Pengaturan yang berlaku",
  "settings.maxLine": "Batas baris",
  "settings.idleFlush": "Kirim setelah jeda",
  "settings.idleTimeout": "Batas waktu diam",
  "settings.default": "Handler bawaan",
  "settings.lang": "Bahasa layanan",
  "settings.single": "Satu koneksi pada satu waktu (--single)",
  "settings.turnIdle": "Giliran diserahkan setelah diam",
  "settings.backend": "Backend",
  "settings.wsMax": "Batas pesan WebSocket",
  "settings.yes": "ya",
  "settings.no": "tidak",
  "settings.externalYes": "{backend} (proses lain)",
  "settings.unknown": "tidak tersedia",
  "unit.bytes": "{n} byte",
  "unit.ms": "{n} ms",
  "unit.s": "{n} dtk",

  "md.title": "Laporan praktikum: aplikasi client–server sederhana (single thread)",
  "md.date": "Tanggal",
  "md.settings": "Pengaturan",
  "md.table": "Permintaan dan balasan",
  "md.col.n": "No.",
  "md.col.time": "Waktu",
  "md.col.handler": "Handler",
  "md.col.request": "Permintaan",
  "md.col.reply": "Balasan",
  "md.col.rtt": "RTT (ms)",
  "md.none": "Belum ada permintaan.",
  "md.rtt": "Waktu pulang-pergi (RTT)",
  "md.rttStats": "min {min} ms · median {median} ms · maks {max} ms dari {n} balasan",
  "md.rttNone": "Belum ada RTT yang terukur.",
  "md.analysis": "Analisa",
  "md.a1": "1. Analisa hasil percobaan (aplikasi client–server sederhana, single thread)",
  "md.a1.hint": "Apa yang dicetak server untuk setiap permintaan? Apa yang terjadi pada klien kedua selama klien pertama dilayani (lihat percobaan antrean)?",
  "md.a2": "2. Program server yang membalas dengan jumlah karakter (port 12345)",
  "md.a2.hint": "Bandingkan jumlah karakter, byte dan grafem untuk teks yang sama; jelaskan di mana bedanya.",
  "md.a3": "3. Program klien yang mengirim pesan pengguna dan menampilkan balasannya",
  "md.a3.hint": "Apa yang dilakukan klien bila balasan tidak berakhiran baris baru, atau server tidak berjalan?",
  "md.conclusion": "Kesimpulan",
  "md.dropped": "Catatan: {n} entri log lama sudah dibuang sebelum ekspor ini.",
};

const TABLES = { en, id };
let current = "en";
const listeners = new Set();

export function detectLang(search = location.search, languages = navigator.languages) {
  const asked = new URLSearchParams(search).get("lang");
  if (asked && LANGS.includes(asked)) return asked;
  for (const tag of languages || [navigator.language]) {
    const primary = String(tag || "").toLowerCase().split("-")[0];
    if (primary === "id" || primary === "in" || primary === "ms") return "id";
    if (primary === "en") return "en";
  }
  return "en";
}

export function getLang() {
  return current;
}

export function setLang(lang) {
  current = LANGS.includes(lang) ? lang : "en";
  document.documentElement.lang = current;
  document.title = t("doc.title");
  applyStatic(document);
  for (const listener of listeners) listener(current);
}

export function onLangChange(listener) {
  listeners.add(listener);
}

export function t(key, vars = {}, lang = current) {
  const table = TABLES[lang] || en;
  const template = table[key] ?? en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in vars ? String(vars[name]) : whole);
}

/** Fill every element marked data-i18n (text) or data-i18n-title (title attribute). */
export function applyStatic(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.title = t(el.dataset.i18nTitle);
  }
}

/** Numbers the way the page's language writes them (1,000 / 1.000). */
export function formatNumber(value, digits = 0) {
  const locale = current === "id" ? "id-ID" : "en-US";
  return Number(value).toLocaleString(locale, {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
}

export function formatMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return "";
  return formatNumber(ms, ms < 10 ? 2 : ms < 100 ? 1 : 0);
}
