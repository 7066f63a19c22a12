#!/usr/bin/env bash
# Regenerates crates/zhilu-media/tests/fixtures/: small real encoded recordings with known capture
# times and durations, their damaged variants, and expected.json with what ffprobe / exiftool read
# from each (the ground truth the parser tests compare with).
# Needs Debian's ffmpeg (with libx264, libx265, aac, libmp3lame) and libimage-exiftool-perl.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/crates/zhilu-media/tests/fixtures"
mkdir -p "$out"
cd "$out"
rm -f ./*.mp4 ./*.MP4 ./*.mov ./*.avi ./*.AVI ./*.jpg ./*.JPG ./*.wav ./*.WAV ./*.mp3 ./*.bin expected.json
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
src_v=(-f lavfi -i "testsrc2=size=160x120:rate=15")
src_a=(-f lavfi -i "sine=frequency=440:sample_rate=44100")

# H.264/AAC MP4 as a body camera writes it (index at the end), GA/T 947-style name.
ff "${src_v[@]}" "${src_a[@]}" -t 2 -c:v libx264 -preset veryfast -pix_fmt yuv420p -b:v 60k -c:a aac -b:a 32k \
   -metadata creation_time=2026-11-20T01:30:00Z DSJ0001_000123_20261120093000_0001.MP4
# The same recording with the index in front (faststart), used as the demo template.
ff -i DSJ0001_000123_20261120093000_0001.MP4 -c copy -movflags +faststart \
   -metadata creation_time=2026-11-20T01:30:00Z demo_template.mp4
# QuickTime MOV.
ff "${src_v[@]}" "${src_a[@]}" -t 3 -c:v libx264 -preset veryfast -pix_fmt yuv420p -b:v 50k -c:a aac -b:a 32k \
   -metadata creation_time=2026-11-20T02:15:30Z -f mov clip.mov
# H.265 (HEVC, `hvc1`) MP4 as newer cameras write it: a browser cannot play it (viewing copy, R23).
ff "${src_v[@]}" -t 1 -c:v libx265 -x265-params log-level=error -tag:v hvc1 -pix_fmt yuv420p hevc.mp4
# AVI (Motion JPEG, no audio), with a creation date tag.
ff "${src_v[@]}" -t 2.4 -c:v mjpeg -q:v 12 -metadata date="2026-11-20 10:20:30" clip.avi
# WAV and MP3 voice recordings.
ff "${src_a[@]}" -t 1.5 -c:a pcm_s16le -ac 1 REC_20261120_094000.WAV
ff "${src_a[@]}" -t 2 -c:a libmp3lame -b:a 64k -ac 1 voice.mp3
# A photo with EXIF capture time and camera model.
ff "${src_v[@]}" -frames:v 1 -q:v 4 photo.jpg
exiftool -q -overwrite_original -DateTimeOriginal="2026:11:20 09:45:00" -Make="Zhilu" -Model="DSC-T1" photo.jpg
cp photo.jpg demo_template.jpg
cp photo.jpg photo_with_offset.jpg
exiftool -q -overwrite_original -OffsetTimeOriginal="+08:00" -DateTimeOriginal="2026:11:20 09:46:00" photo_with_offset.jpg

# Damaged variants.
python3 - <<'PY'
import os, struct
def boxes(b):
    at = 0
    while at + 8 <= len(b):
        size, kind = struct.unpack(">I4s", b[at:at+8])
        if size == 1: size = struct.unpack(">Q", b[at+8:at+16])[0]
        if size == 0: size = len(b) - at
        yield at, kind, size
        at += size
good = open("DSJ0001_000123_20261120093000_0001.MP4", "rb").read()
moov = next(at for at, k, s in boxes(good) if k == b"moov")
# Battery died: everything up to the index, no moov.
open("DSJ0001_000123_20261120093100_0002_cut.MP4", "wb").write(good[:moov])
# Index overwritten with garbage (same length).
bad = bytearray(good); bad[moov+8:moov+200] = bytes((i * 37 + 11) % 256 for i in range(192))
open("corrupt_moov.mp4", "wb").write(bytes(bad))
# Faststart file cut in the middle of its media data.
fs = open("demo_template.mp4", "rb").read()
open("faststart_cut.mp4", "wb").write(fs[: len(fs) * 2 // 3])
jpg = open("photo.jpg", "rb").read()
open("photo_cut.jpg", "wb").write(jpg[: len(jpg) // 2])
wav = open("REC_20261120_094000.WAV", "rb").read()
open("header_only.wav", "wb").write(wav[:44])
avi = open("clip.avi", "rb").read()
open("clip_cut.avi", "wb").write(avi[: len(avi) // 2])
# Not media at all, but named like it.
open("random.MP4", "wb").write(bytes((i * 7919 + 13) % 251 for i in range(4096)))
PY

# Ground truth from ffprobe (durations, creation times) and exiftool (photo times).
python3 - <<'PY'
import json, subprocess
def probe(f):
    j = json.loads(subprocess.check_output(["ffprobe", "-v", "error", "-show_format", "-of", "json", f]))["format"]
    return {"duration_s": float(j["duration"]) if "duration" in j else None,
            "creation_time": j.get("tags", {}).get("creation_time") or j.get("tags", {}).get("date")}
def exif(f):
    j = json.loads(subprocess.check_output(["exiftool", "-j", "-DateTimeOriginal", "-OffsetTimeOriginal", f]))[0]
    return {"duration_s": None, "datetime_original": j.get("DateTimeOriginal"), "offset": j.get("OffsetTimeOriginal")}
good = {
    "DSJ0001_000123_20261120093000_0001.MP4": ("mp4", probe),
    "demo_template.mp4": ("mp4", probe),
    "clip.mov": ("mov", probe),
    "clip.avi": ("avi", probe),
    "hevc.mp4": ("mp4", probe),
    "REC_20261120_094000.WAV": ("wav", probe),
    "voice.mp3": ("mp3", probe),
    "photo.jpg": ("jpeg", exif),
    "photo_with_offset.jpg": ("jpeg", exif),
}
damaged = {
    "DSJ0001_000123_20261120093100_0002_cut.MP4": "moov",
    "corrupt_moov.mp4": "",
    "faststart_cut.mp4": "截断",
    "photo_cut.jpg": "",
    "header_only.wav": "",
    "clip_cut.avi": "截断",
}
exp = {"good": {f: {"kind": k, **fn(f)} for f, (k, fn) in good.items()},
       "damaged": damaged, "not_media": ["random.MP4"]}
json.dump(exp, open("expected.json", "w"), indent=2, ensure_ascii=False, sort_keys=True)
PY
ls -l "$out"
