"""Words: explanations that teach, and the reports' labels, in Indonesian and English.

A judgement carries a key and plain values; this is the only place they become a sentence,
in the report's language. Numbers are written the way each language writes them
("2,0 detik", "11,7 ms" in Indonesian).
"""

from __future__ import annotations

LANGS = ("id", "en")

VERDICT_WORD = {
    "en": {"pass": "pass", "fail": "fail", "info": "info", "skip": "skip"},
    "id": {"pass": "lulus", "fail": "gagal", "info": "info", "skip": "lewat"},
}
PARITY_WORD = {"en": {"even": "even", "odd": "odd"}, "id": {"even": "genap", "odd": "ganjil"}}
FINDING_WORD = {
    "en": {"at_once": "at once", "one_at_a_time": "one at a time", "both_in_order":
           "both in order", "only_first": "only the first", "as_one": "as one request",
           "none": "none"},
    "id": {"at_once": "sekaligus", "one_at_a_time": "satu per satu", "both_in_order":
           "keduanya berurutan", "only_first": "hanya yang pertama", "as_one":
           "sebagai satu permintaan", "none": "tidak ada"},
}

# What a failure usually means, by the case's hint: after a crash or a server that stopped.
HINT_CRASH = {
    "en": {
        "int": "did int() raise on 'abc'? Catch ValueError and answer an error instead.",
        "decode": "did decode() raise on the bytes FF FE? Catch UnicodeDecodeError "
                  "(or decode with errors='replace').",
        "empty": "did int() or decode() raise on the empty data recv() returns when a "
                 "client leaves without sending? Treat b'' as \"the client has gone\".",
        "long": "did the 100,000-character line break it? Read in a loop, or answer an error.",
        "loop": "is accept() outside a loop? The lab sheet's server serves one client, "
                "then exits.",
        "else": "if it is a NameError, the reply was never set for this number: is an "
                "`else` missing?",
        "pipelined": "did two requests in one recv() (\"42\\n7\\n\") reach int() as one?",
        "": "see the last lines it printed.",
    },
    "id": {
        "int": "apakah int() gagal (raise) pada 'abc'? Tangkap ValueError dan balas "
               "dengan pesan galat.",
        "decode": "apakah decode() gagal pada byte FF FE? Tangkap UnicodeDecodeError "
                  "(atau decode dengan errors='replace').",
        "empty": "apakah int() atau decode() gagal pada data kosong yang dikembalikan "
                 "recv() saat client pergi tanpa mengirim? Anggap b'' sebagai \"client "
                 "sudah pergi\".",
        "long": "apakah baris 100.000 karakter membuatnya gagal? Baca dalam loop, atau "
                "balas dengan pesan galat.",
        "loop": "apakah accept() berada di luar loop? Server pada lembar praktikum "
                "melayani satu client, lalu berhenti.",
        "else": "bila itu NameError, balasannya tidak pernah diisi untuk angka ini: "
                "apakah ada `else` yang hilang?",
        "pipelined": "apakah dua permintaan dalam satu recv() (\"42\\n7\\n\") masuk ke "
                     "int() sebagai satu?",
        "": "lihat baris terakhir yang dicetaknya.",
    },
}
HINT_WRONG = {
    "en": {
        "else": "is an `else` missing?",
        "zero": "is an `else` missing, or is 0 treated as a special case (0 % 2 == 0: "
                "0 is even)?",
        "negative": "is an `else` missing? (In C or Java -7 % 2 is -1, not 1: test "
                    "`% 2 == 0`.)",
        "float": "is an `else` missing?",
        "no_newline": "is an `else` missing?",
        "crlf": "is an `else` missing, or is the CR (\\r) before the LF kept in the number?",
    },
    "id": {
        "else": "apakah ada `else` yang hilang?",
        "zero": "apakah ada `else` yang hilang, atau 0 diperlakukan khusus (0 % 2 == 0: "
                "0 itu genap)?",
        "negative": "apakah ada `else` yang hilang? (Di C atau Java -7 % 2 hasilnya -1, bukan "
                    "1: uji `% 2 == 0`.)",
        "float": "apakah ada `else` yang hilang?",
        "no_newline": "apakah ada `else` yang hilang?",
        "crlf": "apakah ada `else` yang hilang, atau CR (\\r) sebelum LF masih ikut di "
                "angkanya?",
    },
}
HINT_SILENT = {
    "en": {
        "no_newline": "does it wait for a LF? The lab sheet's client sends none.",
        "ascii": "does it wait for a LF? The lab sheet's client sends none.",
        "bytes": "does it wait for a LF? The lab sheet's client sends none.",
        "": "is it waiting for more data, or for the client to close?",
    },
    "id": {
        "no_newline": "apakah server menunggu LF? Klien pada lembar praktikum tidak "
                      "mengirimnya.",
        "ascii": "apakah server menunggu LF? Klien pada lembar praktikum tidak mengirimnya.",
        "bytes": "apakah server menunggu LF? Klien pada lembar praktikum tidak mengirimnya.",
        "": "apakah server menunggu data lagi, atau menunggu client menutup koneksi?",
    },
}

