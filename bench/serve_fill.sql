-- serve_fill.sql - bench/serve_bench.sh: a store of :N decisions and :NI incidents, made in SQL
-- from the rows that 'watchpost scan --record' wrote for tests/fixtures (the templates).
--
-- Each new decision copies the headers, size, reasons, findings, attachments and report of a
-- template of its kind (clean or malicious) and gets its own time (spread evenly over the
-- last 30 days, ids in time order as the milter writes them), envelope and verdict: 78 %
-- clean, 12 % spam, 5 % phishing, 4 % malware, 1 % targeted. Rows kept for a realistic
-- subset only: findings and attachments for every decision that is not clean and one clean
-- in four, the compressed report for the newest :NREP decisions, a quarantine entry for every
-- quarantined decision (held for 7 days, deleted by retention after). Senders: 20,000 users
-- over 2,000 domains, 1 % from one campaign address; 1 subject in 1,000 mentions a
-- 'quarterly budget review'. Recipients: one or two per decision. Attachments: one in 50
-- keeps its template's SHA-256 (a campaign: a few hundred messages each), the others are unique.
-- Parameters (sqlite3 .parameter set): :N :NI :NOW :NREP. No ANALYZE: a real store has none.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TEMP TABLE tpl AS
  SELECT id, CASE WHEN verdict = 'clean' THEN 0 ELSE 1 END AS pool,
         row_number() OVER (PARTITION BY verdict = 'clean' ORDER BY id) - 1 AS k
  FROM decisions;
CREATE TEMP TABLE pools AS SELECT pool, count(*) AS n FROM tpl GROUP BY pool;
CREATE TEMP TABLE gen(i INTEGER PRIMARY KEY, h INTEGER, h2 INTEGER, verdict TEXT, tid INTEGER);
WITH RECURSIVE n(i) AS (SELECT (SELECT max(id) FROM decisions) + 1
                        UNION ALL SELECT i + 1 FROM n WHERE i < :N)
INSERT INTO gen(i, h, h2)
  SELECT i, (i * 2654435761) % 4294967291, (i * 40503 + 12345) % 1000003 FROM n;
UPDATE gen SET verdict = CASE WHEN h % 1000 < 780 THEN 'clean' WHEN h % 1000 < 900 THEN 'spam'
                              WHEN h % 1000 < 950 THEN 'phishing' WHEN h % 1000 < 990 THEN 'malware'
                              ELSE 'targeted' END;
UPDATE gen SET tid = (SELECT t.id FROM tpl t WHERE t.pool = (gen.verdict NOT IN ('clean', 'spam'))
                      AND t.k = gen.h2 % (SELECT n FROM pools p WHERE p.pool = t.pool));
INSERT INTO decisions(id, time, arrival, queue_id, message_id, client_ip, client_name, helo,
                      mail_from, n_rcpt, direction, authenticated, hdr_from, hdr_sender,
                      hdr_reply_to, hdr_return_path, hdr_to, hdr_cc, hdr_subject, hdr_date, size,
                      verdict, score, severity, action, reasons, n_findings)
SELECT g.i, :NOW - 30 * 86400 + (g.i * 30 * 86400) / :N, :NOW - 30 * 86400 + (g.i * 30 * 86400) / :N - 1,
       printf('%010X', g.i), printf('<%d.%d@mx%d.example>', g.i, g.h % 100000, g.h % 7),
       printf('198.51.%d.%d', g.h2 % 256, g.h % 254 + 1), printf('mx%d.sender%d.example', g.h % 7, g.h2 % 2000),
       printf('mx%d.sender%d.example', g.h % 7, g.h2 % 2000),
       CASE WHEN g.h % 97 = 0 THEN 'billing@paypa1-secure.example'
            ELSE printf('user%d@dom%d.example', g.h % 20000, g.h2 % 2000) END,
       1 + (g.h % 5 = 0),
       CASE WHEN g.h % 10 = 0 THEN 'outbound' ELSE 'inbound' END, g.h % 10 = 0,
       d.hdr_from, d.hdr_sender, d.hdr_reply_to, d.hdr_return_path, d.hdr_to, d.hdr_cc,
       CASE WHEN g.h % 1000 = 7 THEN d.hdr_subject || ' - quarterly budget review'
            ELSE d.hdr_subject || printf(' #%d', g.i % 9973) END,
       d.hdr_date, d.size + g.h % 4096,
       g.verdict,
       CASE g.verdict WHEN 'clean' THEN g.h % 6 WHEN 'spam' THEN 6 + g.h % 7 ELSE 10 + g.h % 21 END,
       CASE g.verdict WHEN 'clean' THEN 0 WHEN 'spam' THEN g.h % 2 WHEN 'phishing' THEN 2 + g.h % 3
                      WHEN 'malware' THEN 1 + g.h % 3 ELSE 4 + g.h % 2 END,
       CASE g.verdict WHEN 'clean' THEN 'deliver' WHEN 'spam' THEN 'tag' ELSE 'quarantine' END,
       d.reasons, d.n_findings
FROM gen g JOIN decisions d ON d.id = g.tid;
-- recipients: every decision (n_rcpt of them)
INSERT INTO recipients(decision_id, seq, rcpt)
  SELECT g.i, 0, printf('emp%d@corp.example', g.h2 % 5000) FROM gen g;
