"""A reproducible file tree for FIM tests and benchmarks: `files` files with log-uniform sizes
(like a real /etc + /opt mix) summing to `mib` MiB, spread over 2,000 directories.
Usage as a script: treegen.py ROOT FILES MIB."""
import os
import random
import sys


def tree_file(root, i):
    return os.path.join(root, f"d{i % 100:02d}", f"s{(i // 100) % 20:02d}", f"f{i:05d}.dat")


def generate_tree(root, files, mib):
    rng = random.Random(42)
    raw = [2 ** rng.uniform(6, 20) for _ in range(files)]
    scale = mib * 1024 * 1024 / sum(raw)
    block = os.urandom(1 << 20)
    for i, r in enumerate(raw):
        path = tree_file(root, i)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = max(1, int(r * scale))
        with open(path, "wb") as f:
            off = (i * 7919) % len(block)
            while size > 0:
                chunk = block[off:off + size] or block[:size]
                f.write(chunk)
                size -= len(chunk)
                off = 0


if __name__ == "__main__":
    generate_tree(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