TEXT = {
    "en": {
        "right_parity": "{number} is {expected} and the reply says “{word}”.",
        "wrong_parity": "{number} is {expected}, the reply says “{word}”: {hint_wrong}",
        "wrong_float": "{number} is odd, the reply says “{word}”: converting through float "
                       "rounds it to an even number (18446744073709551616); use int(), "
                       "never float().",
        "no_parity_word": "{number} is {expected}, but the reply “{reply}” has no parity "
                          "word (genap/even, ganjil/odd).",
        "both_parity_words": "the reply “{reply}” says both ({word}): it must say exactly "
                             "one kind.",
        "right_count": "“{text}” has {expected} characters and the reply says {count}.",
        "wrong_count": "“{text}” has {expected} characters, the reply says {count}.",
        "counted_bytes": "“{text}” has {expected} characters, the reply says {count}: that "
                         "is its number of UTF-8 bytes; count the decoded text, "
                         "len(data.decode()).",
        "counted_line_end": "“{text}” has {expected} characters, the reply says {count}: the "
                            "line ending was counted; it is not part of the message "
                            "(strip it: .rstrip('\\r\\n')).",
        "no_integer": "“{text}” has {expected} characters, but the reply “{reply}” holds no "
                      "number.",
        "cut": "the server sent more than {limit_kib} KiB without a line end; the reply was "
               "cut there: does it send in a loop without end?",
        "crashed": "the program exited with status {status} during this case (its last "
                   "lines show why): {hint_crash}",
        "crashed_after_reply": "the reply was right, but the program then exited with "
                               "status {status} (its last lines show why).",
        "no_reply_timeout": "no reply within {timeout} s: {hint_silent}",
        "no_reply_closed": "the server closed the connection without replying.",
        "no_reply_reset": "the server reset the connection without replying.",
        "no_reply_refused": "the connection was refused: the server is not accepting.",
        "robust_silent": "neither a reply nor a close within {timeout} s: a server should "
                         "answer (an error is fine) or close.",
        "stopped_silent": "the server closed without replying and stopped accepting: "
                          "{hint_crash}",
        "stopped_after_reply": "the server replied, then stopped accepting connections: "
                               "{hint_crash}",
        "exited_after_one": "the program exited (status {status}) after this client, so the "
                            "next one was refused: it serves one client and stops; put "
                            "accept() and the exchange in a loop.",
        "next_unanswered": "the next client was not answered (it ended: {ended}).",
        "still_answers_after_reply": "the server answered, and the next client was "
                                     "answered too.",
        "still_answers_after_close": "the server closed the connection, and the next "
                                     "client was answered.",
        "still_answers_empty": "a client that left without sending did not hurt: the next "
                               "client was answered.",
        "both_answered": "two clients one after the other were both answered.",
        "at_once": "at once — while client A was connected and silent, client B was "
                   "answered in {ms} ms: the server serves several clients at once (threads "
                   "or asyncio).",
        "one_at_a_time": "one at a time — the second client waited {seconds} s: the server "
                         "serves one client at a time (single-threaded, as in the lab "
                         "sheet).",
        "b_unanswered": "one at a time — client B was not answered, even after client A "
                        "left (it ended: {ended}).",
        "both_in_order": "both answered in order — two requests sent in one packet got two "
                         "replies: the server reads line by line.",
        "only_first": "only the first answered — of two requests sent in one packet only "
                      "the first got a reply (“{reply}”): the server reads once per "
                      "connection.",
        "as_one": "answered as one request — two requests sent in one packet got one reply "
                  "(“{reply}”): the server treats what one recv() returns as one message, "
                  "not line by line.",
        "pipelined_unanswered": "no reply — two requests sent in one packet got no reply "
                                "(it ended: {ended}).",
        "skipped": "not run: the server stopped accepting connections after “{after}”.",
        "unreachable": "not run: the target could not be reached ({reason}).",
    },
    "id": {
        "right_parity": "{number} itu {expected} dan balasannya “{word}”.",
        "wrong_parity": "{number} itu {expected}, balasannya “{word}”: {hint_wrong}",
        "wrong_float": "{number} itu ganjil, balasannya “{word}”: konversi lewat float "
                       "membulatkannya menjadi bilangan genap (18446744073709551616); pakai "
                       "int(), jangan float().",
        "no_parity_word": "{number} itu {expected}, tetapi balasan “{reply}” tidak memuat "
                          "kata genap/even atau ganjil/odd.",
        "both_parity_words": "balasan “{reply}” menyebut keduanya ({word}): harus tepat satu "
                             "jenis.",
        "right_count": "“{text}” punya {expected} karakter dan balasannya {count}.",
        "wrong_count": "“{text}” punya {expected} karakter, balasannya {count}.",
        "counted_bytes": "“{text}” punya {expected} karakter, balasannya {count}: itu jumlah "
                         "byte UTF-8-nya; hitung teks yang sudah di-decode, "
                         "len(data.decode()).",
        "counted_line_end": "“{text}” punya {expected} karakter, balasannya {count}: akhir "
                            "baris ikut dihitung, padahal bukan bagian pesan (buang dulu: "
                            ".rstrip('\\r\\n')).",
        "no_integer": "“{text}” punya {expected} karakter, tetapi balasan “{reply}” tidak "
                      "memuat angka.",
        "cut": "server mengirim lebih dari {limit_kib} KiB tanpa akhir baris; balasannya "
               "dipotong di situ: apakah server mengirim dalam loop tanpa henti?",
        "crashed": "program keluar dengan status {status} selama kasus ini (baris "
                   "terakhirnya menunjukkan sebabnya): {hint_crash}",
        "crashed_after_reply": "balasannya benar, tetapi program lalu keluar dengan status "
                               "{status} (baris terakhirnya menunjukkan sebabnya).",
        "no_reply_timeout": "tidak ada balasan dalam {timeout} detik: {hint_silent}",
        "no_reply_closed": "server menutup koneksi tanpa membalas.",
        "no_reply_reset": "server me-reset koneksi tanpa membalas.",
        "no_reply_refused": "koneksi ditolak: server tidak menerima koneksi.",
        "robust_silent": "tidak ada balasan dan koneksi tidak ditutup dalam {timeout} detik: "
                         "server sebaiknya membalas (pesan galat pun boleh) atau menutup.",
        "stopped_silent": "server menutup koneksi tanpa membalas dan berhenti menerima "
                          "koneksi: {hint_crash}",
        "stopped_after_reply": "server membalas, lalu berhenti menerima koneksi: "
                               "{hint_crash}",
        "exited_after_one": "program keluar (status {status}) setelah client ini, sehingga "
                            "client berikutnya ditolak: ia melayani satu client lalu berhenti; "
                            "letakkan accept() dan percakapannya di dalam loop.",
        "next_unanswered": "client berikutnya tidak dibalas (berakhir: {ended}).",
        "still_answers_after_reply": "server membalas, dan client berikutnya juga dibalas.",
        "still_answers_after_close": "server menutup koneksi, dan client berikutnya "
                                     "dibalas.",
        "still_answers_empty": "client yang pergi tanpa mengirim tidak mengganggu: client "
                               "berikutnya dibalas.",
        "both_answered": "dua client berturut-turut sama-sama dibalas.",
        "at_once": "sekaligus — selama client A terhubung dan diam, client B dibalas dalam "
                   "{ms} ms: server melayani beberapa client sekaligus (thread atau asyncio).",
        "one_at_a_time": "satu per satu — client kedua menunggu {seconds} detik: server "
                         "melayani satu client pada satu waktu (single thread, seperti pada "
                         "lembar praktikum).",
        "b_unanswered": "satu per satu — client B tidak dibalas, bahkan setelah client A "
                        "pergi (berakhir: {ended}).",
        "both_in_order": "keduanya dibalas berurutan — dua permintaan dalam satu paket "
                         "mendapat dua balasan: server membaca baris per baris.",
        "only_first": "hanya yang pertama dibalas — dari dua permintaan dalam satu paket "
                      "hanya yang pertama mendapat balasan (“{reply}”): server membaca sekali "
                      "per koneksi.",
        "as_one": "dibalas sebagai satu permintaan — dua permintaan dalam satu paket "
                  "mendapat satu balasan (“{reply}”): server menganggap hasil satu recv() "
                  "sebagai satu pesan, bukan baris per baris.",
        "pipelined_unanswered": "tidak dibalas — dua permintaan dalam satu paket tidak "
                                "mendapat balasan (berakhir: {ended}).",
        "skipped": "tidak dijalankan: server berhenti menerima koneksi setelah “{after}”.",
        "unreachable": "tidak dijalankan: target tidak bisa dihubungi ({reason}).",
    },
}

