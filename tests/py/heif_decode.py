"""Reference decode for tests/convert.rs: libheif (through pillow-heif) or Pillow's own JPEG
decoder writes the image as raw 8-bit RGB, upright (irot/imir applied, EXIF orientation not).

usage: heif_decode.py IN OUT.rgb   -> prints "WIDTH HEIGHT"; the image's own ICC profile (the
primary image's, not a gain map's) goes to OUT.rgb.icc when it has one.
"""
import sys

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()


def main():
    src, out = sys.argv[1], sys.argv[2]
    with Image.open(src) as im:
        im = im.convert("RGB")
        with open(out, "wb") as f:
            f.write(im.tobytes())
        icc = im.info.get("icc_profile")
        if icc:
            with open(out + ".icc", "wb") as f:
                f.write(icc)
        print(im.width, im.height)


if __name__ == "__main__":
    main()
