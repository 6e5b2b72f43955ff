"""Draws the kernel's launcher logos (three task bars on a blue tile) as PNGs, with the standard
library only, and prints them as base64 for Sources/RMTLKernel/KernelSpec.swift. Run by hand:
python3 scripts/kernel-logo.py (writes logo-32x32.png and logo-64x64.png in the current folder)."""
import zlib, struct, base64
def png(n):
    rows = []
    r = n * 0.18  # corner radius
    bars = [(0.20, 0.55), (0.42, 0.35), (0.64, 0.18)]  # x start, top (fraction)
    for y in range(n):
        row = bytearray([0])
        for x in range(n):
            fx, fy = (x + .5) / n, (y + .5) / n
            # rounded square
            cx = min(max(x + .5, r), n - r); cy = min(max(y + .5, r), n - r)
            inside = (x + .5 - cx) ** 2 + (y + .5 - cy) ** 2 <= r * r
            c = (0, 0, 0, 0)
            if inside:
                c = (31, 78, 121, 255)
                for i, (bx, top) in enumerate(bars):
                    if bx <= fx < bx + 0.16 and top <= fy < 0.80:
                        c = [(255, 255, 255, 255), (255, 183, 77, 255), (129, 212, 250, 255)][i]
            row += bytes(c)
        rows.append(bytes(row))
    raw = b"".join(rows)
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
for n in (32, 64):
    d = png(n); open(f"logo-{n}x{n}.png", "wb").write(d); print(n, len(d)); print(base64.b64encode(d).decode())