LABELS = {
    "en": {
        "checking": "Checking {target} (exercise: {exercise})",
        "program": "program: {command}",
        "summary": "Summary: {pass} pass, {fail} fail, {info} info, {skip} skip",
        "failures": "Failures",
        "stopped": "The server stopped accepting connections after “{after}”; the cases "
                   "after it were skipped. Use --run \"python server.py\" to have it started "
                   "again before each case.",
        "restarted": "↻ the program was started again before the case",
        "exit": "exit status {status}; its last lines:",
        "sent": "sent", "received": "received", "ended": "ended",
        "md.title": "Lab check: {target}",
        "md.target": "Target", "md.date": "Date", "md.exercise": "Exercise",
        "md.program": "Program", "md.starts": "started {n} times",
        "md.case": "Case", "md.verdict": "Verdict", "md.explanation": "Explanation",
        "md.findings": "Findings for the analysis",
        "md.nofindings": "No info findings (the server stopped before those cases).",
        "md.unreachable": "The target could not be reached: {reason}.",
        "summary.name": "name", "summary.target": "target", "summary.passed": "passed",
        "summary.failed": "failed", "summary.clients": "clients",
        "summary.unreachable": "unreachable", "yes": "yes", "no": "no",
    },
    "id": {
        "checking": "Memeriksa {target} (latihan: {exercise})",
        "program": "program: {command}",
        "summary": "Ringkasan: {pass} lulus, {fail} gagal, {info} info, {skip} lewat",
        "failures": "Yang gagal",
        "stopped": "Server berhenti menerima koneksi setelah “{after}”; kasus sesudahnya "
                   "dilewati. Pakai --run \"python server.py\" agar server dijalankan lagi "
                   "sebelum setiap kasus.",
        "restarted": "↻ program dijalankan lagi sebelum kasus itu",
        "exit": "status keluar {status}; baris terakhirnya:",
        "sent": "dikirim", "received": "diterima", "ended": "berakhir",
        "md.title": "Pemeriksaan lab: {target}",
        "md.target": "Target", "md.date": "Tanggal", "md.exercise": "Latihan",
        "md.program": "Program", "md.starts": "dijalankan {n} kali",
        "md.case": "Kasus", "md.verdict": "Hasil", "md.explanation": "Penjelasan",
        "md.findings": "Temuan untuk analisa",
        "md.nofindings": "Tidak ada temuan info (server berhenti sebelum kasus-kasus itu).",
        "md.unreachable": "Target tidak bisa dihubungi: {reason}.",
        "summary.name": "nama", "summary.target": "target", "summary.passed": "lulus",
        "summary.failed": "gagal", "summary.clients": "client",
        "summary.unreachable": "tak terjangkau", "yes": "ya", "no": "tidak",
    },
}


