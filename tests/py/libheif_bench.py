"""The reference for benches/convert.rs: libheif (pillow-heif) decode + Pillow JPEG save at
quality 90, one thread, best of REPS per file.

usage: libheif_bench.py REPS FILE...   -> one line per file:
    "NAME DECODE_CPU_SECONDS SAVE_CPU_SECONDS WALL_SECONDS" (process CPU time, as the Rust side)
"""
import io
import sys
import time

import pillow_heif

# One core, like the Rust side: libheif otherwise decodes a grid's tiles on several threads.
pillow_heif.options.DECODE_THREADS = 1


def main():
    reps = int(sys.argv[1])
    for path in sys.argv[2:]:
        data = open(path, "rb").read()
        best_dec = best_save = best_wall = float("inf")
        for _ in range(reps):
            w0 = time.perf_counter()
            t0 = time.process_time()
            im = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True).to_pillow()
            im.load()
            t1 = time.process_time()
            out = io.BytesIO()
            im.save(out, "JPEG", quality=90, exif=im.info.get("exif") or b"",
                    icc_profile=im.info.get("icc_profile"))
            t2 = time.process_time()
            best_wall = min(best_wall, time.perf_counter() - w0)
            best_dec, best_save = min(best_dec, t1 - t0), min(best_save, t2 - t1)
        print(path.rsplit("/", 1)[-1], f"{best_dec:.4f}", f"{best_save:.4f}", f"{best_wall:.4f}",
              flush=True)


if __name__ == "__main__":
    main()