INSERT INTO recipients(decision_id, seq, rcpt)
  SELECT g.i, 1, printf('team%d@corp.example', g.h % 300) FROM gen g WHERE g.h % 5 = 0;
-- findings and attachments: every decision that is not clean, and one clean in four
CREATE TEMP TABLE rich AS SELECT i, tid FROM gen WHERE verdict != 'clean' OR h % 4 = 0;
INSERT INTO findings(decision_id, seq, code, category, weight, contribution, evidence, "where")
  SELECT r.i, f.seq, f.code, f.category, f.weight, f.contribution, f.evidence, f."where"
  FROM rich r JOIN findings f ON f.decision_id = r.tid;
INSERT INTO attachments(decision_id, sha256, name, type)
  SELECT r.i, CASE WHEN r.i % 50 = 0 THEN a.sha256 ELSE lower(hex(randomblob(32))) END, a.name,
         a.type
  FROM rich r JOIN attachments a ON a.decision_id = r.tid;
-- the whole report of the newest :NREP decisions (as a store that prunes reports keeps them)
INSERT INTO reports(decision_id, json_len, json_z)
  SELECT g.i, p.json_len, p.json_z FROM gen g JOIN reports p ON p.decision_id = g.tid
  WHERE g.i > :N - :NREP;
-- a quarantine entry for every quarantined decision of the last 7 days, older ones deleted
INSERT INTO quarantine(ref, decision_id, created, size, sha256, state, deleted_by, deleted_at,
                       delete_reason)
  SELECT printf('%016x', d.id * 2654435761 % 18446744073709551557), d.id, d.time, d.size,
         printf('%064x', d.id), CASE WHEN d.time >= :NOW - 7 * 86400 THEN 'held' ELSE 'deleted' END,
         CASE WHEN d.time >= :NOW - 7 * 86400 THEN NULL ELSE 'retention' END,
         CASE WHEN d.time >= :NOW - 7 * 86400 THEN NULL ELSE d.time + 7 * 86400 END,
         CASE WHEN d.time >= :NOW - 7 * 86400 THEN NULL ELSE 'retention' END
  FROM decisions d WHERE d.action = 'quarantine' AND d.id > (SELECT max(id) FROM tpl);
-- incidents
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :NI)
INSERT INTO incidents(id, status, severity, title, first_evidence, last_evidence, detected_at,
                      updated, alerted_at, ack_by, ack_at, closed_by, closed_at, close_reason)
SELECT i + coalesce((SELECT max(id) FROM incidents), 0),
       CASE WHEN i % 10 < 2 THEN 'open' WHEN i % 10 < 3 THEN 'acked' ELSE 'closed' END,
       (i * 7) % 6, printf('host 10.0.%d.%d: beaconing to c2-%d.example', i % 250, i % 200, i % 97),
       :NOW - 30 * 86400 + i * (30 * 86400 / :NI) - 3600, :NOW - 30 * 86400 + i * (30 * 86400 / :NI),
       :NOW - 30 * 86400 + i * (30 * 86400 / :NI) + 5, :NOW - 30 * 86400 + i * (30 * 86400 / :NI) + 5,
       :NOW - 30 * 86400 + i * (30 * 86400 / :NI) + 6,
       CASE WHEN i % 10 >= 2 THEN 'alice' END, CASE WHEN i % 10 >= 2 THEN :NOW - 30 * 86400 + i * (30 * 86400 / :NI) + 600 END,
       CASE WHEN i % 10 >= 3 THEN 'bob' END, CASE WHEN i % 10 >= 3 THEN :NOW - 30 * 86400 + i * (30 * 86400 / :NI) + 7200 END,
       CASE WHEN i % 10 >= 3 THEN 'false positive: backup job' END
FROM n;
INSERT OR IGNORE INTO incident_entities(incident_id, kind, value, first_ts)
  SELECT id, 'host', printf('10.0.%d.%d', id % 250, id % 200), first_evidence FROM incidents
  UNION ALL SELECT id, 'user', printf('emp%d', id % 5000), first_evidence FROM incidents
  UNION ALL SELECT id, 'destination', printf('c2-%d.example', id % 97), first_evidence FROM incidents
  UNION ALL SELECT id, 'destination', printf('203.0.113.%d', id % 250), first_evidence FROM incidents WHERE id % 2 = 0
  UNION ALL SELECT id, 'sender', printf('user%d@dom%d.example', id % 20000, id % 2000), first_evidence FROM incidents WHERE id % 3 = 0;
INSERT INTO incident_timeline(incident_id, seq, ts, kind, code, summary, decision_id)
  SELECT id, 1, first_evidence, 'net', 'NET_BEACON', 'periodic connections every 60 s', NULL FROM incidents
  UNION ALL SELECT id, 2, first_evidence + 60, 'net', 'NET_INTEL_HIT', 'destination on an indicator list', NULL FROM incidents
  UNION ALL SELECT id, 3, last_evidence, 'mail', 'ATTACH_EXECUTABLE', 'executable attachment delivered to the user', NULL FROM incidents;
INSERT INTO incident_severity(incident_id, seq, at, evidence_ts, from_severity, to_severity, reason)
  SELECT id, 1, detected_at, first_evidence, NULL, max(severity - 1, 0), 'first evidence' FROM incidents
  UNION ALL SELECT id, 2, detected_at + 60, last_evidence, max(severity - 1, 0), severity, 'corroborated' FROM incidents;
COMMIT;
PRAGMA journal_mode = WAL;
