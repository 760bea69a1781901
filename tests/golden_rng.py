#!/usr/bin/env python3
"""Independent reference for tests/test_rng.c: splitmix64 and xoshiro256**
as published by Blackman & Vigna (prng.di.unimi.it), written from the
reference C code, not from src/rng.c.  Prints the golden values the test
pins: the first outputs of stream (seed, stream) and their 53-bit doubles."""
M = (1 << 64) - 1

def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return x, z ^ (z >> 31)

def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M

def stream_key(seed, stream):
    _, k1 = splitmix64(seed)
    _, k2 = splitmix64(k1 ^ stream)
    return k2

def xoshiro_state(s, n):
    """n outputs of xoshiro256** from the state s (a list of 4 words)."""
    s = list(s)
    out = []
    for _ in range(n):
        r = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
        s[2] ^= t; s[3] = rotl(s[3], 45)
        out.append(r)
    return out

def xoshiro(seed_key, n):
    x = seed_key
    s = []
    for _ in range(4):
        x, z = splitmix64(x)
        s.append(z)
    return xoshiro_state(s, n)

if __name__ == "__main__":
    for seed, stream in [(20241101, 0), (20241101, 1), (0, 0)]:
        key = stream_key(seed, stream)
        vals = xoshiro(key, 4)
        print(f"seed={seed} stream={stream} key=0x{key:016x}")
        for v in vals:
            print(f"  0x{v:016x}  {(v >> 11) * 2.0**-53!r}")

def lanes(seed, stream, nlanes=16, n=2):
    """The lanes of sd_rng_lanes_seed on stream (seed, stream): state word
    k of lane j is splitmix64 of (a << 32) ^ b, a and b the next two
    outputs of the parent; then the first n outputs of each lane."""
    parent = iter(xoshiro(stream_key(seed, stream), 8 * nlanes))
    states = []
    for _ in range(nlanes):
        w = []
        for _ in range(4):
            a, b = next(parent), next(parent)
            _, z = splitmix64(((a << 32) & M) ^ b)
            w.append(z)
        states.append(w)
    return [xoshiro_state(st, n) for st in states]

if __name__ == "__main__":
    out = lanes(20241101, 0)
    for j in (0, 1, 15):
        print(f"lane {j}: " + " ".join(f"0x{v:016x}" for v in out[j]))
