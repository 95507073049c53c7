#!/usr/bin/env python3
"""Regenerate fuzz/seeds/<target>/ from the repo's own fixtures plus small hand-made inputs.

Python 3 stdlib only, deterministic (fixed timestamps), so a rerun is byte-identical.

  python3 fuzz/make_seeds.py

Sources:
  message  tests/fixtures/*.eml and not_mail.bin, plus hand-made messages (mbox, deep
           nesting, message/rfc822, partial, RFC 2231/2047 parameters, encodings ...)
  content  every decoded attachment of the fixtures (zip, OOXML, OLE2, PDF, RTF, TNEF, PE ...)
           plus hand-made containers (gz, bz2, xz, tar, 7z, cab, rar) and small typed blobs
  html     the HTML parts of the fixtures plus hand-made tag/entity/link cases
  text     the text/plain bodies of the fixtures plus URL and uuencode cases

Every seed is < 20 KB. Nothing from outside the repository is copied.
"""
import binascii
import bz2
import email
import email.policy
import gzip
import io
import lzma
import os
import struct
import tarfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures")
SEEDS = os.path.join(HERE, "seeds")
MAX_SEED = 20 * 1024
ZIP_DATE = (2024, 1, 2, 3, 4, 6)


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) >= MAX_SEED:
        print("skip (too big, %d bytes): %s/%s" % (len(data), target, name))
        return
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safe(name):
    out = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return out[:60] or "unnamed"


# ---------------------------------------------------------------------------- fixtures
def from_fixtures():
    for fn in sorted(os.listdir(FIXTURES)):
        path = os.path.join(FIXTURES, fn)
        if not (fn.endswith(".eml") or fn.endswith(".bin")):
            continue
        raw = open(path, "rb").read()
        put("message", fn, raw)
        if not fn.endswith(".eml"):
            put("content", fn, raw)
            continue
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        stem = fn[:-4]
        n = 0
        for part in msg.walk():
            if part.is_multipart():
                continue
            n += 1
            try:
                payload = part.get_payload(decode=True)
            except Exception:
                continue
            if payload is None:
                continue
            ctype = part.get_content_type()
            name = part.get_filename()
            if ctype == "message/rfc822":
                continue
            if name is not None or not ctype.startswith("text/"):
                put("content", "%s_%d_%s" % (stem, n, safe(name or "part")), payload)
            elif ctype == "text/html":
                put("html", "%s_%d.html" % (stem, n), payload)
                put("content", "%s_%d.html" % (stem, n), payload)
            else:
                put("text", "%s_%d.txt" % (stem, n), payload)


# ---------------------------------------------------------------------------- helpers
def zip_bytes(members, compression=zipfile.ZIP_DEFLATED):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", compression) as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, ZIP_DATE)
            zi.compress_type = compression
            z.writestr(zi, data)
    return bio.getvalue()


def tar_bytes(members, mode="w"):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode=mode, format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
    return bio.getvalue()


def gz(data, name=None):
    bio = io.BytesIO()
    with gzip.GzipFile(filename=name or "", mode="wb", fileobj=bio, mtime=1700000000) as g:
        g.write(data)
    return bio.getvalue()


def num7z(v):
    assert v < 0x80
    return bytes([v])


def sevenzip(name, data):
    """A 7z archive with one file packed with the Copy coder."""
    names = (name + "\0").encode("utf-16-le")
    hdr = bytearray()
    hdr += b"\x01"                                  # kHeader
    hdr += b"\x04"                                  # kMainStreamsInfo
    hdr += b"\x06" + num7z(0) + num7z(1)            # kPackInfo: pos 0, 1 stream
    hdr += b"\x09" + num7z(len(data)) + b"\x00"     # kSize, kEnd
    hdr += b"\x07\x0b" + num7z(1) + b"\x00"         # kUnPackInfo, kFolder, 1 folder, not ext.
    hdr += b"\x01" + b"\x01\x00"                    # 1 coder: id size 1, id 0x00 (Copy)
    hdr += b"\x0c" + num7z(len(data)) + b"\x00"     # kCodersUnPackSize, kEnd
    hdr += b"\x08\x00"                              # kSubStreamsInfo (defaults), kEnd
    hdr += b"\x00"                                  # kEnd (streams info)
    hdr += b"\x05" + num7z(1)                       # kFilesInfo, 1 file
    hdr += b"\x11" + num7z(len(names) + 1) + b"\x00" + names  # kName, not external
    hdr += b"\x00"                                  # kEnd (files)
    hdr += b"\x00"                                  # kEnd (header)
    start = struct.pack("<QQI", len(data), len(hdr), zlib.crc32(bytes(hdr)))
    return (b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start +
            data + bytes(hdr))