def number(value: float, lang: str, digits: int = 1) -> str:
    """``2.0`` / ``2,0``: a decimal number the way the language writes it."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "id" else text


def explain(key: str, values: dict, lang: str) -> str:
    """The one-sentence explanation of a judgement, in ``lang`` (``id`` or ``en``)."""
    lang = lang if lang in TEXT else "id"
    filled: dict[str, object] = dict(values)
    hint = str(values.get("hint", ""))
    crash_hint = hint if hint in HINT_CRASH[lang] else "else" if hint in HINT_WRONG[lang] else ""
    filled["hint_crash"] = HINT_CRASH[lang][crash_hint]
    filled["hint_wrong"] = HINT_WRONG[lang].get(hint, HINT_WRONG[lang]["else"])
    filled["hint_silent"] = HINT_SILENT[lang].get(hint, HINT_SILENT[lang][""])
    if values.get("expected") in ("even", "odd"):
        filled["expected"] = PARITY_WORD[lang][values["expected"]]
    for name in ("timeout", "seconds", "ms"):
        if isinstance(values.get(name), int | float):
            filled[name] = number(float(values[name]), lang)
    return TEXT[lang][key].format(**filled)


def label(key: str, lang: str, **values: object) -> str:
    return LABELS[lang if lang in LABELS else "id"][key].format(**values)


def verdict_word(verdict: str, lang: str) -> str:
    return VERDICT_WORD[lang if lang in VERDICT_WORD else "id"][verdict]


def finding_word(finding: str, lang: str) -> str:
    return FINDING_WORD[lang if lang in FINDING_WORD else "id"].get(finding, finding)
