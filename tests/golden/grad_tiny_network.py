def grad_tiny_network(x, y, w1, w2, bout=1.0):
    z1 = w1 * x
    a1 = max(0, z1)
    z2 = w2 * a1
    t = z2 - y
    out = t ** 2
    # Grad of: return (z2 - y) ** 2
    bt = bout * (2 * t)
    bz2 = runtime.unbroadcast(bt, z2)
    # Grad of: z2 = w2 * a1
    bw2 = runtime.unbroadcast(bz2 * a1, w2)
    ba1 = runtime.unbroadcast(bz2 * w2, a1)
    # Grad of: a1 = max(0, z1)
    bz1 = ba1 * runtime.greater_share(z1, 0)
    # Grad of: z1 = w1 * x
    bw1 = runtime.unbroadcast(bz1 * x, w1)
    return out, (bw1, bw2)