def cab(name, data):
    """A cabinet with one folder, one uncompressed CFDATA block, one file."""
    fname = name.encode("ascii") + b"\0"
    hdr_len, folder_len = 36, 8
    file_len = 16 + len(fname)
    coff_files = hdr_len + folder_len
    coff_data = coff_files + file_len
    total = coff_data + 8 + len(data)
    out = b"MSCF" + struct.pack("<IIIIIBBHHHHH", 0, total, 0, coff_files, 0, 3, 1, 1, 1, 0, 0, 0)
    out += struct.pack("<IHH", coff_data, 1, 0)
    out += struct.pack("<IIHHHH", len(data), 0, 0, 0x5821, 0x0000, 0x20) + fname
    out += struct.pack("<IHH", 0, len(data), len(data)) + data
    assert len(out) == total
    return out


def rar4(name, data):
    """A RAR 4 archive with one stored file."""
    def block(htype, flags, body):
        size = 7 + len(body)
        head = struct.pack("<BHH", htype, flags, size) + body
        return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head

    out = b"Rar!\x1a\x07\x00"
    out += block(0x73, 0x0000, b"\x00" * 6)
    fname = name.encode("ascii")
    fh = struct.pack("<IIBIIBBHI", len(data), len(data), 2, zlib.crc32(data), 0x5821_0000,
                     20, 0x30, len(fname), 0x20) + fname
    out += block(0x74, 0x8000, fh) + data
    out += block(0x7B, 0x4000, b"")
    return out


def pe_small():
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 64)
    coff = b"PE\0\0" + struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 240, 0x2022)
    return bytes(dos) + coff + bytes(64)


def pdf_objstm():
    """A PDF whose action dictionaries live in a Flate /ObjStm, with #xx-escaped names."""
    inner = (b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >> "
             b"<< /S /URI /URI <687474703a2f2f3139382e35312e3130302e312f78> >> "
             b"<< /S /Launch /F (cmd.exe) >> << /EmbeddedFiles << >> /AcroForm << /XFA 1 >> >>")
    comp = zlib.compress(b"4 0 5 60 6 120 " + inner)
    out = bytearray(b"%PDF-1.7\n")
    out += b"1 0 obj\n<< /Type /Catalog /OpenAction 4 0 R /AA << /O 5 0 R >> >>\nendobj\n"
    out += (b"2 0 obj\n<< /Type /ObjStm /N 3 /First 15 /Filter /FlateDecode /Length %d >>\n"
            b"stream\n" % len(comp)) + comp + b"\nendstream\nendobj\n"
    out += b"3 0 obj\n<< /S /J#61va#53cript /JS (x) /RichMedia 1 /Encrypt 9 0 R >>\nendobj\n"
    out += b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    return bytes(out)


