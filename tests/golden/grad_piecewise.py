def grad_piecewise(x, y, bout=1.0):
    cond = x > y
    if cond:
        z = x * y
        z_2 = z
    else:
        z_1 = x - y
        z_2 = z_1
    out = z_2 * z_2
    # Grad of: return z * z
    bz_2 = bout * (2 * z_2)
    # Grad of: if x > y:
    if cond:
        # Grad of: z = x * y
        bx = runtime.unbroadcast(bz_2 * y, x)
        by = runtime.unbroadcast(bz_2 * x, y)
    else:
        # Grad of: z = x - y
        bx = runtime.unbroadcast(bz_2, x)
        by = runtime.unbroadcast(-bz_2, y)
    return out, (bx, by)
