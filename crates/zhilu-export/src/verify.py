#!/usr/bin/env python3
# 证据包校验程序：只用 Python 3 标准库。用法：python3 verify.py [证据包目录] [--disc]
# --disc：证据包分刻在几张光盘上时，逐盘核对本盘所载的文件（其余文件在其他光盘上）。
# 核对 BagIt 清单（SHA-256、SM3）、标签清单、Payload-Oxum、没有多出或缺少的文件，
# 以及 audit/ 中每个文件的审计日志包含证明（RFC 6962）与检查点的根哈希是否一致；
# 本机有 openssl 时还核对检查点的 Ed25519 签名。任何一项不符即以非零状态退出并指明文件。
import base64, hashlib, json, os, shutil, subprocess, sys

ARGS = [a for a in sys.argv[1:] if a != "--disc"]
DISC = "--disc" in sys.argv[1:]
ROOT = os.path.abspath(ARGS[0] if ARGS else os.path.dirname(os.path.abspath(__file__)))

def fail(msg):
    print("校验失败：" + msg)
    sys.exit(1)

def path(rel):
    return os.path.join(ROOT, *rel.split("/"))

def digest(alg, rel):
    h = hashlib.new(alg)
    try:
        with open(path(rel), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as e:
        fail("无法读取 %s（%s）" % (rel, e.strerror))
    return h.hexdigest()

def manifest(name):
    out = {}
    try:
        lines = open(path(name), encoding="utf-8").read().splitlines()
    except OSError:
        fail("缺少 " + name)
    for line in lines:
        if not line.strip():
            continue
        h, rel = line.split(None, 1)
        rel = rel.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        if rel.startswith("/") or ".." in rel.split("/"):
            fail("%s 中的路径不安全：%s" % (name, rel))
        out[rel] = h.lower()
    return out

try:
    HAS_SM3 = bool(hashlib.new("sm3"))
except ValueError:
    HAS_SM3 = False

if not os.path.isfile(path("bagit.txt")):
    fail("缺少 bagit.txt：这不是 BagIt 证据包的目录")
for rel, h in manifest("tagmanifest-sha256.txt").items():
    if digest("sha256", rel) != h:
        fail("%s 的 SHA-256 与 tagmanifest-sha256.txt 不符：该文件被改动过" % rel)
sha = manifest("manifest-sha256.txt")
sm3 = manifest("manifest-sm3.txt")
found = set()
for top, dirs, files in os.walk(path("data")):
    for f in files:
        found.add(os.path.relpath(os.path.join(top, f), ROOT).replace(os.sep, "/"))
for rel in sorted(found - set(sha)):
    fail("%s 不在 manifest-sha256.txt 中：多出的文件" % rel)
elsewhere = sorted(set(sha) - found) if DISC else []
if DISC and not found:
    fail("本盘没有任何记录文件（data/ 为空）")
for rel in sorted(set(sha) - found - set(elsewhere)):
    fail("%s 缺失：清单中有而包中没有" % rel)
if set(sm3) != set(sha):
    fail("manifest-sm3.txt 与 manifest-sha256.txt 列出的文件不一致")
size = 0
for rel in sorted(set(sha) - set(elsewhere)):
    if digest("sha256", rel) != sha[rel]:
        fail("%s 的 SHA-256 与 manifest-sha256.txt 不符：文件内容被改动过" % rel)
    if HAS_SM3 and digest("sm3", rel) != sm3[rel]:
        fail("%s 的 SM3 与 manifest-sm3.txt 不符：文件内容被改动过" % rel)
    size += os.path.getsize(path(rel))
info = dict(l.split(":", 1) for l in open(path("bag-info.txt"), encoding="utf-8").read().splitlines() if ":" in l)
if not elsewhere and info.get("Payload-Oxum", "").strip() != "%d.%d" % (size, len(sha)):
    fail("bag-info.txt 的 Payload-Oxum 与包中文件不符")

# 审计证明：检查点（已签名的日志树头）与每个文件的包含证明。
note = open(path("audit/checkpoint.txt"), encoding="utf-8").read()
cut = note.rfind("\n\n")
if cut < 0:
    fail("audit/checkpoint.txt 不是签名检查点")
body = note[: cut + 1]
lines = body.split("\n")[:-1]
if len(lines) < 3:
    fail("audit/checkpoint.txt 的检查点格式错误")
tree_alg = "sm3" if "hash: sm3" in lines[3:] else "sha256"
cp_size = int(lines[1])
cp_root = base64.b64decode(lines[2])
if open(path("audit/checkpoint-body.txt"), encoding="utf-8").read() != body:
    fail("audit/checkpoint-body.txt 与 audit/checkpoint.txt 的正文不符")

def H(*parts):
    h = hashlib.new(tree_alg)
    for p in parts:
        h.update(p)
    return h.digest()

def included(leaf, index, size, proof, root):
    # RFC 9162 §2.1.3.2
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = H(b"\x01", p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = H(b"\x01", r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root

proved = set()
for name in sorted(os.listdir(path("audit"))):
    if not name.endswith(".json"):
        continue
    rel = "audit/" + name
    a = json.load(open(path(rel), encoding="utf-8"))
    entry = json.loads(a["entry"])
    f = a["file"]
    if sha.get(f) != a["sha256"] or entry.get("subject") != "recording:" + a["sha256"]:
        fail("%s 的审计日志条目不是 %s 的（哈希值不符）" % (rel, f))
    if entry.get("state", {}).get("sm3", a["sm3"]) != a["sm3"] or sm3.get(f) != a["sm3"]:
        fail("%s 的 SM3 与审计日志条目不符" % f)
    if a["tree_size"] != cp_size or entry.get("seq") != a["leaf_index"]:
        fail("%s 的日志序号或长度与检查点不符" % rel)
    leaf = H(b"\x00", a["entry"].encode("utf-8"))
    if not included(leaf, a["leaf_index"], cp_size, [bytes.fromhex(p) for p in a["proof"]], cp_root):
        fail("%s 的包含证明与检查点的根哈希不符：%s 不能证明已记入审计日志" % (rel, f))
    proved.add(f)
for rel in sorted(set(sha) - proved):
    fail("%s 没有审计日志的包含证明" % rel)

key = open(path("audit/ledger.pub"), encoding="utf-8").read().strip()
kname, kid, kraw = key.split("+", 2)
sig = None
for line in note[cut + 2 :].splitlines():
    if line.startswith("\u2014 " + kname + " "):
        blob = base64.b64decode(line.split(" ")[-1])
        if blob[:4].hex() == kid:
            sig = blob[4:]
if sig is None:
    fail("audit/checkpoint.txt 没有 audit/ledger.pub 这把密钥的签名")
if base64.b64decode(kraw)[0] == 1:
    if open(path("audit/checkpoint.sig"), "rb").read() != sig:
        fail("audit/checkpoint.sig 与 audit/checkpoint.txt 中的签名不符")
    if shutil.which("openssl"):
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", path("audit/ledger.pub.pem"),
                            "-rawin", "-in", path("audit/checkpoint-body.txt"), "-sigfile", path("audit/checkpoint.sig")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            fail("audit/checkpoint.txt 的 Ed25519 签名不正确：检查点被改动过或不是该密钥签发的")
        print("检查点签名（Ed25519）正确。")
    else:
        print("注意：本机没有 openssl，未核对检查点签名，请按 README.txt 第 4 步核对。")
else:
    print("注意：检查点用 SM2 签名，请按 README.txt 第 4 步用支持 SM2 的工具核对。")
if not HAS_SM3:
    print("注意：本机 Python 不支持 SM3，未核对 manifest-sm3.txt，请按 README.txt 第 2 步用 openssl 核对。")
if elsewhere:
    print("本盘校验通过：本盘 %d 个文件与清单、审计日志包含证明（%s 树，长度 %d）均相符；另有 %d 个文件在同一证据包的其他光盘上，请逐盘核对。"
          % (len(sha) - len(elsewhere), tree_alg, cp_size, len(elsewhere)))
else:
    print("校验通过：%d 个文件，清单、审计日志包含证明（%s 树，长度 %d）均相符。" % (len(sha), tree_alg, cp_size))