def pdf_hiding():
    """PDFs built to hide actions from a substring scanner (tests/unit/test_content.c)."""
    body = b"q Q\nendstream\n/Launch /JavaScript << /OpenAction 1 0 R >>\n"
    inner = b"5 0 << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>"
    comp = zlib.compress(inner)
    return {
        "pdf_comment_stream": b"%PDF-1.4\n% stream\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>"
                              b"\nendobj\n2 0 obj\n<< /S /JavaScript /JS (x) >>\nendobj\n%%EOF\n",
        "pdf_string_stream": b"%PDF-1.4\n1 0 obj\n<< /Title (stream) /Subject (a stream\n) /S /Launch"
                             b" /F (cmd.exe) >>\nendobj\n2 0 obj\n<< /Length 4 >>\nstream\nabcd\n"
                             b"endstream\nendobj\n%%EOF\n",
        "pdf_endstream_in_dict": b"%PDF-1.4\n1 0 obj\n<< /Length 20 /Note (endstream) >>\nstream\n"
                                 b"/JavaScript (hidden)\nendstream\nendobj\n2 0 obj\n"
                                 b"<< /OpenAction 3 0 R >>\nendobj\n%%EOF\n",
        "pdf_length_fake_endstream": b"%PDF-1.4\n1 0 obj\n" + b"<< /Length %d >>\nstream\n" % len(body) +
                                     body + b"\nendstream\nendobj\n2 0 obj\n<< /S /URI /URI "
                                     b"(http://a.example/\\160ath\\(1\\)) >>\nendobj\n%%EOF\n",
        "pdf_names_in_text": b"%PDF-1.4\n% /JavaScript /OpenAction\n1 0 obj\n<< /Title (/JavaScript "
                             b"\\(/Launch\\) (/AA)) /S /J#61vaScript /Open#41ction 2 0 R >>\n"
                             b"endobj\n%%EOF",
        "pdf_objstm_escaped": b"%PDF-1.7\n1 0 obj\n" + b"<< /Type /Obj#53tm /Filter [/FlateDecode] /N 1 "
                              b"/First 4 /Length %d >>\nstream\n" % len(comp) + comp +
                              b"\nendstream\nendobj\n2 0 obj\n<< /Type /ObjStm /N 1 /First 4 "
                              b"/Length %d >>\nstream\n" % len(inner) + inner +
                              b"\nendstream\nendobj\ntrailer\n<< /Root 5 0 R >>\n%%EOF\n",
        "pdf_unterminated": b"%PDF-1.4\n1 0 obj\n<< /Title (never closed >>\nendobj\n2 0 obj\n"
                            b"[[[[[[[[<< /OpenAction 3 0 R /A <4a53 /URI <68747470> >>\nendobj\n%%EOF\n",
    }


def tnef2():
    def attr(level, aid, data):
        return struct.pack("<BII", level, aid, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)

    t = bytearray(struct.pack("<IH", 0x223E9F78, 0x0001))
    t += attr(1, 0x00089006, struct.pack("<I", 0x00010000))
    t += attr(2, 0x00069002, bytes(14))
    t += attr(2, 0x00018010, b"a.zip\0")
    t += attr(2, 0x0006800F, zip_bytes([("x.txt", b"hello")]))
    t += attr(2, 0x00069002, bytes(14))
    t += attr(2, 0x0006800F, b"{\\rtf1 {\\object\\objemb{\\*\\objclass Equation.3}{\\*\\objdata 01}}}")
    return bytes(t)


def ooxml(rels_target="http://198.51.100.7/t.dotm", extra=()):
    ct = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
    rels = ('<?xml version="1.0"?><Relationships><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="%s" '
            'TargetMode="External"/></Relationships>' % rels_target).encode()
    doc = (b'<w:document><w:body><w:p><w:r><w:fldSimple w:instr=" DDE cmd /c calc"/>'
           b'<w:instrText> DDEAUTO c:\\\\x.exe</w:instrText></w:r></w:p></w:body></w:document>')
    members = [("[Content_Types].xml", ct), ("word/_rels/settings.xml.rels", rels),
               ("word/document.xml", doc)] + list(extra)
    return zip_bytes(members)


# ---------------------------------------------------------------------------- content
def content_seeds():
    put("content", "empty", b"")
    put("content", "zip_stored", zip_bytes([("a.txt", b"hello\n"), ("b/c.exe", pe_small())],
                                           zipfile.ZIP_STORED))
    put("content", "zip_in_zip", zip_bytes([("inner.zip", zip_bytes([("deep.js", b"WScript.Echo(1)")]))]))
    put("content", "gz_single", gz(b"#!/bin/sh\necho hi\n", "run.sh"))
    put("content", "bz2_single", bz2.compress(b"MZ" + bytes(100)))
    put("content", "xz_single", lzma.compress(b"<html><a href='http://x.example/'>y</a></html>"))
    put("content", "tar_plain", tar_bytes([("a.pdf", b"%PDF-1.4\n/JS (x)\n"), ("dir/b.txt", b"text")]))
    put("content", "tar_gz", tar_bytes([("doc.rtf", b"{\\rtf1 \\objupdate\\object}")], "w:gz"))
    put("content", "sevenzip_copy", sevenzip("inside.txt", b"seven zip payload\n"))
    put("content", "cab_stored", cab("setup.exe", pe_small()))
    put("content", "rar4_stored", rar4("note.txt", b"rar payload\n"))
    put("content", "pdf_objstm", pdf_objstm())
    for name, data in pdf_hiding().items():
        put("content", name, data)
    put("content", "pdf_min", b"%PDF-1.1\n1 0 obj<</OpenAction<</S/URI/URI(http://a.example/)>>>>endobj\n%%EOF")
    put("content", "rtf_equation", b"{\\rtf1{\\object\\objautlink\\objupdate{\\*\\objclass Equation.3}"
                                   b"{\\*\\objdata 0105000002000000}}\\\\objdata}")
    put("content", "tnef_two", tnef2())
    put("content", "ooxml_ext_dde", ooxml(extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
                                                ("xl/macrosheets/sheet1.xml", b"<xm:macrosheet/>"),
                                                ("word/embeddings/oleObject1.bin", b"x")]))
    put("content", "pe_x64_dll", pe_small())
    put("content", "elf64", b"\x7fELF\x02\x01\x01" + bytes(57))
    put("content", "macho64", b"\xcf\xfa\xed\xfe" + bytes(28))
    put("content", "script", b"#!/usr/bin/env python3\nimport os\n")
    put("content", "lnk", b"L\0\0\0\x01\x14\x02\0" + bytes(68))
    put("content", "vhd_footer", bytes(100) + b"conectix" + bytes(504))
    put("content", "html_doc", b"<!DOCTYPE html><html><body><a href='hxxp://evil.example/'>www.bank.example</a>"
                               b"<iframe src=//x.example/f></iframe></body></html>")
    put("content", "message_like", b"Received: from x\r\nSubject: inner\r\n\r\nbody http://a.example/\r\n")
    put("content", "png", b"\x89PNG\r\n\x1a\n" + bytes(24))


# ---------------------------------------------------------------------------- message
def message_seeds():
    base = ("From: A <a@example.org>\r\nTo: b@example.org\r\nDate: Tue, 2 Jan 2024 03:04:05 +0000\r\n"
            "Message-ID: <1@example.org>\r\n")
    put("message", "hand_mbox.mbox",
        "From a@example.org Tue Jan  2 03:04:05 2024\n" + base.replace("\r\n", "\n") +
        "Subject: one\n\nbody one http://one.example/\n\n"
        "From b@example.org Tue Jan  2 03:04:06 2024\nSubject: two\n\n>From escaped\n")
    nest = ""
    for i in range(12):
        nest += "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (i, i)
    nest += "Content-Type: text/plain\r\n\r\ndeep\r\n"
    for i in reversed(range(12)):
        nest += "--b%d--\r\n" % i
    put("message", "hand_deep_nesting.eml", base + "MIME-Version: 1.0\r\n" + nest)
    put("message", "hand_rfc822_partial.eml", base +
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n"
        "Content-Type: message/rfc822\r\n\r\nFrom: inner@example.org\r\nSubject: in\r\n"
        "Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "<a href=3D\"http://x.example/\">caf=E9</a>\r\n--X\r\n"
        "Content-Type: message/partial; id=\"p1\"; number=1; total=2\r\n\r\nFrom: p@example.org\r\n\r\npart\r\n"
        "--X\r\nContent-Type: application/pkcs7-mime; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "MIAGCSqGSIb3DQEHA6CAMIACAQA=\r\n--X--\r\n")
    put("message", "hand_params.eml", base +
        "Subject: =?UTF-8?B?5pel5pys?= =?ISO-8859-1?Q?=E9t=E9?= =?bogus?x?y?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_b\"; boundary=\"other\"\r\n\r\n"
        "--=_b\r\nContent-Type: application/octet-stream;\r\n name*0*=UTF-8''inv%E2%80%AE;\r\n name*1=\"fdp.exe\"\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''report.pdf%20%20%20%20%20%20.js\r\n"
        "Content-Transfer-Encoding: x-weird\r\n\r\nalert(1)\r\n"
        "--=_b\r\nContent-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "aGVsbG8gd3d3LmV4YW1wbGUuY29tIQ==\r\n--=_b\r\n"
        "Content-Type: application/zip\r\nContent-Transfer-Encoding: uuencode\r\n\r\n"
        "begin 644 a.zip\r\n#4$L#!```\r\n`\r\nend\r\n--=_b--\r\n")
    put("message", "hand_uuencode_body.eml", base + "Subject: uu\r\n\r\nsee below\r\nbegin 644 x.exe\r\n"
        "M35H``````````````````````````````````````````````````````0``\r\n`\r\nend\r\n"
        "begin 0755 run.sh\r\n0(R$O8FEN+W-H\"F5C:&\\@:0H`\r\n`\r\nend\r\n")
    put("message", "hand_headers_only.eml", base + "Subject: no body\r\nX-Mailer: t\r\nReceived: a\r\n"
        "Received: b\r\nAuthentication-Results: mx; spf=fail\r\nReply-To: r@example.net\r\n")
    put("message", "hand_bom_lf.eml", b"\xef\xbb\xbfFrom: bom@example.org\nSubject: \xff raw 8bit\n"
        b"Content-Type: text/html\n\n<meta http-equiv=refresh content='0;url=http://r.example/'>")
    put("message", "hand_attachment_zip.eml", base + "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=Q\r\n\r\n--Q\r\nContent-Type: application/zip; name=a.zip\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        binascii.b2a_base64(zip_bytes([("a.pdf.exe", pe_small())])).decode() + "--Q--\r\n")


# ---------------------------------------------------------------------------- html
def html_seeds():
    put("html", "entities.html", "<p>Tom &amp; Jerry &#65;&#x42;&#x10FFFF;&#xD800;&#0;&#99999999; &euro;&hellip;"
        "&zwnj;&shy;&bogus; &amp</p>")
    put("html", "links.html", "<base href='http://base.example/'><a href=\"http://evil.example/login\">"
        "www.bank.example</a><a href=x><a href='javascript:alert(1)'>js</a><area href=//a.example/>"
        "<img src = 'https://cdn.example/x.png'><iframe src=data:text/html,x></iframe>"
        "<form action=https://collector.example/post><input type=password></form>"
        "<embed src=e.swf><frame src=f><source src=s.mp4>")
    put("html", "script_style.html", "<script src=\"http://js.example/a.js\">var a='</scr'+'ipt>';"
        "</script><style>p{}</style><title>t</title><noscript>n</noscript>visible"
        "<SCRIPT>unterminated")
    put("html", "refresh.html", "<meta http-equiv=\"Refresh\" content=\"0; URL='http://r.example/x'\">"
        "<meta http-equiv=refresh content=5>")
    put("html", "broken.html", "<!-- unterminated comment <a href=x> < lone <a href=\"unterminated "
        "<div a='b\" c=\"d'>x</div><h1>h</h1><br/><td>c</td></li></tr></p><!DOCTYPE x")
    put("html", "attrs.html", "<a\thref\t=\t\"http://tab.example/\"\t/>t</a><a HREF='http://up.example/'>"
        "u</a><a title=\"x=y\" href=http://nq.example/?a=1&amp;b=2>q</a><a =x href=''>e</a>")


# ---------------------------------------------------------------------------- text
def text_seeds():
    put("text", "urls.txt", "see http://a.example/x, https://b.example/(y). hxxp://c.example "
        "hxxps://d.example/ ftp://e.example/f www.f.example! mailto:x@y.example "
        "http://user:pw@g.example:8080/p?q#f http://[2001:db8::1]/ https://h.example.../ "
        "xwww.not.example http://\u202eevil.example/ www.")
    put("text", "uuencode.txt", "text\nbegin 644 a.exe\n"
        "M35H``````````````````````````````````````````````````````0``\n"
        "`\nend\nbegin 777 noname\n!80``\n`\nend\nbegin 644 unterminated.txt\n#86)C\n")
    put("text", "uuencode_crlf.txt", "begin 0644 d.pdf\r\n+)5!$1BTQ+C0*+TI3\r\n`\r\nend\r\n")


def main():
    from_fixtures()
    content_seeds()
    message_seeds()
    html_seeds()
    text_seeds()
    for t in sorted(os.listdir(SEEDS)):
        d = os.path.join(SEEDS, t)
        files = [f for f in os.listdir(d) if not f.startswith(".")]
        total = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        print("%-8s %3d seeds, %6d bytes" % (t, len(files), total))


if __name__ == "__main__":
    main()
